"""Source positions: 1-based line/column spans and offset <-> position conversion.

Columns count Unicode code points (Python `str` indices), 1-based, with an exclusive end
(the column just after the last character, as SARIF's `endColumn`). `lsp/convert.py` is
the only place that turns these into 0-based UTF-16 (or UTF-8/32) LSP positions.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A 1-based line and code-point column."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A range of text: 0-based `str` offsets plus the 1-based positions they map to."""

    start: int
    end: int
    start_line: int
    start_column: int
    end_line: int
    end_column: int

    @property
    def start_pos(self) -> Pos:
        return Pos(self.start_line, self.start_column)

    @property
    def end_pos(self) -> Pos:
        return Pos(self.end_line, self.end_column)

    def contains(self, offset: int) -> bool:
        """Whether `offset` lies inside the span (end inclusive, as a cursor does)."""
        return self.start <= offset <= self.end

    def shifted(self, delta_offset: int, index: LineIndex) -> Span:
        """The same span moved by `delta_offset` characters, positions from `index`."""
        return index.span(self.start + delta_offset, self.end + delta_offset)


_BREAK = re.compile(r"\r\n?|\n")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split only at `\n`, `\r\n` and `\r` (as LSP counts).

    Unlike `str.splitlines`, U+2028, U+2029, U+0085, form feed and the other separators
    Python knows stay inside their line: LSP clients do not break lines there.
    """
    if "\r" not in text:
        out = text.split("\n")
        lines = [line + "\n" for line in out[:-1]]
        if out[-1]:
            lines.append(out[-1])
        return lines
    lines = []
    start = 0
    for m in _BREAK.finditer(text):
        lines.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


class LineIndex:
    """Maps `str` offsets to 1-based positions and back for one text.

    Lines end at `\n`, `\r\n` or a lone `\r`, exactly as the Language Server Protocol
    counts them (and as `split_lines` splits), so core positions and editor positions
    agree on lone-CR files and on text holding U+2028 or U+0085. With `lf_only`, only
    `\n` ends a line (what grep, git and `wc -l` count: the CLI's streamed log lines).
    """

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str, lf_only: bool = False) -> None:
        self._text = text
        starts = [0]
        if "\r" in text and not lf_only:
            starts.extend(m.end() for m in _BREAK.finditer(text))
        else:
            find = text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
        self._starts = starts

    @property
    def text(self) -> str:
        return self._text

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line: int) -> int:
        """Offset of the first character of 1-based `line`."""
        return self._starts[min(max(line, 1), len(self._starts)) - 1]

    def line_end(self, line: int) -> int:
        """Offset just past the last character of `line`, before its line break."""
        if line >= len(self._starts):
            return len(self._text)
        end = self._starts[line]
        start = self.line_start(line)
        if end - 2 >= start and self._text[end - 2 : end] == "\r\n":
            return end - 2
        return max(end - 1, start)

    def line_text(self, line: int) -> str:
        return self._text[self.line_start(line) : self.line_end(line)]

    def pos(self, offset: int) -> Pos:
        """The 1-based position of `offset` (clamped to the text)."""
        offset = min(max(offset, 0), len(self._text))
        line = bisect.bisect_right(self._starts, offset)
        return Pos(line, offset - self._starts[line - 1] + 1)

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based position (clamped to the line and text)."""
        if line < 1:
            return 0
        if line > len(self._starts):
            return len(self._text)
        start = self._starts[line - 1]
        nxt = self._starts[line] if line < len(self._starts) else len(self._text) + 1
        return min(start + max(column, 1) - 1, nxt - 1, len(self._text))

    def span(self, start: int, end: int) -> Span:
        """A `Span` for offsets `start` to `end` (exclusive)."""
        a = self.pos(start)
        b = self.pos(end)
        return Span(start, end, a.line, a.column, b.line, b.column)


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units (what LSP counts by default)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# Terminal escape sequences a log may carry (ECMA-48): OSC/DCS/APC/PM/SOS strings up to
# their terminator (BEL or ST), CSI sequences, 8-bit C1 forms and two-byte escapes.
_ESCAPE_SEQ = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[P_^X][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Unicode bidirectional controls (Trojan Source, CVE-2021-42574) and invisible marks.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def strip_controls(text: str) -> str:
    """`text` without terminal escape sequences and C0/C1 control characters.

    Tabs become spaces and line breaks are kept only as `\\n`; bidi controls are shown
    as `<U+XXXX>` (see `neutralize_bidi`). For anything printed to a terminal.
    """
    text = _ESCAPE_SEQ.sub("", text)
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return neutralize_bidi(text)


def neutralize_bidi(text: str) -> str:
    """Bidi control characters made visible as `<U+202E>` (messages, hovers)."""
    if not _BIDI.search(text):
        return text
    return _BIDI.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)


def escape_bidi_json(text: str) -> str:
    """Bidi controls as `\\uXXXX` escapes: the same JSON string value, but visible."""
    return _BIDI.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def has_bidi(text: str) -> bool:
    """Whether `text` holds a bidi control character."""
    return _BIDI.search(text) is not None
