-- accessdenied: Neovim client for the `accessdenied serve` language server.
--
-- require("accessdenied").setup({...}) works on Neovim 0.7 through 0.11: on 0.11+ it registers
-- the config with vim.lsp.config() and vim.lsp.enable(); on older versions it starts one client
-- per root with vim.lsp.start_client() from a FileType autocmd. It also forwards the output of
-- :terminal buffers to the server as `accessDenied/terminalOutput` notifications.
local M = {}

local uv = vim.loop

M.name = "accessdenied"
M.TERMINAL_OUTPUT = "accessDenied/terminalOutput"

-- The same tree as VS Code's `accessdenied.*` settings (see the server's settings.py).
M.defaults = {
  cmd = { "accessdenied", "serve" },
  filetypes = { "json", "yaml", "terraform", "hcl", "log" },
  -- Files opened with these extensions get filetype `log` when nothing else claimed them.
  log_extensions = { "log", "out" },
  root_markers = { ".accessdenied.toml", "pyproject.toml", ".git" },
  -- Forward :terminal output to the server (needs the server running for the cwd's root).
  terminal = true,
  settings = {
    accessdenied = {
      terminal = { enabled = true, forward = true },
      aws = { liveMode = false, profile = "", region = "" },
    },
  },
}

M.config = nil

local function has(feature)
  return vim.fn.has(feature) == 1
end

--- Deep-merges `b` into a copy of `a` (lists are replaced, not merged).
local function merge(a, b)
  return vim.tbl_deep_extend("force", {}, a or {}, b or {})
end

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

--- The nearest ancestor of `path` holding one of `markers`, else nil.
function M.find_root(path, markers)
  local dir = path
  if dir == "" then
    dir = vim.fn.getcwd()
  end
  local stat = uv.fs_stat(dir)
  if not stat or stat.type ~= "directory" then
    dir = dirname(dir)
  end
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

local function root_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name:match("^%a[%w+.-]*://") then
    name = "" -- term://, fugitive://...: use the cwd
  end
  return M.find_root(name, M.config.root_markers) or vim.fn.getcwd()
end

--- Running accessdenied clients (every version's spelling).
function M.clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local out = {}
  for _, c in ipairs(vim.lsp.get_active_clients()) do
    if c.name == M.name then
      table.insert(out, c)
    end
  end
  return out
end

--- Sends a notification; 0.11 wants method-call syntax, 0.7-0.10 a plain function.
function M.notify(client, method, params)
  if has("nvim-0.11") then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

local function lsp_config()
  local cfg = M.config
  return {
    name = M.name,
    cmd = cfg.cmd,
    filetypes = cfg.filetypes,
    root_markers = cfg.root_markers,
    settings = cfg.settings,
    init_options = cfg.settings,
    on_attach = cfg.on_attach,
    capabilities = cfg.capabilities,
    on_init = function(client)
      -- Some servers read settings only when told they changed; this costs one message.
      M.notify(client, "workspace/didChangeConfiguration", { settings = cfg.settings })
      if cfg.on_init then
        cfg.on_init(client)
      end
    end,
  }
end

-- Pre-0.11: one client per root directory, reused for every buffer under it.
local roots = {}

--- Starts (or reuses) the client for `root` and returns its id.
function M.start(root)
  local id = roots[root]
  if id and vim.lsp.get_client_by_id(id) then
    return id
  end
  local conf = lsp_config()
  conf.root_dir = root
  conf.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
  conf.filetypes = nil
  conf.root_markers = nil
  id = vim.lsp.start_client(conf)
  roots[root] = id
  return id
end

local function attach_old(bufnr)
  if vim.bo[bufnr].buftype ~= "" then
    return
  end
  local id = M.start(root_for(bufnr))
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

local function on_lines_forwarder(bufnr)
  -- A terminal buffer holds the screen as lines, hard-wrapped at the terminal width; lines are
  -- rewritten while a program runs. Send each line once it is complete: it has a line below it
  -- that is not empty. A line as wide as the terminal continues on the next (soft wrap).
  local sent = 0 -- lines [0, sent) were forwarded
  local pending = false
  local terminal = vim.api.nvim_buf_get_name(bufnr)

  local function width()
    local win = vim.fn.bufwinid(bufnr)
    if win ~= -1 then
      return vim.api.nvim_win_get_width(win)
    end
    return vim.o.columns
  end

  local function flush()
    pending = false
    if not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    local lines = vim.api.nvim_buf_get_lines(bufnr, sent, -1, false)
    local last = #lines
    while last > 0 and lines[last] == "" do
      last = last - 1
    end
    -- The last non-empty line may still grow (a prompt, a progress bar): keep it back.
    last = last - 1
    if last <= 0 then
      return
    end
    local w = width()
    local out = {}
    for i = 1, last do
      local l = lines[i]
      table.insert(out, l)
      if vim.fn.strdisplaywidth(l) < w then
        table.insert(out, "\n")
      end
    end
    sent = sent + last
    local data = table.concat(out)
    -- Neovim does not know where one command's output starts: no `command`.
    local params = { terminal = terminal, command = "", data = data }
    local clients = M.clients()
    if #clients == 0 then
      local id = M.start_for_terminal(bufnr)
      clients = id and { vim.lsp.get_client_by_id(id) } or {}
    end
    for _, client in ipairs(clients) do
      if client.initialized ~= false then
        M.notify(client, M.TERMINAL_OUTPUT, params)
      end
    end
  end

  vim.api.nvim_buf_attach(bufnr, false, {
    on_lines = function(_, _, _, firstline)
      if firstline < sent then
        -- The screen was redrawn above what we sent (clear, resize): start over from there.
        sent = firstline
      end
      if not pending then
        pending = true
        vim.defer_fn(flush, M.config.terminal_delay or 150)
      end
    end,
    on_detach = function()
      pending = false
    end,
  })
end

--- Starts a client for the cwd's root so a terminal has somewhere to send its output.
function M.start_for_terminal(bufnr)
  if has("nvim-0.11") then
    local root = root_for(bufnr)
    local conf = lsp_config()
    conf.root_dir = root
    return vim.lsp.start(conf, { bufnr = bufnr, attach = false })
  end
  return M.start(root_for(bufnr))
end

--- Configures and enables the client. Call once from your config.
function M.setup(opts)
  M.config = merge(M.defaults, opts)
  if opts and opts.filetypes then
    M.config.filetypes = opts.filetypes
  end
  if opts and opts.cmd then
    M.config.cmd = opts.cmd
  end
  local group = vim.api.nvim_create_augroup("accessdenied", { clear = true })

  if #M.config.log_extensions > 0 then
    local pats = {}
    for _, ext in ipairs(M.config.log_extensions) do
      table.insert(pats, "*." .. ext)
    end
    vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
      group = group,
      pattern = pats,
      command = "setfiletype log",
    })
    -- Files loaded before setup() ran (`nvim app.log` with setup in a later-sourced file).
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      local name = vim.api.nvim_buf_get_name(buf)
      if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].filetype == "" and vim.bo[buf].buftype == "" then
        for _, ext in ipairs(M.config.log_extensions) do
          if name:sub(-#ext - 1) == "." .. ext then
            vim.bo[buf].filetype = "log"
            break
          end
        end
      end
    end
  end

  if vim.lsp.config and vim.lsp.enable then
    local conf = lsp_config()
    -- root_markers alone leave root_dir nil (no workspace folder, so no index and no quick
    -- fixes) where no marker exists; fall back to the cwd as on older versions.
    conf.root_markers = nil
    conf.root_dir = function(bufnr, on_dir)
      on_dir(root_for(bufnr))
    end
    vim.lsp.config(M.name, conf)
    vim.lsp.enable(M.name)
    -- enable() only re-fires FileType for open buffers once VimEnter has happened; setup()
    -- from `-S`/`--cmd` runs earlier, so attach the buffers already loaded here.
    if vim.v.vim_did_enter == 0 then
      for _, buf in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
          vim.api.nvim_exec_autocmds("FileType", { buffer = buf, modeline = false })
        end
      end
    end
  else
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        attach_old(args.buf)
      end,
    })
    -- Buffers opened before setup() ran.
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
        attach_old(buf)
      end
    end
  end

  if M.config.terminal then
    vim.api.nvim_create_autocmd("TermOpen", {
      group = group,
      callback = function(args)
        on_lines_forwarder(args.buf)
      end,
    })
  end

  vim.api.nvim_create_user_command("AccessDeniedRestart", function()
    for _, client in ipairs(M.clients()) do
      if has("nvim-0.11") then
        client:stop()
      else
        client.stop()
      end
    end
    roots = {}
    vim.defer_fn(function()
      vim.cmd("doautoall accessdenied FileType")
      if vim.lsp.enable then
        vim.lsp.enable(M.name, false)
        vim.lsp.enable(M.name)
      end
    end, 500)
  end, { desc = "Restart the accessdenied language server" })
  return M
end

return M
