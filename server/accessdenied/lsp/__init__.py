"""The language server (pygls): a thin protocol layer over the pure core.

`build_server()` in `server.py` wires one module per feature; `convert.py` is the only
place where 1-based core positions become 0-based LSP positions.
"""

from accessdenied.lsp.server import AccessDeniedServer, build_server

__all__ = ["AccessDeniedServer", "build_server"]
