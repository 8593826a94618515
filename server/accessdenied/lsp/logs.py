"""Watched log files: discovery, `didChangeWatchedFiles` or polling, tailing appends.

Log files need not be open. When the client can register file watchers dynamically the
server asks it to watch the log globs (and policy files, to re-index). It polls either
way: `stat` of the known logs every `logs.pollInterval` seconds, and a bounded walk for
new log files and new, renamed or removed policy files now and then (every few seconds
beside client watchers, which miss new and ignored directories and relative globs).
Appends are read with `denials.LogTail`; a file that shrank or was replaced (rotation) is
read again from the start.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from accessdenied.lsp import diagnostics, indexing
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import (
    AccessDeniedServer,
    DenialSource,
    path_to_uri,
    uri_to_path,
)
from accessdenied.lsp.services import LogLines, LogWatcher, WatchedLog
from accessdenied.lsp.walk import is_watched_log, stat_of, walk

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial

logger = logging.getLogger(__name__)

POLICY_WATCH_GLOBS = (
    "**/*.json",
    "**/*.{yaml,yml,template,tf}",
    "**/.accessdenied.toml",
)
# Directory walks (new log files) every this many polls, and at least a second apart.
REDISCOVER_POLLS = 10
#: Beside client file watchers the walk is slow (they report most changes); it
#: catches what they cannot: new directories, ignored ones, relative globs.
SLOW_WALK_SECONDS = 5.0
_stat = stat_of


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
    walked = await ls.in_thread(walk, ls)
    wanted = set(walked.logs)
    for path in list(watcher.files):
        if path not in wanted:
            forget_file(ls, path)
    for path in walked.logs:
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
    """The poll: known logs every `pollInterval`, a bounded walk now and then.

    It runs beside client file watchers too, which miss what they do not watch (Emacs
    eglot: no ignored or newly created directory, globs matched against absolute
    paths); then the walk is slow (SLOW_WALK_SECONDS).
    """
    watcher = ls.logs
    assert watcher is not None
    since_walk = 0.0
    while not ls.shutting_down:
        interval = ls.settings.logs.poll_interval
        await asyncio.sleep(interval)
        since_walk += interval
        every = SLOW_WALK_SECONDS if watcher.registration_id is not None else 1.0
        try:
            changed = await ls.in_thread(_changed_files, watcher)
            for path in changed:
                await rescan_file(ls, path)
            if since_walk >= max(REDISCOVER_POLLS * interval, every):
                since_walk = 0.0
                await _walk_once(ls, watcher)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("polling log files failed")


async def _walk_once(ls: AccessDeniedServer, watcher: LogWatcher) -> None:
    """New log files are read; new, renamed, removed or edited policy files re-index."""
    found = await ls.in_thread(walk, ls)
    for path in found.logs:
        if path not in watcher.files:
            await rescan_file(ls, path)
    snap = ls.indexes.snapshot
    if snap.baseline is not None and await ls.in_thread(
        snap.baseline.changed, found, snap.paths
    ):
        indexing.schedule(ls, delay=0.0)


def _changed_files(watcher: LogWatcher) -> list[Path]:
    out = []
    for path, entry in list(watcher.files.items()):
        if _stat(path) != entry.stat:
            out.append(path)
    return out


async def start(ls: AccessDeniedServer) -> None:
    """Begin watching: register client watchers or start polling; read existing logs."""
    ls.logs = LogWatcher()
    if dynamic_watch_supported(ls):
        try:
            await _register_watchers(ls)
        except Exception as exc:
            logger.info("client refused file watchers (%s); polling instead", exc)
    # Polling runs beside client watchers too (slower then: see _poll_loop).
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
