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
import contextlib
import hashlib
import mmap
import os
import platform
import stat
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
from accessdenied.text import LineIndex, Span

# What the prefilter searches: a block of bytes or a memory-mapped file.
Buffer = bytes | mmap.mmap

CHUNK = 1 << 20  # bytes read at a time
CONTEXT = 8 << 10  # bytes of already-scanned text rescanned with the next block
MAX_LINE = 4 << 20  # a line longer than this is cut (memory bound)
_HEAD = 64  # bytes remembered from the start of a followed file
_MARK = 64  # bytes remembered just before the read offset (rewrite detection)
WINDOW = 6000  # bytes of context either side of a prefilter hit
_LITERALS = tuple(lit.encode() for lit in g.PREFILTER_LITERALS)
_MAXLIT = max(len(x) for x in _LITERALS)
_CONFIRM = 160  # bytes either side of a literal hit searched for a STRONG pattern
_EDGE = 2 * _CONFIRM  # bytes either side of a feed boundary checked for a split pattern


def _breaks(data: bytes, start: int, end: int) -> int:
    """Line breaks in data[start:end] as LSP counts them: `\n`, `\r\n`, lone `\r`.

    aws-cli progress output redraws with a bare `\r`; editors start a new line there.
    """
    lf = data.count(b"\n", start, end)
    cr = data.count(b"\r", start, end)
    if not cr:
        return lf
    return lf + cr - data.count(b"\r\n", start, end)


def _chars(data: bytes) -> int:
    """Code points `data` decodes to (UTF-8 with replacement), cheaply for ASCII."""
    if data.isascii():
        return len(data)
    return len(data.decode("utf-8", "replace"))


class IncrementalScanner:
    """Scan a byte stream block by block; positions are relative to the whole stream.

    Lines end at `\n` (as grep counts them), or with `lsp_lines` also at a lone `\r`
    (as LSP and editors count them: aws-cli progress output redraws with `\r`).
    """

    def __init__(self, lsp_lines: bool = False) -> None:
        self._lsp = lsp_lines
        self.reset()

    def _nl(self, data: bytes, start: int, end: int) -> int:
        if self._lsp:
            return _breaks(data, start, end)
        return data.count(b"\n", start, end)

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
        edge = ctx[-_EDGE:] + block[:_EDGE]
        if not hits and not g.STRONG.search(edge):
            self._advance(block)
            return []
        shifted = [(h + len(ctx), e + len(ctx)) for h, e in hits]
        found = self._scan(ctx + block, shifted or [(len(ctx), len(ctx))])
        self._advance(block)
        return found

    def _scan(self, data: bytes, hits: list[tuple[int, int]]) -> list[Denial]:
        ctx_end_char = self._ctx_char + _chars(self._ctx)
        out: list[Denial] = []
        ascii_data = data.isascii()
        # Lines and characters are counted once, from one window to the next.
        pos, base_line, base_char = 0, self._ctx_line, self._ctx_char
        for ws, we in _byte_windows(data, hits):
            text = data[ws:we].decode("utf-8", "replace")
            base_line += self._nl(data, pos, ws)
            base_char += ws - pos if ascii_data else _chars(data[pos:ws])
            pos = ws
            # A window starts at a line start, except at data[0] inside a cut long line.
            base_col = self._ctx_col if ws == 0 else 0
            for d in scan_text(text, LineIndex(text, lf_only=not self._lsp)):
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
            self._ctx_line += self._nl(dropped_ctx, 0, len(dropped_ctx)) + self._nl(
                block, 0, cut
            )
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
        self._ctx_line += self._nl(joined, 0, cut)
        self._ctx_char += _chars(joined[:cut])
        self._ctx = joined[cut:]


def _hits_stdlib(block: Buffer, start: int, end: int) -> list[tuple[int, int]]:
    """Ranges around literal hits confirmed by a STRONG pattern (C-speed `find` + `re`)."""
    ends: list[int] = []
    find = block.find
    strong = g.STRONG.search
    n = len(block)
    for lit in _LITERALS:
        i = find(lit, start, end)
        while i != -1:
            m = strong(block, max(0, i - _CONFIRM), min(n, i + len(lit) + _CONFIRM))
            if m is not None:
                ends.append(m.end())
                # One confirmed hit opens a window; skip the rest of it.
                i = find(lit, m.end() + WINDOW, end)
            else:
                i = find(lit, i + len(lit), end)
    return _merge_ends(ends)


