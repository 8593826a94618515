"""Watched log files: discovery, `didChangeWatchedFiles` or polling, tailing appends.

Log files need not be open. When the client can register file watchers dynamically the
server asks it to watch the log globs (and policy files, to re-index); otherwise (Neovim)
it polls: `stat` every `logs.pollInterval` seconds and re-discovers new files now and then.
Appends are read with `denials.LogTail`; a file that shrank or was replaced (rotation) is
read again from the start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from accessdenied import safeio
from accessdenied.lsp import diagnostics, globs, indexing
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import (
    AccessDeniedServer,
    DenialSource,
    path_to_uri,
    uri_to_path,
)
from accessdenied.lsp.services import LogLines, LogWatcher, WatchedLog

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial

logger = logging.getLogger(__name__)

SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".tox"}
)
POLICY_WATCH_GLOBS = (
    "**/*.json",
    "**/*.{yaml,yml,template,tf}",
    "**/.accessdenied.toml",
)
# Directory walks (new log files) every this many polls, and at least a second apart.
REDISCOVER_POLLS = 10
MAX_WALK_FILES = 50_000


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def is_watched_log(ls: AccessDeniedServer, path: Path) -> bool:
    """Whether `path` is a log file the server should scan without it being open.

    FIFOs, sockets and devices (and symlinks to them) never are: reading one would
    block the server or never end (`events.json -> /dev/stdin` is its own LSP input).
    """
    if not safeio.is_regular_file(path):
        return False
    folders = tuple(ls.folders)
    if folders and not safeio.is_within(path, folders):
        return False  # a symlink out of the workspace is not followed
    if diagnostics.is_log_path(ls, path):
        return True
    if path.suffix.lower() == ".json":
        rel = diagnostics.relative(ls, path)
        if globs.matches(rel, ls.settings_service.for_path(path).logs.exclude):
            return False
        head = safeio.read_head(path, 4096)
        return diagnostics.looks_like_cloudtrail(safeio.decode_text(head))
    return False


def discover(ls: AccessDeniedServer) -> list[Path]:
    """Every log file under every workspace folder (worker thread; bounded walk)."""
    found: list[Path] = []
    seen = 0
    for root in ls.folders:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d for d in dirnames if d not in SKIP_DIRS or d == ".accessdenied"
            ]
            for name in filenames:
                seen += 1
                if seen > MAX_WALK_FILES:
                    logger.warning("stopped looking for log files after %d files", seen)
                    return found
                path = Path(dirpath) / name
                if path not in found and is_watched_log(ls, path):
                    found.append(path)
    return found


def _poll(entry: WatchedLog) -> tuple[list[Denial], bool]:
    """Read what was appended to the file (worker thread); True when it was reset."""
    from accessdenied.denials import LogTail

    now = _stat(entry.path)
    reset = False
    if entry.tail is None or now is None or entry.stat is None:
        reset = True
    elif now[0] != entry.stat[0] or now[1] < entry.stat[1]:
        reset = True  # rotated (new inode) or truncated: read it again from the start
    if now is None:
        entry.tail = None
        entry.stat = None
        return [], True
    if reset:
        # Lines as the editor counts them (a lone `\r` ends a line too).
        entry.tail = LogTail(entry.path, lsp_lines=True)
        entry.lines = LogLines()
    new = list(entry.tail.poll())
    entry.stat = now
    return new, reset


def _read_lines(entry: WatchedLog, limit: int) -> None:
    """Keep the last `limit` denials and read the lines they sit on (worker thread)."""
    entry.denials = entry.denials[-limit:]
    entry.lines = entry.lines.updated(entry.path, entry.denials)


async def rescan_file(ls: AccessDeniedServer, path: Path) -> None:
    """Tail one watched file and publish its denials (skipped while it is open)."""
    watcher: LogWatcher | None = ls.logs
    if watcher is None:
        return
    uri = path_to_uri(path)
    if ls.open_document(uri) is not None:
        return  # the editor's buffer is the truth while the document is open
    async with watcher.lock(path):
        entry = watcher.files.get(path)
        if entry is None:
            entry = watcher.files[path] = WatchedLog(path=path, uri=uri)
        try:
            new, reset = await ls.in_thread(_poll, entry)
        except Exception:
            logger.exception("reading %s failed", path)
            return
        if entry.stat is None:  # deleted
            watcher.files.pop(path, None)
            diagnostics.drop_source(ls, uri)
            return
        if not new and not reset and uri in ls.sources:
            return
        entry.denials = ([] if reset else entry.denials) + new
        limit = max(ls.settings_for(uri).logs.max_diagnostics, 1)
        try:
            await ls.in_thread(_read_lines, entry, limit)
        except Exception:
            logger.exception("reading the lines of %s failed", path)
        if not entry.denials and uri not in ls.sources:
            return
        source = DenialSource(
            uri=uri,
            label=diagnostics.relative(ls, path),
            denials=list(entry.denials),
            index=entry.lines,
        )
        ls.sources[uri] = source
        await diagnostics.publish_source(ls, source)


def forget_file(ls: AccessDeniedServer, path: Path) -> None:
    watcher: LogWatcher | None = ls.logs
    if watcher is not None:
        watcher.files.pop(path, None)
    uri = path_to_uri(path)
    if ls.open_document(uri) is None:
        diagnostics.drop_source(ls, uri)


async def scan_all(ls: AccessDeniedServer) -> None:
    """Discover log files and read each (used at start and after settings change)."""
    watcher: LogWatcher | None = ls.logs
    if watcher is None:
        return
    found = await ls.in_thread(discover, ls)
    wanted = set(found)
    for path in list(watcher.files):
        if path not in wanted:
            forget_file(ls, path)
    for path in found:
        await rescan_file(ls, path)


def dynamic_watch_supported(ls: AccessDeniedServer) -> bool:
    return bool(
        ls.client_supports(
            "workspace.did_change_watched_files.dynamic_registration", False
        )
    )


async def _register_watchers(ls: AccessDeniedServer) -> None:
    watcher = ls.logs
    assert watcher is not None
    if watcher.registration_id is not None:
        old = watcher.registration_id
        watcher.registration_id = None
        try:
            await ls.client_unregister_capability_async(
                types.UnregistrationParams(
                    unregisterations=[
                        types.Unregistration(
                            id=old, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                        )
                    ]
                )
            )
        except Exception as exc:
            logger.info("unregistering file watchers failed: %s", exc)
    patterns = list(
        dict.fromkeys(
            [g for _, st in ls.settings_service for g in st.logs.include]
            or list(ls.settings.logs.include)
        )
    )
    patterns += POLICY_WATCH_GLOBS
    reg_id = f"accessdenied-watch-{uuid.uuid4()}"
    await ls.client_register_capability_async(
        types.RegistrationParams(
            registrations=[
                types.Registration(
                    id=reg_id,
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[
                            types.FileSystemWatcher(glob_pattern=p) for p in patterns
                        ]
                    ),
                )
            ]
        )
    )
    watcher.registration_id = reg_id


async def _poll_loop(ls: AccessDeniedServer) -> None:
    """Polling watcher for clients that cannot watch files (every `pollInterval`)."""
    watcher = ls.logs
    assert watcher is not None
    since_walk = 0.0
    while not ls.shutting_down:
        interval = ls.settings.logs.poll_interval
        await asyncio.sleep(interval)
        since_walk += interval
        try:
            changed = await ls.in_thread(_changed_files, watcher)
            for path in changed:
                await rescan_file(ls, path)
            if since_walk >= max(REDISCOVER_POLLS * interval, 1.0):
                since_walk = 0.0
                found = await ls.in_thread(discover, ls)
                for path in found:
                    if path not in watcher.files:
                        await rescan_file(ls, path)
                if await ls.in_thread(_policies_changed, ls, watcher):
                    indexing.schedule(ls, delay=0.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("polling log files failed")


def _changed_files(watcher: LogWatcher) -> list[Path]:
    out = []
    for path, entry in list(watcher.files.items()):
        if _stat(path) != entry.stat:
            out.append(path)
    return out


def policy_stats(paths: set[str]) -> dict[str, tuple[int, int]]:
    """(size, mtime) of each indexed policy file, to notice edits when polling."""
    out: dict[str, tuple[int, int]] = {}
    for path in paths:
        st = _stat(Path(path))
        out[path] = (st[1], st[2]) if st else (-1, -1)
    return out


def _policies_changed(ls: AccessDeniedServer, watcher: LogWatcher) -> bool:
    """Whether an indexed policy file changed since the index was built (polling mode)."""
    return policy_stats(set(watcher.policy_stats)) != watcher.policy_stats


async def start(ls: AccessDeniedServer) -> None:
    """Begin watching: register client watchers or start polling; read existing logs."""
    ls.logs = LogWatcher()
    ls.logs.policy_stats = await ls.in_thread(policy_stats, set(ls.index_paths))
    if dynamic_watch_supported(ls):
        try:
            await _register_watchers(ls)
        except Exception as exc:
            logger.info("client refused file watchers (%s); polling instead", exc)
    if ls.logs.registration_id is None:
        ls.logs.poll_task = ls.run_task(_poll_loop(ls), name="poll-logs")
    await scan_all(ls)


async def reconfigure(ls: AccessDeniedServer) -> None:
    """New settings: new globs to watch, files to add or drop."""
    if ls.logs is None:
        return
    if ls.logs.registration_id is not None:
        try:
            await _register_watchers(ls)
        except Exception as exc:
            logger.info("re-registering file watchers failed: %s", exc)
    await scan_all(ls)


class LogsFeature(Feature):
    """Log files on disk: discovered, watched (client watchers or polling), tailed."""

    name = "logs"

    async def initialized(self) -> None:
        await start(self.server)

    async def closed(self, uri: str) -> None:
        # A watched log file stays diagnosed from disk after the editor closes it.
        path = uri_to_path(uri)
        ls = self.server
        if (
            path is not None
            and ls.logs is not None
            and path.is_file()
            and await ls.in_thread(is_watched_log, ls, path)
        ):
            await rescan_file(ls, path)

    async def settings_changed(self) -> None:
        await reconfigure(self.server)

    async def index_changed(self) -> None:
        ls = self.server
        if ls.logs is not None:
            # The baseline polling compares against: the files as this index saw them.
            ls.logs.policy_stats = await ls.in_thread(policy_stats, set(ls.index_paths))

    async def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        ls = self.server
        for change in changes:
            path = uri_to_path(change.uri)
            if path is None:
                continue
            try:
                if change.type == types.FileChangeType.Deleted:
                    if ls.logs is not None and path in ls.logs.files:
                        forget_file(ls, path)
                    continue
                if await ls.in_thread(is_watched_log, ls, path):
                    await rescan_file(ls, path)
            except Exception:
                logger.exception("handling a change of %s failed", change.uri)
