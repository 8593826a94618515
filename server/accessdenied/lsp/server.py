"""The language server object: services, the feature list, and `build_server()`.

State lives in services (`lsp/services.py`: the index snapshot, denial sources, settings
per workspace folder) and in the diagnostic store here; behaviour lives in features
(`lsp/feature.py`), one module each, called in order by the lifecycle handlers
(`lsp/lifecycle.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from accessdenied import __version__, safeio
from accessdenied.lsp import convert
from accessdenied.lsp.convert import path_to_uri, uri_to_path
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.services import (
    DenialSource,
    DenialSources,
    IndexService,
    LogWatcher,
    SettingsService,
    TerminalBuffer,
)
from accessdenied.lsp.settings import Settings
from accessdenied.text import has_bidi, neutralize_bidi

if TYPE_CHECKING:
    from accessdenied.explain import PolicyAnalysis
    from accessdenied.workspace import WorkspaceIndex

logger = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Feature)

NAME = "accessdenied"


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
        diagnostics = self.server.rewrite_diagnostics(uri, producer, diagnostics)
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
                uri=uri, diagnostics=[_visible(d) for d in diagnostics], version=version
            )
        )
        if not diagnostics:
            self._by_uri.pop(uri, None)


def _visible(d: types.Diagnostic) -> types.Diagnostic:
    """`d` with bidi controls in its texts shown as <U+XXXX> (Trojan Source, issue 18)."""
    if has_bidi(d.message) or any(
        has_bidi(r.message) for r in d.related_information or ()
    ):
        return attrs.evolve(
            d,
            message=neutralize_bidi(d.message),
            related_information=[
                attrs.evolve(r, message=neutralize_bidi(r.message))
                for r in d.related_information or ()
            ]
            or d.related_information,
        )
    return d


class AccessDeniedServer(LanguageServer):
    """pygls server plus accessdenied state (see module docstring)."""

    def __init__(self) -> None:
        from accessdenied.lsp.protocol import AccessDeniedProtocol

        super().__init__(
            NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=AccessDeniedProtocol,
        )
        self.settings_service = SettingsService()
        self.initialization_options: Any = None
        self.indexes = IndexService()
        self.loop: asyncio.AbstractEventLoop | None = None  # set on initialize
        # Core work gets its own pool: pygls reads stdin through `thread_pool`, and a busy
        # pool must never delay reading `$/cancelRequest`.
        self.core_pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="accessdenied-core"
        )
        self.explain_cache: dict[Any, Any] = {}
        #: Bumped whenever an open policy buffer changes (cached explanations read it).
        self.buffers_generation = 0
        self.buffer_versions: dict[str, int | None] = {}
        #: uri -> (version key, PolicyAnalysis): one analysis per document version.
        self.analyses: dict[str, tuple[Any, PolicyAnalysis]] = {}
        self.kinds: dict[str, str] = {}  # uri -> "log" | "policy" for open documents
        self.store = DiagnosticStore(self)
        self.sources = DenialSources()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.debounced: dict[str, asyncio.Task[Any]] = {}
        self._debounce_locks: dict[str, asyncio.Lock] = {}
        self.features: list[Feature] = []
        self.logs: LogWatcher | None = None
        # Insertion order = least recently active first (bounded, see terminal.py).
        self.terminals: OrderedDict[str, TerminalBuffer] = OrderedDict()
        self.shutting_down = False
        #: Settings error messages already shown (each is told once).
        self.reported_settings_errors: set[str] = set()
        # Test-only fault injection: ACCESSDENIED_LSP_FAULTS="hover,completion" makes
        # those features raise, to prove a crashing feature never takes the server down.
        self.faults = frozenset(
            f.strip()
            for f in os.environ.get("ACCESSDENIED_LSP_FAULTS", "").split(",")
            if f.strip()
        )

    @property
    def settings(self) -> Settings:
        """The default settings (the first workspace folder's)."""
        return self.settings_service.default

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.settings_service.default = value

    def settings_for(self, uri: str) -> Settings:
        """The settings of the workspace folder holding `uri`."""
        return self.settings_service.for_path(uri_to_path(uri))

    @property
    def index(self) -> WorkspaceIndex | None:
        """The current workspace index (None until the first build)."""
        return self.indexes.snapshot.index

    @index.setter
    def index(self, value: WorkspaceIndex | None) -> None:
        snap = self.indexes.snapshot
        self.indexes.swap(value, snap.paths, snap.kinds)

    @property
    def index_paths(self) -> frozenset[str]:
        return self.indexes.snapshot.paths

    @index_paths.setter
    def index_paths(self, value: set[str] | frozenset[str]) -> None:
        snap = self.indexes.snapshot
        self.indexes.snapshot = dataclasses.replace(snap, paths=frozenset(value))

    @property
    def index_kinds(self) -> Mapping[str, str]:
        return self.indexes.snapshot.kinds

    @property
    def index_generation(self) -> int:
        return self.indexes.snapshot.generation

    @property
    def index_done(self) -> asyncio.Event:
        return self.indexes.ready

    def get_feature(self, cls: type[F]) -> F:
        """The registered feature of type `cls` (KeyError when there is none)."""
        for feature in self.features:
            if isinstance(feature, cls):
                return feature
        raise KeyError(cls.__name__)

    def add_feature(self, feature: Feature) -> Feature:
        """Append a feature (hooks run in the order features were added)."""
        self.features.append(feature)
        feature.register()
        return feature

    async def dispatch(self, hook: str, *args: Any) -> None:
        """Call `hook(*args)` on every feature in order; a failing hook is logged."""
        for feature in list(self.features):
            try:
                await getattr(feature, hook)(*args)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s: %s failed", feature.name, hook)

    def rewrite_diagnostics(
        self, uri: str, producer: str, diagnostics: Sequence[types.Diagnostic]
    ) -> Sequence[types.Diagnostic]:
        for feature in self.features:
            try:
                diagnostics = feature.rewrite_diagnostics(uri, producer, diagnostics)
            except Exception:
                logger.exception("%s: rewriting diagnostics failed", feature.name)
        return diagnostics

    def _start_io_async(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve stdio with the protocol edges closed (see lsp/protocol.py)."""
        from accessdenied.lsp import protocol

        protocol.start_io(self)

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

    @property
    def folders(self) -> list[Path]:
        """Every workspace folder (or the root URI) as a path, first folder first."""
        try:
            ws = self.workspace
        except Exception:
            return []
        out: list[Path] = []
        uris_ = [f.uri for f in ws.folders.values()] or [ws.root_uri or ""]
        for uri in uris_:
            path = uris.to_fs_path(uri) if uri else None
            if path and Path(path) not in out:
                out.append(Path(path))
        return out

    def folder_of(self, path: Path) -> Path | None:
        """The (deepest) workspace folder holding `path`."""
        best: Path | None = None
        for folder in self.folders:
            if (path == folder or folder in path.parents) and (
                best is None or len(folder.parts) > len(best.parts)
            ):
                best = folder
        return best

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
        try:
            value: Any = self.client_capabilities
        except AttributeError:  # before initialize (unit tests drive features directly)
            return default
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return default
        return value


__all__ = [
    "NAME",
    "AccessDeniedServer",
    "DenialSource",
    "DiagnosticStore",
    "LogWatcher",
    "TerminalBuffer",
    "path_to_uri",
    "uri_to_path",
]
