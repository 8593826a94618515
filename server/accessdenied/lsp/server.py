"""The language server object, its shared state, and `build_server()`.

State lives here and nowhere else: settings, the current `WorkspaceIndex` (swapped whole),
per-URI diagnostics by source, denials seen per log/terminal source, and background tasks.
Feature modules (`diagnostics`, `logs`, `terminal`, `code_actions`, `hover`,
`completion`, `indexing`, `config`) register their handlers in `build_server()`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from accessdenied import __version__, safeio
from accessdenied.denials.model import Denial
from accessdenied.lsp import convert
from accessdenied.lsp.settings import Settings
from accessdenied.text import LineIndex

logger = logging.getLogger(__name__)
T = TypeVar("T")

NAME = "accessdenied"


@dataclass
class DenialSource:
    """Denials currently known for one log document, watched file or terminal."""

    uri: str
    label: str
    denials: list[Denial] = field(default_factory=list)
    index: LineIndex | None = None
    version: int | None = None


class DiagnosticStore:
    """Diagnostics per URI, kept per producer (`findings`, `denials`, `policy-denials`).

    Publishing always sends the union, so one producer never wipes another's results.
    """

    def __init__(self, server: AccessDeniedServer) -> None:
        self.server = server
        self._by_uri: dict[str, dict[str, list[types.Diagnostic]]] = {}

    def set(
        self,
        uri: str,
        producer: str,
        diagnostics: Sequence[types.Diagnostic],
        version: int | None = None,
    ) -> None:
        producers = self._by_uri.setdefault(uri, {})
        if not diagnostics and producer not in producers:
            if not producers:
                del self._by_uri[uri]
            # An open document always hears back (empty), so clients can clear state.
            if self.server.open_document(uri) is not None:
                self.publish(uri, version)
            return
        producers[producer] = list(diagnostics)
        self.publish(uri, version)

    def clear(self, uri: str, producer: str) -> None:
        producers = self._by_uri.get(uri)
        if producers is None or producer not in producers:
            return
        del producers[producer]
        self.publish(uri)

    def get(self, uri: str) -> list[types.Diagnostic]:
        return [d for ds in self._by_uri.get(uri, {}).values() for d in ds]

    def uris(self, producer: str) -> list[str]:
        return [u for u, p in self._by_uri.items() if producer in p]

    def publish(self, uri: str, version: int | None = None) -> None:
        diagnostics = self.get(uri)
        if version is None:
            doc = self.server.open_document(uri)
            version = doc.version if doc is not None else None
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, diagnostics=diagnostics, version=version
            )
        )
        if not diagnostics:
            self._by_uri.pop(uri, None)


class AccessDeniedServer(LanguageServer):
    """pygls server plus accessdenied state (see module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = Settings()
        self.initialization_options: Any = None
        self.index: Any = None  # accessdenied.workspace.WorkspaceIndex, swapped whole
        self.index_generation = 0
        self.loop: asyncio.AbstractEventLoop | None = None  # set on initialize
        # Core work gets its own pool: pygls reads stdin through `thread_pool`, and a busy
        # pool must never delay reading `$/cancelRequest`.
        self.core_pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="accessdenied-core"
        )
        self.index_paths: set[str] = set()
        self.index_kinds: dict[str, str] = {}
        self.index_done = asyncio.Event()
        self.explain_cache: dict[Any, Any] = {}
        self.kinds: dict[str, str] = {}  # uri -> "log" | "policy" for open documents
        self.store = DiagnosticStore(self)
        self.sources: dict[str, DenialSource] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.debounced: dict[str, asyncio.Task[Any]] = {}
        self._debounce_locks: dict[str, asyncio.Lock] = {}
        self.logs: Any = None  # logs.LogWatcher
        self.terminals: Any = None  # terminal.Terminals
        self.shutting_down = False
        # Test-only fault injection: ACCESSDENIED_LSP_FAULTS="hover,completion" makes
        # those features raise, to prove a crashing feature never takes the server down.
        self.faults = frozenset(
            f.strip()
            for f in os.environ.get("ACCESSDENIED_LSP_FAULTS", "").split(",")
            if f.strip()
        )

    def fault(self, feature: str) -> None:
        """Raise when the test-only fault for `feature` is switched on."""
        if feature in self.faults:
            raise RuntimeError(f"injected fault in {feature}")

    @property
    def encoding(self) -> str:
        """The negotiated position encoding (`utf-16` before initialize)."""
        try:
            return convert.encoding_name(self.workspace.position_encoding)
        except Exception:
            return convert.UTF16

    @property
    def root_path(self) -> Path | None:
        """The first workspace folder (or root URI) as a path."""
        try:
            ws = self.workspace
        except Exception:
            return None
        folders = list(ws.folders.values())
        candidates = [f.uri for f in folders] + [ws.root_uri or ""]
        for uri in candidates:
            path = uris.to_fs_path(uri) if uri else None
            if path:
                return Path(path)
        return None

    def open_document(self, uri: str) -> Any:
        """The open `TextDocument` for `uri`, or None when the client has not opened it."""
        try:
            docs = self.workspace.text_documents
        except Exception:
            return None
        return docs.get(uri)

    def read_text(self, path: str | Path) -> str:
        """A file's text: the editor's buffer when open, else the disk (thread-safe)."""
        doc = self.open_document(path_to_uri(path))
        if doc is not None:
            return str(doc.source)
        # Bounded, never blocks on a FIFO/device, UTF-8 BOM dropped (as editors show it).
        return safeio.read_text(path)

    def run_task(
        self, coro: Coroutine[Any, Any, T], name: str = "task"
    ) -> asyncio.Task[T]:
        """Start a background task; keep a reference and log its failure."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(functools.partial(self._task_done, name))
        return task

    def _task_done(self, name: str, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("background task %s failed: %r", name, exc, exc_info=exc)

    def debounce(
        self,
        key: str,
        delay: float,
        factory: Callable[[], Awaitable[Any]],
    ) -> None:
        """Run `factory()` after `delay` seconds unless `key` is debounced again first.

        Only a run still waiting is cancelled; once started, a run completes, and runs of
        one key never overlap (a later one waits), so a slow run is never starved by a
        stream of triggers and an older run never overwrites a newer one.
        """
        old = self.debounced.pop(key, None)
        if old is not None and not old.done():
            old.cancel()

        async def later() -> None:
            if delay > 0:
                await asyncio.sleep(delay)
            if self.debounced.get(key) is task:
                del self.debounced[key]
            lock = self._debounce_locks.setdefault(key, asyncio.Lock())
            async with lock:
                await factory()

        task = self.run_task(later(), name=f"debounce:{key}")
        self.debounced[key] = task

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking core work in the server's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.core_pool, functools.partial(fn, *args))

    def client_supports(self, dotted: str, default: Any = None) -> Any:
        """A client capability by dotted snake_case path (None-safe)."""
        value: Any = self.client_capabilities
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return default
        return value


def path_to_uri(path: str | Path) -> str:
    return str(uris.from_fs_path(str(path)) or Path(path).absolute().as_uri())


def uri_to_path(uri: str) -> Path | None:
    path = uris.to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def build_server() -> AccessDeniedServer:
    """A fresh server with every feature registered."""
    from accessdenied.lsp import (
        code_actions,
        completion,
        config,
        diagnostics,
        hover,
        indexing,
        live_features,
        logs,
        terminal,
    )

    server = AccessDeniedServer()
    config.register(server)
    indexing.register(server)
    diagnostics.register(server)
    logs.register(server)
    terminal.register(server)
    code_actions.register(server)
    hover.register(server)
    completion.register(server)
    live_features.register(server)
    return server
