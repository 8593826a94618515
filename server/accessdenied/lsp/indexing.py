"""Workspace indexing: build the `WorkspaceIndex` in a thread, report `$/progress`, swap it.

The index is immutable and replaced with one attribute assignment, so readers never lock.
A rebuild is debounced (policy saves, watched policy files changing) and, when it lands,
every denial's related information and "was denied" target is recomputed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import walk
from accessdenied.lsp.convert import path_to_uri, uri_to_path
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer

if TYPE_CHECKING:
    from accessdenied.lsp.walk import Baseline
    from accessdenied.workspace import WorkspaceIndex

logger = logging.getLogger(__name__)
INDEX_WAIT = 3.0  # seconds the first log scan waits for the workspace index
POLICY_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".template", ".tf"})
CONFIG_NAMES = frozenset({".accessdenied.toml", "pyproject.toml"})


def schedule(
    ls: AccessDeniedServer, delay: float = 0.5, progress: bool = False
) -> None:
    """Rebuild the index after `delay` seconds (debounced)."""
    ls.debounce("index", delay, lambda: rebuild(ls, progress=progress))


def _describe(index: Any) -> tuple[set[str], dict[str, str]]:
    """Paths of indexed policy files and the policy kind each is known as."""
    paths: set[str] = set()
    kinds: dict[str, str] = {}
    for path, info in dict(getattr(index, "files", {}) or {}).items():
        bindings: Any = getattr(info, "bindings", None)
        if getattr(info, "document", None) is not None or bindings:
            paths.add(str(path))
    for ref in getattr(index, "refs", ()) or ():
        path = str(getattr(ref, "path", ""))
        kind = getattr(ref, "kind", None)
        if path and getattr(ref, "embed", "json") == "json":
            paths.add(path)
            if kind in ("identity", "resource", "trust", "scp", "rcp"):
                kinds.setdefault(path, str(kind))
    return paths, kinds


async def rebuild(ls: AccessDeniedServer, progress: bool = False) -> None:
    """Build the index now (with `$/progress` when asked and supported) and swap it in."""
    from accessdenied.workspace import build_index

    root = ls.root_path
    if root is None:
        logger.info("no workspace folder: the workspace index stays empty")
        ls.indexes.ready.set()
        return
    token: str | None = None
    if progress and ls.client_supports("window.work_done_progress", False):
        token = f"accessdenied-index-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), 5)
            ls.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title="AccessDenied: indexing policies",
                    message=str(root.name),
                    cancellable=False,
                    percentage=0,
                ),
            )
        except Exception as exc:
            logger.info("progress not available: %s", exc)
            token = None
    # The files as they are when the build starts (walked beside it, in the other
    # worker): later walks compare against this to notice new or renamed policies.
    walking = asyncio.ensure_future(
        ls.in_thread(walk.baseline, ls, set(ls.index_paths))
    )
    started = time.perf_counter()
    try:
        # Outside the workspace only with the user's explicit (machine-scoped) setting.
        outside = ls.settings.policy.allow_outside_reads
        index: WorkspaceIndex | None = await ls.in_thread(
            build_index, root, None, None, outside
        )
    except Exception:
        logger.exception("indexing the workspace failed")
        index = None
    elapsed = time.perf_counter() - started
    seen: Baseline | None = None
    try:
        seen = await walking
    except Exception:
        logger.exception("walking the workspace failed")
    config_error = getattr(index, "config_error", None)
    if config_error is not None:
        logger.warning("project config: %s", config_error)
    if index is not None:
        paths, kinds = await ls.in_thread(_describe, index)
        ls.indexes.swap(index, paths, kinds, seen)
        logger.info("indexed %d policy files in %.2f s", len(paths), elapsed)
        publish_boundary(ls, index)
    if token is not None:
        ls.work_done_progress.end(
            token,
            types.WorkDoneProgressEnd(
                message=f"{len(ls.index_paths)} policy files" if index else "no index"
            ),
        )
    ls.indexes.ready.set()
    if index is not None:
        await ls.dispatch("index_changed")


def publish_boundary(ls: AccessDeniedServer, index: Any) -> None:
    """Warnings on the config/template lines that point outside the workspace.

    Such entries are neither read nor edited.
    """
    by_uri: dict[str, list[types.Diagnostic]] = {}
    for b in getattr(index, "boundary", ()) or ():
        line = max(int(b.line) - 1, 0)
        by_uri.setdefault(path_to_uri(b.path), []).append(
            types.Diagnostic(
                range=types.Range(
                    start=types.Position(line=line, character=0),
                    end=types.Position(line=line + 1, character=0),
                ),
                message=str(b.message),
                severity=types.DiagnosticSeverity.Warning,
                code=str(b.code),
                source="accessdenied",
            )
        )
    for uri in set(ls.store.uris("boundary")) - set(by_uri):
        ls.store.clear(uri, "boundary")
    for uri, diags in by_uri.items():
        ls.store.set(uri, "boundary", diags)


def is_policy_path(path: Path) -> bool:
    """A file whose change may change the index (policy files, the project config)."""
    return path.suffix.lower() in POLICY_SUFFIXES or path.name in CONFIG_NAMES


class IndexingFeature(Feature):
    """Builds the index on start, rebuilds it when policy files change."""

    name = "indexing"

    async def initialized(self) -> None:
        schedule(self.server, delay=0.0, progress=True)
        # Give the index a moment so that the first log diagnostics already point at
        # policy files; a slow index only delays the enrichment, never the denials.
        await self.server.indexes.wait(INDEX_WAIT)

    async def settings_changed(self) -> None:
        index = self.server.index
        wanted = self.server.settings.policy.allow_outside_reads
        if index is not None and index.allow_outside != wanted:
            schedule(self.server, delay=0.0)

    async def saved(self, uri: str) -> None:
        if self.server.kinds.get(uri) == "policy":
            schedule(self.server)

    async def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        watched = self.server.logs.files if self.server.logs is not None else {}
        for change in changes:
            path = uri_to_path(change.uri)
            if path is not None and is_policy_path(path) and path not in watched:
                schedule(self.server)
                return
