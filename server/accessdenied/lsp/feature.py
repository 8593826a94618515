"""`Feature`: one LSP feature module's hooks (esbonio's LanguageFeature shape).

The server owns the document-sync and lifecycle handlers and calls these hooks on every
feature in registration order, so a new feature is one class in one module, added in
`build_server()`. Request handlers (hover, completion, code actions) are registered by
the feature's `register` with pygls's ordinary `@server.feature`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from accessdenied.lsp.server import AccessDeniedServer


class Feature:
    """Base class: every hook is optional (a no-op here)."""

    #: Shown in logs when a hook fails.
    name = "feature"

    def __init__(self, server: AccessDeniedServer) -> None:
        self.server = server

    def register(self) -> None:
        """Register request handlers and commands (pygls `@server.feature`)."""

    async def initialized(self) -> None:
        """After `initialized` and the first settings pull."""

    async def opened(self, uri: str) -> None:
        """A document was opened."""

    async def changed(self, uri: str) -> None:
        """A document changed (features debounce themselves)."""

    async def saved(self, uri: str) -> None:
        """A document was saved."""

    async def closed(self, uri: str) -> None:
        """A document was closed."""

    async def settings_changed(self) -> None:
        """New settings were installed."""

    async def index_changed(self) -> None:
        """A new workspace index was swapped in."""

    async def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        """The client's file watchers (or the poll) saw files change."""

    def rewrite_diagnostics(
        self, uri: str, producer: str, diagnostics: Sequence[types.Diagnostic]
    ) -> Sequence[types.Diagnostic]:
        """Adjust diagnostics before they are stored and published (default: as is)."""
        return diagnostics

    def shutdown(self) -> None:
        """The client asked the server to shut down."""
