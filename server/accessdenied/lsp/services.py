"""Small services the features share: the index snapshot, denial sources, settings.

Each holds one kind of state and nothing else; features read them, and only the
owning feature writes (indexing swaps the snapshot, the log/terminal features put
sources). No service imports a feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessdenied import safeio
from accessdenied.lsp.settings import Settings
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.lsp.convert import LineSource
    from accessdenied.lsp.walk import Baseline
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
    #: The files as a walk just before the build saw them (what polling compares to).
    baseline: Baseline | None = None


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
        baseline: Baseline | None = None,
    ) -> IndexSnapshot:
        """Install a new index (one assignment) and return the snapshot."""
        self.snapshot = IndexSnapshot(
            index,
            self.snapshot.generation + 1,
            frozenset(paths),
            dict(kinds),
            baseline,
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
    index: LineSource | None = None
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


#: Line breaks as LSP counts them (and as `LogTail(lsp_lines=True)` numbers lines).
_BREAK = re.compile(rb"\r\n?|\n")
_READ_CHUNK = 1 << 20
#: A "line" longer than this is not read further (its columns count code points).
MAX_LINE_BYTES = 4 << 20


class LogLines:
    """The texts of the lines a watched (unopened) log's denials sit on.

    Denial spans count code points; the client counts columns in the negotiated
    position encoding, so the text before a denial on its line is needed to convert
    (`convert.LineSource`). Only those lines are kept, and reading resumes where the
    previous read stopped, so following an appended log never re-reads it whole.
    """

    def __init__(self) -> None:
        self.lines: dict[int, str] = {}
        #: (1-based line, byte offset of its start) where the next read can resume.
        self.resume = (1, 0)

    def line_text(self, line: int) -> str | None:
        return self.lines.get(line)

    def updated(self, path: Path, denials: list[Denial]) -> LogLines:
        """A copy holding the lines `denials` need and no others (worker thread).

        A copy, so a published source's lines never change under its readers.
        """
        new = LogLines()
        new.lines, new.resume = dict(self.lines), self.resume
        new._update(path, denials)
        return new

    def _update(self, path: Path, denials: list[Denial]) -> None:
        wanted = {d.span.start_line for d in denials} | {
            d.span.end_line for d in denials
        }
        self.lines = {n: t for n, t in self.lines.items() if n in wanted}
        missing = wanted - set(self.lines)
        if not missing:
            return
        if min(missing) < self.resume[0]:
            self.resume = (1, 0)
        # Unreadable now (OSError): those columns count code points.
        with contextlib.suppress(OSError):
            self._read(path, missing)

    def _read(self, path: Path, wanted: set[int]) -> None:
        last = max(wanted)
        with safeio.open_regular(path) as fh:
            if safeio.sniff_encoding(fh.read(4096)).startswith("utf-16"):
                self._read_decoded(path, wanted)
                return
            line, base = self.resume
            fh.seek(base)
            buf = b""
            while line <= last:
                chunk = fh.read(_READ_CHUNK)
                if not chunk:
                    if buf and line in wanted:
                        self.lines[line] = buf.decode("utf-8", "replace")
                    return
                buf += chunk
                pos = 0
                for m in _BREAK.finditer(buf):
                    if m.end() == len(buf) and buf.endswith(b"\r"):
                        break  # maybe the first half of a \r\n split across reads
                    if line in wanted:
                        self.lines[line] = buf[pos : m.start()].decode(
                            "utf-8", "replace"
                        )
                    line, pos = line + 1, m.end()
                    if line > last:
                        break
                base += pos
                buf = buf[pos:]
                self.resume = (line, base)
                if len(buf) > MAX_LINE_BYTES:
                    return

    def _read_decoded(self, path: Path, wanted: set[int]) -> None:
        # UTF-16 logs are transcoded by the tail: decode them whole, as it does.
        index = LineIndex(safeio.read_text(path, utf16=True))
        for n in wanted:
            if n <= index.line_count:
                self.lines[n] = index.line_text(n)


@dataclass
class WatchedLog:
    path: Path
    uri: str
    tail: Any = None
    stat: tuple[int, int, int] | None = None  # (inode, size, mtime_ns)
    denials: list[Denial] = field(default_factory=list)
    lines: LogLines = field(default_factory=LogLines)


class LogWatcher:
    """Known log files and the polling task (one per server)."""

    def __init__(self) -> None:
        self.files: dict[Path, WatchedLog] = {}
        self.poll_task: asyncio.Task[Any] | None = None
        self.registration_id: str | None = None
        #: path -> ((inode, size, mtime_ns), holds CloudTrail records).
        self.cloudtrail_heads: dict[Path, tuple[tuple[int, int, int], bool]] = {}
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
