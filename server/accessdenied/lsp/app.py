"""`build_server()`: the server with its lifecycle handlers and every feature.

Adding a feature is one line here; hooks run in the order features are added.
"""

from __future__ import annotations

from accessdenied.lsp import (
    code_actions,
    completion,
    diagnostics,
    hover,
    indexing,
    lifecycle,
    live_features,
    logs,
    terminal,
)
from accessdenied.lsp.server import AccessDeniedServer


def build_server() -> AccessDeniedServer:
    """A fresh server with every feature registered (hooks run in this order)."""
    server = AccessDeniedServer()
    lifecycle.register(server)
    server.add_feature(indexing.IndexingFeature(server))
    server.add_feature(diagnostics.DiagnosticsFeature(server))
    server.add_feature(logs.LogsFeature(server))
    server.add_feature(terminal.TerminalFeature(server))
    server.add_feature(code_actions.CodeActionsFeature(server))
    server.add_feature(hover.HoverFeature(server))
    server.add_feature(completion.CompletionFeature(server))
    live_features.register(server)
    return server
