"""Streaming scans: `scan_file` (bounded memory) and `LogTail` (appended bytes only).

Both feed complete lines to an `IncrementalScanner`, which keeps a small context of the text
already seen (so a message that spans a feed boundary is still parsed whole), skips blocks
without a prefilter literal at C speed, and reports each denial once with positions in the
whole stream. Bytes are decoded as UTF-8 with replacement; NUL bytes are treated as text.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from accessdenied.denials import grammars as g
from accessdenied.denials.model import Denial
from accessdenied.denials.scan import scan_text
from accessdenied.text import Span

CHUNK = 1 << 20  # bytes read at a time
CONTEXT = 8 << 10  # bytes of already-scanned text rescanned with the next block
MAX_LINE = 4 << 20  # a line longer than this is cut (memory bound)
_LITERALS = tuple(lit.encode() for lit in g.PREFILTER_LITERALS)
_MAXLIT = max(len(x) for x in _LITERALS)


def _chars(data: bytes) -> int:
    """Code points `data` decodes to (UTF-8 with replacement), cheaply for ASCII."""
    if data.isascii():
        return len(data)
    return len(data.decode("utf-8", "replace"))


class IncrementalScanner:
    """Scan a byte stream block by block; positions are relative to the whole stream."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next block is the start of a new stream."""
        self._ctx = b""  # tail of the text already scanned, starting at a line start
        self._ctx_line = 1  # line number of _ctx[0]
        self._ctx_char = 0  # code-point offset of _ctx[0]
        self._emitted: deque[int] = deque(
            maxlen=4096
        )  # absolute starts already reported
        self._emitted_set: set[int] = set()

    def feed(self, block: bytes) -> list[Denial]:
        """Scan `block` (ideally ending at a line break) and return the new denials."""
        if not block:
            return []
        edge = self._ctx[-_MAXLIT:] + block[:_MAXLIT]
        hit = any(lit in block for lit in _LITERALS) or any(
            lit in edge for lit in _LITERALS
        )
        found: list[Denial] = []
        if hit:
            found = self._scan(block)
        self._advance(block)
        return found

    def _scan(self, block: bytes) -> list[Denial]:
        ctx_text = self._ctx.decode("utf-8", "replace")
        text = ctx_text + block.decode("utf-8", "replace")
        out: list[Denial] = []
        for d in scan_text(text):
            if d.span.end <= len(ctx_text):
                continue  # entirely inside text scanned before
            start = self._ctx_char + d.span.start
            if start in self._emitted_set:
                continue
            if len(self._emitted) == self._emitted.maxlen:
                self._emitted_set.discard(self._emitted[0])
            self._emitted.append(start)
            self._emitted_set.add(start)
            sp = d.span
            span = Span(
                start,
                self._ctx_char + sp.end,
                self._ctx_line + sp.start_line - 1,
                sp.start_column,
                self._ctx_line + sp.end_line - 1,
                sp.end_column,
            )
            out.append(replace(d, span=span))
        return out

    def _advance(self, block: bytes) -> None:
        joined = self._ctx + block
        if len(joined) <= CONTEXT:
            return_ctx = joined
        else:
            cut = joined.find(b"\n", len(joined) - CONTEXT)
            cut = len(joined) - CONTEXT if cut == -1 else cut + 1
            return_ctx = joined[cut:]
        dropped = joined[: len(joined) - len(return_ctx)]
        self._ctx_line += dropped.count(b"\n")
        self._ctx_char += _chars(dropped)
        self._ctx = return_ctx


def scan_file(path: str | os.PathLike[str]) -> Iterator[Denial]:
    """Every denial in the file at `path`, streamed; memory bounded by CHUNK + MAX_LINE."""
    scanner = IncrementalScanner()
    pending = b""
    with open(path, "rb") as fh:
        while True:
            data = fh.read(CHUNK)
            if not data:
                break
            buf = pending + data
            cut = buf.rfind(b"\n")
            if cut == -1:
                if len(buf) < MAX_LINE:
                    pending = buf
                    continue
                cut = len(buf) - 1
            pending = buf[cut + 1 :]
            yield from scanner.feed(buf[: cut + 1])
    if pending:
        yield from scanner.feed(pending)


class LogTail:
    """Follow a growing log: `poll()` scans only the bytes appended since the last poll.

    Truncation (size below the read offset), rotation and delete+recreate (a different inode)
    restart from the beginning of the new file; a deleted file yields nothing until it comes
    back. A partial last line is held until its newline arrives (or it grows past MAX_LINE).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._scanner = IncrementalScanner()
        self._offset = 0
        self._ident: tuple[int, int] | None = None
        self._partial = b""

    @property
    def offset(self) -> int:
        """Bytes of the current file consumed so far (complete lines plus held partial)."""
        return self._offset

    def _restart(self, ident: tuple[int, int] | None) -> None:
        self._scanner.reset()
        self._offset = 0
        self._partial = b""
        self._ident = ident

    def poll(self) -> list[Denial]:
        """Denials in the lines completed since the previous poll."""
        try:
            st = os.stat(self.path)
        except OSError:
            if self._ident is not None:
                self._restart(None)
            return []
        ident = (st.st_dev, st.st_ino)
        if self._ident != ident or st.st_size < self._offset:
            self._restart(ident)
        if st.st_size == self._offset:
            return []
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read(max(0, st.st_size - self._offset))
        except OSError:
            return []
        self._offset += len(data)
        buf = self._partial + data
        cut = buf.rfind(b"\n")
        if cut == -1:
            if len(buf) < MAX_LINE:
                self._partial = buf
                return []
            cut = len(buf) - 1
        self._partial = buf[cut + 1 :]
        return self._scanner.feed(buf[: cut + 1])
