-- Neovim 0.11+ native config: with client-nvim on 'runtimepath', `vim.lsp.enable("accessdenied")`
-- is all it takes. Override anything with vim.lsp.config("accessdenied", {...}).
return {
  cmd = { "accessdenied", "serve" },
  filetypes = { "json", "yaml", "terraform", "hcl", "log" },
  root_markers = { ".accessdenied.toml", "pyproject.toml", ".git" },
  -- The nearest root marker, else the cwd: without a root the server has no workspace folder,
  -- hence no policy index and no quick fixes.
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, { ".accessdenied.toml", "pyproject.toml", ".git" })
    on_dir(root or vim.fn.getcwd())
  end,
  settings = {
    accessdenied = {
      terminal = { enabled = true, forward = true },
      aws = { liveMode = false, profile = "", region = "" },
    },
  },
}
