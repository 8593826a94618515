"""Streaming scans: `scan_file` (bounded memory) and `LogTail` (appended bytes only).

Both feed complete lines to an `IncrementalScanner`, which keeps a small context of the text
already seen (so a message that spans a feed boundary is still parsed whole), skips blocks
without a prefilter literal at C speed, and reports each denial once with positions in the
whole stream. Bytes are decoded as UTF-8 with replacement; NUL bytes are treated as text.
UTF-16 files (with a BOM, or BOM-less as Windows PowerShell's `>` writes them) are
transcoded on the fly. Files are opened through `safeio`: FIFOs, sockets and devices
(and symlinks to them) are never read.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from accessdenied import safeio
from accessdenied.denials import grammars as g
from accessdenied.denials.model import Denial
from accessdenied.denials.scan import scan_text
from accessdenied.text import Span

CHUNK = 1 << 20  # bytes read at a time
CONTEXT = 8 << 10  # bytes of already-scanned text rescanned with the next block
MAX_LINE = 4 << 20  # a line longer than this is cut (memory bound)
_HEAD = 64  # bytes remembered from the start of a followed file
_MARK = 64  # bytes remembered just before the read offset (rewrite detection)
WINDOW = 6000  # bytes of context either side of a prefilter hit
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
        self._ctx_col = 0  # code points between _ctx[0] and its line start (long lines)
        self._emitted: deque[int] = deque(
            maxlen=4096
        )  # absolute starts already reported
        self._emitted_set: set[int] = set()

    def feed(self, block: bytes) -> list[Denial]:
        """Scan `block` (ideally ending at a line break) and return the new denials."""
        if not block:
            return []
        ctx = self._ctx
        hits = _hits(block)
        edge = ctx[-_MAXLIT:] + block[:_MAXLIT]
        if not hits and not any(lit in edge for lit in _LITERALS):
            self._advance(block)
            return []
        shifted = [(h + len(ctx), e + len(ctx)) for h, e in hits]
        found = self._scan(ctx + block, shifted or [(len(ctx), len(ctx))])
        self._advance(block)
        return found

    def _scan(self, data: bytes, hits: list[tuple[int, int]]) -> list[Denial]:
        ctx_end_char = self._ctx_char + _chars(self._ctx)
        out: list[Denial] = []
        for ws, we in _byte_windows(data, hits):
            text = data[ws:we].decode("utf-8", "replace")
            base_line = self._ctx_line + data.count(b"\n", 0, ws)
            base_char = self._ctx_char + _chars(data[:ws])
            # A window starts at a line start, except at data[0] inside a cut long line.
            base_col = self._ctx_col if ws == 0 else 0
            for d in scan_text(text):
                start = base_char + d.span.start
                end = base_char + d.span.end
                if end <= ctx_end_char:
                    continue  # entirely inside text scanned before
                if start in self._emitted_set:
                    continue
                if len(self._emitted) == self._emitted.maxlen:
                    self._emitted_set.discard(self._emitted[0])
                self._emitted.append(start)
                self._emitted_set.add(start)
                sp = d.span
                span = Span(
                    start,
                    end,
                    base_line + sp.start_line - 1,
                    sp.start_column + (base_col if sp.start_line == 1 else 0),
                    base_line + sp.end_line - 1,
                    sp.end_column + (base_col if sp.end_line == 1 else 0),
                )
                out.append(replace(d, span=span))
        return out

    def _col_at(self, prev: bytes, cur: bytes, cut: int) -> int:
        """Column offset of cur[cut] when `prev` (starting at _ctx[0]) precedes `cur`."""
        nl = cur.rfind(b"\n", 0, cut)
        if nl != -1:
            return _chars(cur[nl + 1 : cut])
        pnl = prev.rfind(b"\n")
        before = _chars(prev[pnl + 1 :]) if pnl != -1 else self._ctx_col + _chars(prev)
        return before + _chars(cur[:cut])

    def _advance(self, block: bytes) -> None:
        if len(block) >= CONTEXT:
            cut = block.find(b"\n", len(block) - CONTEXT)
            if cut == -1:
                cut = len(block) - CONTEXT
                self._ctx_col = self._col_at(self._ctx, block, cut)
            else:
                cut += 1
                self._ctx_col = 0
            dropped_ctx, new_ctx = self._ctx, block[cut:]
            self._ctx_line += dropped_ctx.count(b"\n") + block.count(b"\n", 0, cut)
            self._ctx_char += _chars(dropped_ctx) + _chars_range(block, 0, cut)
            self._ctx = new_ctx
            return
        joined = self._ctx + block
        cut = joined.find(b"\n", max(0, len(joined) - CONTEXT))
        cut = max(0, len(joined) - CONTEXT) if cut == -1 else cut + 1
        if len(joined) <= CONTEXT:
            cut = 0
        if cut:
            self._ctx_col = self._col_at(b"", joined, cut)
        self._ctx_line += joined.count(b"\n", 0, cut)
        self._ctx_char += _chars(joined[:cut])
        self._ctx = joined[cut:]


_SUB = 1 << 16  # literals are checked per 64 KB sub-window while it is in cache


def _hits_stdlib(block: bytes) -> list[tuple[int, int]]:
    """Ranges [first literal hit, end of its 64 KB sub-window) that need parsing."""
    ranges: list[tuple[int, int]] = []
    find = block.find
    n = len(block)
    for s in range(0, n, _SUB):
        e = min(n, s + _SUB + _MAXLIT)
        first = -1
        for lit in _LITERALS:
            i = find(lit, s, e)
            if i != -1 and (first == -1 or i < first):
                first = i
        if first != -1:
            ranges.append((first, e))
    return ranges


_LOCAL = threading.local()


def _hyperscan_db() -> Any:
    """This thread's Hyperscan literal database, or None without a usable `hyperscan`.

    One per thread: a Hyperscan scratch space must not be shared across threads.
    """
    if os.environ.get("ACCESSDENIED_PREFILTER", "").lower() == "stdlib":
        return None
    if not hasattr(_LOCAL, "db"):
        _LOCAL.db = _compile_hyperscan()
    return _LOCAL.db


def _compile_hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:
        return None
    try:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        exprs = [re.escape(lit.decode()).encode() for lit in _LITERALS]
        db.compile(
            expressions=exprs,
            ids=list(range(len(exprs))),
            elements=len(exprs),
            flags=[0] * len(exprs),
        )
    except Exception:
        return None
    return db


def prefilter_backend() -> str:
    """Which literal prefilter `scan_file`/`LogTail` use: "hyperscan" or "stdlib"."""
    return "hyperscan" if _hyperscan_db() is not None else "stdlib"


def _hits(block: bytes) -> list[tuple[int, int]]:
    db = _hyperscan_db()
    if db is None:
        return _hits_stdlib(block)
    ends: list[int] = []

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        ends.append(to)

    db.scan(block, match_event_handler=on_match)
    if not ends:
        return []
    ends.sort()
    ranges: list[tuple[int, int]] = []
    for to in ends:
        start = max(0, to - _MAXLIT)
        if ranges and start <= ranges[-1][1] + WINDOW:
            ranges[-1] = (ranges[-1][0], to)
        else:
            ranges.append((start, to))
    return ranges


def _byte_windows(data: bytes, hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    wins: list[tuple[int, int]] = []
    for h, he in hits:
        s = data.rfind(b"\n", 0, max(0, h - WINDOW)) + 1
        e = data.find(b"\n", min(len(data), he + WINDOW))
        e = len(data) if e == -1 else e + 1
        if wins and s <= wins[-1][1]:
            wins[-1] = (wins[-1][0], max(wins[-1][1], e))
        else:
            wins.append((s, e))
    return wins


def _chars_range(data: bytes, start: int, end: int) -> int:
    if start == 0 and end == len(data):
        return _chars(data)
    return _chars(data[start:end])


class _Transcoder:
    """UTF-16 bytes -> UTF-8 bytes, incrementally (odd bytes wait for their pair)."""

    def __init__(self, encoding: str) -> None:
        self._dec = codecs.getincrementaldecoder(encoding)("replace")

    def __call__(self, data: bytes, final: bool = False) -> bytes:
        return self._dec.decode(data, final).lstrip("\ufeff").encode("utf-8")


def _transcoder(head: bytes) -> _Transcoder | None:
    enc = safeio.sniff_encoding(head)
    return _Transcoder(enc) if enc.startswith("utf-16") else None


def scan_file(path: str | os.PathLike[str]) -> Iterator[Denial]:
    """Every denial in the file at `path`, streamed; memory bounded by CHUNK + MAX_LINE.

    Raises `safeio.UnsafeFileError` (an OSError) for FIFOs, sockets and devices.
    """
    scanner = IncrementalScanner()
    pending = b""
    with safeio.open_regular(path) as fh:
        first = True
        transcode: _Transcoder | None = None
        while True:
            data = fh.read(CHUNK)
            if first:
                transcode = _transcoder(data)
                first = False
            if transcode is not None:
                data = transcode(data, final=not data)
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
        self._head = b""  # the file's first bytes, to notice a rewrite
        self._mark = b""  # the bytes just before _offset, to notice a rewrite
        self._partial = b""
        self._transcode: _Transcoder | None = None

    @property
    def offset(self) -> int:
        """Bytes of the current file consumed so far (complete lines plus held partial)."""
        return self._offset

    def _restart(self, ident: tuple[int, int] | None) -> None:
        self._scanner.reset()
        self._offset = 0
        self._partial = b""
        self._head = b""
        self._mark = b""
        self._transcode = None
        self._ident = ident

    def _same_head(self, fh: IO[bytes]) -> bool:
        """Whether the file still holds its start and the bytes just before the offset.

        This catches a truncate-and-rewrite (or copytruncate followed by new writes) that
        outgrew the old offset between two polls, even when the new text starts with the
        same header as the old one.
        """
        if self._head:
            fh.seek(0)
            if fh.read(len(self._head)) != self._head:
                return False
        if self._mark:
            fh.seek(self._offset - len(self._mark))
            if fh.read(len(self._mark)) != self._mark:
                return False
        return True

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
        found: list[Denial] = []
        try:
            with safeio.open_regular(self.path) as fh:
                if not self._same_head(fh):
                    self._restart(ident)
                if len(self._head) < _HEAD and self._offset == 0:
                    fh.seek(0)
                    self._head = fh.read(_HEAD)
                    self._transcode = _transcoder(self._head)
                fh.seek(self._offset)
                while True:
                    data = fh.read(CHUNK)
                    if not data:
                        break
                    self._offset += len(data)
                    self._mark = (self._mark + data)[-_MARK:]
                    if self._transcode is not None:
                        data = self._transcode(data)
                    found.extend(self._take(data))
        except OSError:  # includes safeio.UnsafeFileError: a FIFO/device is never read
            return found
        return found

    def _take(self, data: bytes) -> list[Denial]:
        buf = self._partial + data
        cut = buf.rfind(b"\n")
        if cut == -1:
            if len(buf) < MAX_LINE:
                self._partial = buf
                return []
            cut = len(buf) - 1
        self._partial = buf[cut + 1 :]
        return self._scanner.feed(buf[: cut + 1])