def _merge_ends(ends: list[int]) -> list[tuple[int, int]]:
    """Hit end offsets -> sorted ranges, hits closer than WINDOW merged."""
    ends.sort()
    ranges: list[tuple[int, int]] = []
    for to in ends:
        start = max(0, to - _CONFIRM)
        if ranges and start <= ranges[-1][1] + WINDOW:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], to))
        else:
            ranges.append((start, to))
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
    blob = _PROCESS_DB.get("blob") or _read_cached_db()
    if blob is not None:
        try:
            db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
            db.scratch = hyperscan.Scratch(db)
            _PROCESS_DB["blob"] = blob
            return db
        except Exception:
            _PROCESS_DB.pop("blob", None)  # another platform or version: compile
    try:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        exprs = list(g.STRONG_PATTERNS)
        db.compile(
            expressions=exprs,
            ids=list(range(len(exprs))),
            elements=len(exprs),
            flags=[0] * len(exprs),
        )
    except Exception:
        return None
    try:
        blob = hyperscan.dumpb(db)
        _PROCESS_DB["blob"] = blob
        _write_cached_db(blob)
    except Exception:  # a cache is an optimisation only
        pass
    return db


# Compiling the database costs ~0.1-0.2 s per process; the serialized form loads in
# microseconds. It is kept per process and in the user cache, keyed by the patterns and
# the Hyperscan version (a database from another CPU or version fails to load: recompiled).
_PROCESS_DB: dict[str, bytes] = {}


def _db_cache_path() -> Path | None:
    if os.environ.get("ACCESSDENIED_NO_CACHE"):
        return None
    try:
        import hyperscan

        version = str(getattr(hyperscan, "__version__", ""))
    except ImportError:
        return None
    key = hashlib.sha256(
        b"\0".join([*g.STRONG_PATTERNS, version.encode(), platform.machine().encode()])
    ).hexdigest()[:24]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "accessdenied" / f"prefilter-{key}.hsdb"


def _read_cached_db() -> bytes | None:
    path = _db_cache_path()
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read(4 << 20)
    except OSError:
        return None


def _write_cached_db(blob: bytes) -> None:
    path = _db_cache_path()
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)


def prefilter_backend() -> str:
    """Which literal prefilter `scan_file`/`LogTail` use: "hyperscan" or "stdlib"."""
    return "hyperscan" if _hyperscan_db() is not None else "stdlib"


_HS_PIECE = 64 << 20  # Hyperscan block-mode lengths are 32-bit: scan big maps in pieces


