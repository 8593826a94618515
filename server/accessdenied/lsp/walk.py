"""The bounded walk of the workspace folders: log files, policy candidates, a baseline.

Client file watchers miss what they do not watch (Emacs eglot: no ignored or newly
created directory, globs matched against absolute paths), so the server walks the
folders itself now and then. A walk follows the workspace index's rules (its ignore
list, minus the folders logs are written to; no symlinked folder followed; FIFOs and
devices never opened) and stops at MAX_WALK_FILES files or WALK_BUDGET_SECONDS.
A `Baseline` taken just before an index build tells later walks whether a policy
file appeared, went away (a rename is both) or changed since.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from accessdenied import safeio
from accessdenied.lsp import diagnostics, globs
from accessdenied.workspace.discovery import IGNORED_DIRS, POLICY_SUFFIXES

if TYPE_CHECKING:
    from accessdenied.lsp.server import AccessDeniedServer

logger = logging.getLogger(__name__)

#: The workspace index's ignore list, minus the folders logs are written to.
SKIP_DIRS = IGNORED_DIRS - {"build", "dist", ".accessdenied"}
CONFIG_NAMES = frozenset({".accessdenied.toml"})
MAX_WALK_FILES = 50_000
#: Wall-clock budget of one walk; a walk cut short changes nothing it did not see.
WALK_BUDGET_SECONDS = 1.0
_told_budget = False


def stat_of(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime_ns) of `path`, None when it is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Walk:
    """One bounded walk of every workspace folder."""

    logs: list[Path]
    #: Files that could hold a policy (the index's rules) and project configs.
    candidates: frozenset[str]
    #: False when the walk stopped at its file or time budget.
    complete: bool


@dataclass(frozen=True)
class Baseline:
    """The policy candidates, and their (inode, size, mtime), before an index build."""

    candidates: frozenset[str]
    complete: bool
    stats: Mapping[str, tuple[int, int, int] | None] = field(default_factory=dict)

    def changed(self, now: Walk, indexed: Iterable[str]) -> bool:
        """Whether the index is stale (worker thread): files added, removed or edited.

        Only indexed files and project configs are compared by their state (a growing
        CloudTrail JSON log is a candidate too, and must not re-index on every append).
        """
        if self.complete and now.complete and now.candidates != self.candidates:
            return True
        watched = set(indexed) | {
            p for p in self.stats if os.path.basename(p) in CONFIG_NAMES
        }
        return any(
            p in self.stats and stat_of(Path(p)) != self.stats[p] for p in watched
        )


def baseline(ls: AccessDeniedServer, indexed: Iterable[str] = ()) -> Baseline:
    """Walk now and remember the state of every candidate (worker thread)."""
    found = walk(ls)
    paths = set(found.candidates) | set(indexed)
    return Baseline(
        found.candidates, found.complete, {p: stat_of(Path(p)) for p in paths}
    )


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
        return _is_cloudtrail(ls, path)
    return False


def _is_cloudtrail(ls: AccessDeniedServer, path: Path) -> bool:
    """Whether a JSON file holds CloudTrail records (its head; cached per file state)."""
    cache = ls.logs.cloudtrail_heads if ls.logs is not None else None
    now = stat_of(path)
    if cache is not None and now is not None:
        hit = cache.get(path)
        if hit is not None and hit[0] == now:
            return hit[1]
    head = safeio.read_head(path, 4096)
    found = diagnostics.looks_like_cloudtrail(safeio.decode_text(head))
    if cache is not None and now is not None:
        if len(cache) > MAX_WALK_FILES:
            cache.clear()
        cache[path] = (now, found)
    return found


def walk(ls: AccessDeniedServer) -> Walk:
    """Log files and policy candidates under every workspace folder (worker thread)."""
    found: list[Path] = []
    seen_logs: set[Path] = set()
    candidates: set[str] = set()
    seen = 0
    deadline = time.monotonic() + WALK_BUDGET_SECONDS
    for root in ls.folders:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            # Policies are looked for where the index looks; logs in build/ too.
            index_skips = any(
                part in IGNORED_DIRS for part in here.relative_to(root).parts
            )
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in filenames:
                seen += 1
                if seen > MAX_WALK_FILES or (
                    seen % 256 == 0 and time.monotonic() > deadline
                ):
                    global _told_budget
                    if not _told_budget:
                        _told_budget = True
                        logger.info(
                            "stopped looking for new files after %d files (walk "
                            "budget); new files deeper in are seen through the "
                            "client's watchers only",
                            seen,
                        )
                    return Walk(found, frozenset(candidates), False)
                path = here / name
                suffix = os.path.splitext(name)[1].lower()
                if not index_skips and (
                    suffix in POLICY_SUFFIXES or name in CONFIG_NAMES
                ):
                    candidates.add(str(path))
                if path in seen_logs:
                    continue
                if (
                    suffix == ".json" or diagnostics.is_log_path(ls, path)
                ) and is_watched_log(ls, path):
                    seen_logs.add(path)
                    found.append(path)
    return Walk(found, frozenset(candidates), True)
