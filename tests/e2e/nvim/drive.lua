-- Headless Neovim e2e driver (0.7 through 0.11), run by tests/e2e/test_nvim.py as
--   nvim --headless --clean -n -i NONE --cmd "set rtp+=client-nvim" LOGFILE -S drive.lua
-- Uses the plugin's setup(), waits for the denial diagnostics on the log, hovers the principal
-- ARN, requests the quick fix, applies it to the policy file and writes it. Results go to the
-- JSON file $AD_E2E_OUT (pytest asserts on them); the exit status is 0 only if every step ran.
-- $AD_E2E_SHOT_READY / $AD_E2E_SHOT_GO: screenshot mode (run in tmux): show the hover, signal,
-- wait for the picture, and stop before the fix.
-- $AD_E2E_ACTION: the denied action whose diagnostic is used (default s3:PutObject);
-- $AD_E2E_PICK=first applies the first quick fix offered (default: the preferred one). The
-- diagnostic's relatedInformation and the files the first quick fix edits are recorded too.
local out = { steps = {} }
local t0 = vim.loop.hrtime()
local function ms()
  return math.floor((vim.loop.hrtime() - t0) / 1e6)
end
local function step(name)
  table.insert(out.steps, { name = name, ms = ms() })
end
local function finish(code)
  out.ok = code == 0
  out.version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor)
  local f = assert(io.open(vim.env.AD_E2E_OUT, "w"))
  f:write(vim.fn.json_encode(out))
  f:close()
  for _, c in ipairs(require("accessdenied").clients()) do
    if vim.fn.has("nvim-0.11") == 1 then c:stop() else c.stop() end
  end
  vim.wait(2000, function() return #require("accessdenied").clients() == 0 end, 20)
  if code == 0 then vim.cmd("qall!") else vim.cmd("cquit " .. code) end
end
local function fail(msg)
  out.error = msg
  io.stderr:write("FAIL: " .. msg .. "\n")
  finish(2)
end
local new = vim.fn.has("nvim-0.11") == 1

-- $AD_E2E_SETUP_EARLY: setup() already ran from --cmd, before the file loaded (as from init.lua).
if not vim.env.AD_E2E_SETUP_EARLY then
  local ok, err = pcall(function()
    require("accessdenied").setup({
      cmd = vim.fn.json_decode(vim.env.AD_E2E_CMD),
      settings = { accessdenied = { aws = { liveMode = false } } },
      -- $AD_E2E_ENCODING: offer only this position encoding (as VS Code offers only utf-16).
      capabilities = vim.env.AD_E2E_ENCODING
        and { general = { positionEncodings = { vim.env.AD_E2E_ENCODING } } } or nil,
    })
  end)
  if not ok then return fail("setup: " .. tostring(err)) end
end
local buf = vim.api.nvim_get_current_buf()
out.filetype = vim.bo[buf].filetype

if vim.env.AD_E2E_MODE == "terminal" then
  -- :terminal output is forwarded as accessDenied/terminalOutput; the server publishes the
  -- denials on its virtual document for that terminal.
  vim.cmd("terminal cat logs/terminal.log")
  local found
  if not vim.wait(45000, function()
    for _, d in ipairs(vim.diagnostic.get()) do
      local name = vim.api.nvim_buf_get_name(d.bufnr)
      if name:find("accessdenied%-terminal:") and d.message:find("s3:PutObject", 1, true) then
        found = { buffer = name, message = d.message, lnum = d.lnum }
        return true
      end
    end
    return false
  end, 20) then
    local all = {}
    for _, d in ipairs(vim.diagnostic.get()) do
      table.insert(all, vim.api.nvim_buf_get_name(d.bufnr) .. ": " .. d.message)
    end
    out.all = all
    return fail("no terminal diagnostics (clients=" .. #require("accessdenied").clients() .. ")")
  end
  out.terminal_diagnostic = found
  step("terminal diagnostics")
  return finish(0)
end

if vim.env.AD_E2E_MODE == "unopened" then
  -- Diagnostics the server publishes for a log that is not open ($AD_E2E_UNOPENED, a path
  -- suffix): the whole LSP diagnostic as received (0.10+ keeps it in user_data.lsp).
  local suffix = vim.env.AD_E2E_UNOPENED
  local found
  if not vim.wait(20000, function()
    for _, d in ipairs(vim.diagnostic.get()) do
      local name = vim.api.nvim_buf_get_name(d.bufnr)
      if name:sub(-#suffix) == suffix and d.user_data and d.user_data.lsp then
        found = { path = name, loaded = vim.api.nvim_buf_is_loaded(d.bufnr), lsp = d.user_data.lsp }
        return true
      end
    end
    return false
  end, 50) then
    return fail("no diagnostics for the unopened " .. suffix)
  end
  out.unopened = found
  out.offset_encoding = require("accessdenied").clients()[1].offset_encoding
  step("unopened log diagnostics")
  return finish(0)
end

local client
if not vim.wait(15000, function()
  client = require("accessdenied").clients()[1]
  return client ~= nil and client.initialized ~= false and #vim.diagnostic.get(buf) > 0
end, 20) then
  return fail("no diagnostics on the log (filetype=" .. out.filetype .. ", clients=" .. #require("accessdenied").clients() .. ")")
end
step("diagnostics")
local diags = vim.diagnostic.get(buf)
out.diagnostics = {}
for _, d in ipairs(diags) do
  table.insert(out.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source, code = d.code })
end

-- The s3:PutObject denial (line 2 of examples/logs/terminal.log), or $AD_E2E_ACTION's.
local denied = vim.env.AD_E2E_ACTION or "s3:PutObject"
local target
for _, d in ipairs(diags) do
  if d.message:find(denied, 1, true) then target = d end
end
if not target then return fail("no diagnostic mentions " .. denied) end

local function request(method, params, timeout)
  if new then
    local r = client:request_sync(method, params, timeout or 10000, buf)
    return r and r.result, r and r.err
  end
  local res = vim.lsp.buf_request_sync(buf, method, params, timeout or 10000)
  local r = res and res[client.id]
  return r and r.result, r and r.err
end
local function position_params()
  if new then return vim.lsp.util.make_position_params(0, client.offset_encoding) end
  return vim.lsp.util.make_position_params()
end
local function range_params()
  if new then return vim.lsp.util.make_range_params(0, client.offset_encoding) end
  return vim.lsp.util.make_range_params()
end

-- Hover on the principal ARN.
local line = vim.api.nvim_buf_get_lines(buf, target.lnum, target.lnum + 1, false)[1]
local col = line:find("arn:aws:sts::", 1, true)
if not col then return fail("no principal ARN on the denial line") end
vim.api.nvim_win_set_cursor(0, { target.lnum + 1, col + 5 })
local hover, herr = request("textDocument/hover", position_params())
if not hover then return fail("no hover: " .. vim.inspect(herr)) end
local contents = hover.contents
if type(contents) == "table" and contents.value then
  out.hover = contents.value
elseif type(contents) == "string" then
  out.hover = contents
else
  out.hover = table.concat(vim.lsp.util.convert_input_to_markdown_lines(contents), "\n")
end
step("hover")

if vim.env.AD_E2E_SHOT_READY then
  vim.diagnostic.config({ virtual_text = true, signs = true, underline = true })
  vim.lsp.util.open_floating_preview(
    vim.lsp.util.convert_input_to_markdown_lines(hover.contents), "markdown",
    { border = "single", max_width = 100, max_height = 30 })
  vim.cmd("redraw!")
  local f = assert(io.open(vim.env.AD_E2E_SHOT_READY, "w")); f:write("ready"); f:close()
  vim.wait(20000, function() return vim.loop.fs_stat(vim.env.AD_E2E_SHOT_GO) ~= nil end, 50)
  return finish(0)
end

-- Quick fix for the diagnostic under the cursor.
local params = range_params()
-- The LSP diagnostic behind a vim.diagnostic one: 0.10+ keeps it whole in user_data.lsp; 0.7
-- only its extra fields (relatedInformation, data), merged back by get_line_diagnostics.
local function lsp_diagnostic(d)
  if vim.fn.has("nvim-0.10") == 1 and d.user_data and d.user_data.lsp then
    return d.user_data.lsp
  end
  for _, l in ipairs(vim.lsp.diagnostic.get_line_diagnostics(buf, d.lnum)) do
    if l.message:find(denied, 1, true) then return l end
  end
end
local function related_of(l)
  local rel = {}
  for _, r in ipairs((l and l.relatedInformation) or {}) do
    table.insert(rel, { path = vim.uri_to_fname(r.location.uri), message = r.message })
  end
  return rel
end
local lsp_diag = lsp_diagnostic(target)
if not lsp_diag then return fail("the denial's LSP diagnostic is not known to the client") end
out.related_at_first = related_of(lsp_diag)
params.context = { diagnostics = { lsp_diag }, only = { "quickfix" } }
out.code_action_params = params
local actions, aerr = request("textDocument/codeAction", params)
if not actions or #actions == 0 then return fail("no code actions: " .. vim.inspect(aerr)) end
out.actions = {}
for _, a in ipairs(actions) do table.insert(out.actions, a.title) end
local function resolve(a)
  if not a.edit and a.data ~= nil then
    local resolved, rerr = request("codeAction/resolve", a)
    if not resolved then return nil, "codeAction/resolve failed: " .. vim.inspect(rerr) end
    return resolved
  end
  return a
end
local function edited_paths(edit)
  local paths = {}
  for uri, _ in pairs(edit.changes or {}) do table.insert(paths, vim.uri_to_fname(uri)) end
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument then table.insert(paths, vim.uri_to_fname(change.textDocument.uri)) end
  end
  return paths
end
local first, ferr = resolve(actions[1])
if not first then return fail(ferr) end
out.first_action = { title = first.title, paths = first.edit and edited_paths(first.edit) or {} }
-- The denial diagnostic's related information, once the server has explained the denial
-- (it may republish the diagnostic when the workspace index is ready): waited for, bounded.
out.related = out.related_at_first
vim.wait(10000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.message:find(denied, 1, true) then
      out.related = related_of(lsp_diagnostic(d))
      if #out.related > 0 then return true end
    end
  end
  return false
end, 50)
step("related information")
local action = first
if vim.env.AD_E2E_PICK ~= "first" then
  for _, a in ipairs(actions) do
    if a.isPreferred then action = a; break end
  end
end
local rerr
action, rerr = resolve(action)
if not action then return fail(rerr) end
if not action.edit then return fail("the quick fix has no edit: " .. vim.inspect(action)) end
out.applied = action.title
step("code action")
vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
vim.cmd("silent wall")
out.modified = edited_paths(action.edit)
step("applied and saved")
finish(0)