def _hits(
    block: Buffer, start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Ranges of `block[start:end]` around STRONG pattern matches (sorted, merged)."""
    n = len(block) if end is None else min(end, len(block))
    db = _hyperscan_db()
    if db is None:
        return _hits_stdlib(block, start, n)
    ends: list[int] = []
    base = start

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        ends.append(base + to)

    view = memoryview(block)
    try:
        while base < n:
            # Pieces overlap by _EDGE so a match across a piece boundary is still seen.
            stop = min(n, base + _HS_PIECE + _EDGE)
            db.scan(view[base:stop], match_event_handler=on_match)
            base += _HS_PIECE
    finally:
        view.release()
    return _merge_ends(ends) if ends else []


_MAP_PIECE = 8 << 20  # a mapped file is searched and counted this much at a time
_PAGE = mmap.PAGESIZE


def _drop(mm: mmap.mmap, start: int, end: int) -> None:
    """Release mapped pages already read, so resident memory stays bounded."""
    a = start - start % _PAGE
    if end > a:
        # madvise is missing on some platforms: then pages simply stay mapped.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            mm.madvise(mmap.MADV_DONTNEED, a, end - a)


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

    The file is memory-mapped and searched piece by piece for the prefilter patterns; only
    the windows around hits are decoded. UTF-16 and files that cannot be mapped (empty) are
    read block by block. Raises `safeio.UnsafeFileError` (an OSError) for FIFOs, sockets
    and devices.
    """
    with safeio.open_regular(path) as fh:
        mm = _map(fh)
        if mm is not None:
            try:
                if not safeio.sniff_encoding(mm[:4096]).startswith("utf-16"):
                    yield from _scan_mapped(mm, fh.fileno())
                    return
            finally:
                mm.close()
    yield from _scan_read(path)


def _map(fh: IO[bytes]) -> mmap.mmap | None:
    try:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            return None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _piece_end(mm: mmap.mmap, start: int, n: int) -> int:
    """End of the piece starting at `start`: just after a line break when there is one."""
    stop = min(n, start + _MAP_PIECE)
    if stop >= n:
        return n
    nl = mm.rfind(b"\n", start, stop)
    if nl != -1:
        return nl + 1
    while stop < n and mm[stop] & 0xC0 == 0x80:  # never split a UTF-8 sequence
        stop += 1
    return stop


def _window(mm: mmap.mmap, h: int, he: int) -> tuple[int, int]:
    """[line start before h - WINDOW, line end after he + WINDOW), at most MAX_LINE more."""
    n = len(mm)
    lo = max(0, h - WINDOW)
    nl = mm.rfind(b"\n", max(0, lo - MAX_LINE), lo)
    s = nl + 1 if nl != -1 else (0 if lo <= MAX_LINE else lo)
    hi = min(n, he + WINDOW)
    nl = mm.find(b"\n", hi, min(n, hi + MAX_LINE))
    e = nl + 1 if nl != -1 else min(n, hi + MAX_LINE)
    while s < h and mm[s] & 0xC0 == 0x80:  # never start inside a UTF-8 sequence
        s += 1
    return s, e


def _count(mm: mmap.mmap, start: int, end: int) -> tuple[int, int]:
    """(line breaks, code points) in mm[start:end]."""
    data = mm[start:end]
    return data.count(b"\n"), _chars(data)


def _intact(fd: int, size: int) -> bool:
    """Whether the mapped file still has its `size` bytes.

    Touching a mapped page past a file's new end (a log truncated by rotation while it is
    scanned) would kill the process with SIGBUS; the scan stops at the truncation instead.
    """
    try:
        return os.fstat(fd).st_size >= size
    except OSError:
        return False


def _scan_mapped(mm: mmap.mmap, fd: int) -> Iterator[Denial]:
    """One sequential pass: each piece is searched, then counted while it is in cache."""
    n = len(mm)
    off, line, char = 0, 1, 0  # a position whose line and character offset are known
    pending: tuple[int, int, int, int] | None = None  # window start, end, line, char
    start = 0
    while start < n:
        if not _intact(fd, n):
            return
        end = _piece_end(mm, start, n)
        for h, he in _hits(mm, start, min(n, end + _EDGE)):
            # Checked again after every yield: the caller may run while the file changes.
            if not _intact(fd, n):
                return
            ws, we = _window(mm, h, he)
            if pending is not None and ws <= pending[1]:
                pending = (pending[0], max(pending[1], we), pending[2], pending[3])
                continue
            if pending is not None:
                yield from _scan_window(mm, *pending)
                if not _intact(fd, n):
                    return
            if ws >= off:
                dl, dc = _count(mm, off, ws)
                line, char = line + dl, char + dc
            else:
                dl, dc = _count(mm, ws, off)
                line, char = line - dl, char - dc
            off = ws
            pending = (ws, we, line, char)
        if not _intact(fd, n):
            return
        if end > off:
            dl, dc = _count(mm, off, end)
            off, line, char = end, line + dl, char + dc
        _drop(mm, start, end)
        start = end
    if pending is not None and _intact(fd, n):
        yield from _scan_window(mm, *pending)


def _scan_window(
    mm: mmap.mmap, ws: int, we: int, line: int, char: int
) -> Iterator[Denial]:
    # Column offset when a window starts inside a (very long) line.
    ls = mm.rfind(b"\n", 0, ws) + 1
    base_col = _count(mm, ls, ws)[1] if ls < ws else 0
    text = mm[ws:we].decode("utf-8", "replace")
    for d in scan_text(text, LineIndex(text, lf_only=True)):  # grep-style lines
        sp = d.span
        yield replace(
            d,
            span=Span(
                char + sp.start,
                char + sp.end,
                line + sp.start_line - 1,
                sp.start_column + (base_col if sp.start_line == 1 else 0),
                line + sp.end_line - 1,
                sp.end_column + (base_col if sp.end_line == 1 else 0),
            ),
        )


def _scan_read(path: str | os.PathLike[str]) -> Iterator[Denial]:
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

    def __init__(self, path: str | os.PathLike[str], lsp_lines: bool = False) -> None:
        self.path = Path(path)
        self._scanner = IncrementalScanner(lsp_lines)
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
