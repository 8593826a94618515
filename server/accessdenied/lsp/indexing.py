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
from typing import Any

from lsprotocol import types

from accessdenied.lsp.server import AccessDeniedServer
from accessdenied.workspace import WorkspaceIndex, build_index

logger = logging.getLogger(__name__)


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
    from accessdenied.lsp import diagnostics

    root = ls.root_path
    if root is None:
        logger.info("no workspace folder: the workspace index stays empty")
        ls.index_done.set()
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
    started = time.perf_counter()
    try:
        index: WorkspaceIndex | None = await ls.in_thread(build_index, root)
    except Exception:
        logger.exception("indexing the workspace failed")
        index = None
    elapsed = time.perf_counter() - started
    config_error = getattr(index, "config_error", None)
    if config_error is not None:
        logger.warning("project config: %s", config_error)
    if index is not None:
        paths, kinds = await ls.in_thread(_describe, index)
        if ls.logs is not None:
            from accessdenied.lsp.logs import policy_stats

            # The baseline polling compares against: the files as this index saw them.
            ls.logs.policy_stats = await ls.in_thread(policy_stats, paths)
        ls.index = index
        ls.index_paths = paths
        ls.index_kinds = kinds
        ls.index_generation += 1
        logger.info("indexed %d policy files in %.2f s", len(paths), elapsed)
        publish_boundary(ls, index)
    if token is not None:
        ls.work_done_progress.end(
            token,
            types.WorkDoneProgressEnd(
                message=f"{len(ls.index_paths)} policy files" if index else "no index"
            ),
        )
    ls.index_done.set()
    if index is not None:
        await diagnostics.republish_all(ls)


def publish_boundary(ls: AccessDeniedServer, index: Any) -> None:
    """Warnings on the config/template lines that point outside the workspace.

    Such entries are neither read nor edited.
    """
    from accessdenied.lsp.server import path_to_uri

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


def register(server: AccessDeniedServer) -> None:
    """Indexing is started from `initialized` (see config.py); nothing to register."""
