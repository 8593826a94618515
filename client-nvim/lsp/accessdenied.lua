-- Neovim 0.11+ native config: with client-nvim on 'runtimepath', `vim.lsp.enable("accessdenied")`
-- is all it takes. Override anything with vim.lsp.config("accessdenied", {...}).
return {
  cmd = { "accessdenied", "serve" },
  filetypes = { "json", "yaml", "terraform", "hcl", "log" },
  root_markers = { ".accessdenied.toml", "pyproject.toml", ".git" },
  settings = {
    accessdenied = {
      terminal = { enabled = true, forward = true },
      aws = { liveMode = false, profile = "", region = "" },
    },
  },
}
