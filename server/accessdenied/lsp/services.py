"""Small services the features share: the index snapshot, denial sources, settings.

Each holds one kind of state and nothing else; features read them, and only the
owning feature writes (indexing swaps the snapshot, the log/terminal features put
sources). No service imports a feature.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessdenied.lsp.settings import Settings
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.workspace import WorkspaceIndex

#: Terminal buffers keep this many lines; a "line" longer than MAX_PENDING is flushed.
MAX_LINES = 2000
MAX_PENDING = 64 * 1024
#: ...and at most this many characters (the tail); a longer line keeps its end.
MAX_CHARS = 1 << 20
MAX_LINE_CHARS = 64 * 1024
#: Terminals remembered at once (the least recently active is forgotten first).
MAX_TERMINALS = 64


@dataclass(frozen=True)
class IndexSnapshot:
    """One built workspace index plus what the features ask of it (immutable)."""

    index: WorkspaceIndex | None = None
    generation: int = 0
    #: Paths of indexed policy files.
    paths: frozenset[str] = frozenset()
    #: Policy type each indexed standalone file is known as.
    kinds: Mapping[str, str] = field(default_factory=dict)


class IndexService:
    """The current `IndexSnapshot`, swapped in one assignment; readers never lock."""

    def __init__(self) -> None:
        self.snapshot = IndexSnapshot()
        #: Set once the first build finished (with or without an index).
        self.ready = asyncio.Event()

    @property
    def index(self) -> WorkspaceIndex | None:
        return self.snapshot.index

    def swap(
        self,
        index: WorkspaceIndex | None,
        paths: frozenset[str] | set[str],
        kinds: Mapping[str, str],
    ) -> IndexSnapshot:
        """Install a new index (one assignment) and return the snapshot."""
        self.snapshot = IndexSnapshot(
            index, self.snapshot.generation + 1, frozenset(paths), dict(kinds)
        )
        return self.snapshot

    async def wait(self, timeout: float) -> WorkspaceIndex | None:
        """The index, waiting at most `timeout` seconds for the first build."""
        if not self.ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), timeout)
        return self.snapshot.index


@dataclass
class DenialSource:
    """Denials currently known for one log document, watched file or terminal."""

    uri: str
    label: str
    denials: list[Denial] = field(default_factory=list)
    index: LineIndex | None = None
    version: int | None = None


class DenialSources(dict[str, DenialSource]):
    """Every denial source by URI (open logs, watched files, terminals, CloudTrail)."""

    def latest(self) -> list[tuple[DenialSource, Denial]]:
        """The latest occurrence of each distinct request, from every source."""
        latest: dict[object, tuple[DenialSource, Denial]] = {}
        for source in list(self.values()):
            for d in source.denials:
                latest[d.key] = (source, d)
        return list(latest.values())


class SettingsService:
    """Settings per workspace folder (the first folder's are the server's default)."""

    def __init__(self) -> None:
        self.default = Settings()
        self.by_folder: dict[Path, Settings] = {}

    def for_path(self, path: Path | None) -> Settings:
        """The settings of the folder holding `path` (deepest folder wins)."""
        if path is None or not self.by_folder:
            return self.default
        best: tuple[int, Settings] | None = None
        for folder, settings in self.by_folder.items():
            if path == folder or folder in path.parents:
                depth = len(folder.parts)
                if best is None or depth > best[0]:
                    best = (depth, settings)
        return best[1] if best is not None else self.default

    def __iter__(self) -> Iterator[tuple[Path, Settings]]:
        return iter(list(self.by_folder.items()))


@dataclass
class WatchedLog:
    path: Path
    uri: str
    tail: Any = None
    stat: tuple[int, int, int] | None = None  # (inode, size, mtime_ns)
    denials: list[Denial] = field(default_factory=list)


class LogWatcher:
    """Known log files and the polling task (one per server)."""

    def __init__(self) -> None:
        self.files: dict[Path, WatchedLog] = {}
        self.poll_task: asyncio.Task[Any] | None = None
        self.registration_id: str | None = None
        self.policy_stats: dict[str, tuple[int, int]] = {}
        self.locks: dict[Path, asyncio.Lock] = {}

    def lock(self, path: Path) -> asyncio.Lock:
        return self.locks.setdefault(path, asyncio.Lock())


@dataclass
class TerminalBuffer:
    name: str
    uri: str
    lines: list[str] = field(default_factory=list)
    pending: str = ""
    command: str = ""
    chars: int = 0  # total length of `lines` (+1 per line break)

    def feed(self, command: str, data: str) -> bool:
        """Add a chunk; True when at least one line was completed.

        Memory is bounded whatever the terminal spews (issue 18): MAX_LINES lines and
        MAX_CHARS characters are kept, a line longer than MAX_LINE_CHARS keeps its end.
        """
        grew = False
        if command and command != self.command:
            grew = self.flush()
            self.command = command
            self._add(f"$ {command[:MAX_LINE_CHARS]}")
            grew = True
        if len(data) > MAX_CHARS:
            # Only the tail can survive anyway; cut at a line start when there is one.
            cut = data.find("\n", len(data) - MAX_CHARS)
            data = data[cut + 1 :] if cut != -1 else data[-MAX_CHARS:]
            self.pending = ""
        # A bare `\r` (progress redraws) ends a line too, as LSP counts lines.
        text = self.pending + data.replace("\r\n", "\n").replace("\r", "\n")
        *complete, self.pending = text.split("\n")
        if len(self.pending) > MAX_PENDING:
            complete.append(self.pending)
            self.pending = ""
        for line in complete:
            self._add(line)
            grew = True
        return grew

    def _add(self, line: str) -> None:
        if len(line) > MAX_LINE_CHARS:
            line = line[-MAX_LINE_CHARS:]
        self.lines.append(line)
        self.chars += len(line) + 1
        drop = 0
        while drop < len(self.lines) and (
            len(self.lines) - drop > MAX_LINES or self.chars > MAX_CHARS
        ):
            self.chars -= len(self.lines[drop]) + 1
            drop += 1
        if drop:
            del self.lines[:drop]

    def flush(self) -> bool:
        if not self.pending:
            return False
        self._add(self.pending)
        self.pending = ""
        return True

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")
