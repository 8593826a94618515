"""Transport-noise removal with an offset map back to the original text.

`normalize(text)` strips ANSI colour codes (and their pasted `[31m` residues), undoes one or
two levels of JSON/Python string escaping, removes continuation-line prefixes (Terraform `│`
boxes, markdown `>`, `//` comments, indentation) and rejoins lines that a terminal wrapped in
the middle of a token. The result keeps real line breaks as `\\n` so envelopes stay local.
`Normalized.orig_start/orig_end` map normalized offsets back to offsets in the input.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# One alternation, tried left to right at each position of the text (all rare characters,
# so `re` skips quickly between matches).
_NOISE = re.compile(
    r"(?P<ansi>\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\n]*\x07|\[[0-9;]{1,12}m)"
    r"|(?P<esc>\\{1,7}(?:[\"'nrt/]|u00[0-9a-fA-F]{2}))"
    r"|(?P<nl>\r?\n(?P<prefix>[ \t]*(?:(?:[│┃║|>]|//|\#|\*(?!/))[ \t]*)*))"
)
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-/:*=@+<>{}$]")
# A continuation line that starts like a new log record is never glued to the previous one.
_NEW_RECORD = re.compile(
    r"\d{4}[-/]\d\d[-/]\d\d|\d\d:\d\d|[A-Z][a-z]{2} +\d|\[|\{|\(|\"|at |File |"
    r"(?:INFO|ERROR|WARN|WARNING|DEBUG|TRACE|FATAL|Error|Caused)\b|"
    # A source position (`main.go:43:`), a compose/kubectl prefix (`app_1  | `), a syslog
    # tag (`sshd[12]:`) or a lower-case level (`error: `) starts the next record.
    r"[\w./-]{1,80}\.[A-Za-z]{1,6}:\d+|[\w.-]{1,60} +\| |[\w./-]{1,60}\[\d+\]:|"
    r"(?:info|error|warn|warning|debug|trace|fatal|notice)(?::|\s)"
)
# A continuation that starts with a capitalised word or a clause of the IAM sentence is a
# new word, so the break is a space even on a long line.
_SENTENCE_START = re.compile(
    r"[A-Z][a-z]|(?:on\s+resource|on\s+the|because|with\s+an|is\s+not|Encoded|status\s+code)\b"
)
# Lines shorter than this were not wrapped by a terminal; their break is a space.
WRAP_WIDTH = 78


@dataclass(frozen=True, slots=True)
class Normalized:
    """The cleaned text plus segments mapping it back to the original."""

    text: str
    # Parallel arrays: normalized start, original start, original end, verbatim flag.
    _nstarts: tuple[int, ...]
    _ostarts: tuple[int, ...]
    _oends: tuple[int, ...]
    _verbatim: tuple[bool, ...]
    original_length: int
    # Normalized offsets where a line break was glued away (a presumed terminal wrap).
    joins: tuple[int, ...] = ()

    def _seg(self, n: int) -> int:
        return max(bisect.bisect_right(self._nstarts, n) - 1, 0)

    def orig_start(self, n: int) -> int:
        """Original offset of the character at normalized offset `n`."""
        if not self._nstarts:
            return 0
        if n >= len(self.text):
            return self.original_length
        i = self._seg(n)
        if self._verbatim[i]:
            return self._ostarts[i] + (n - self._nstarts[i])
        return self._ostarts[i]

    def orig_end(self, n: int) -> int:
        """Original offset just past normalized character `n - 1` (exclusive end)."""
        if n <= 0 or not self._nstarts:
            return 0
        i = self._seg(n - 1)
        if self._verbatim[i]:
            return self._ostarts[i] + (n - self._nstarts[i])
        return self._oends[i]


def _unescape(token: str) -> str:
    """The character an escape sequence (one or more backslashes + char) stands for."""
    ch = token.lstrip("\\")
    if ch.startswith("u00"):
        try:
            return chr(int(ch[1:], 16))
        except ValueError:  # pragma: no cover - the regex only admits hex digits
            return ch
    return {"n": "\n", "r": "", "t": " "}.get(ch, ch)


def normalize(text: str) -> Normalized:
    """Clean `text` for matching; see the module docstring."""
    out: list[str] = []
    nstarts: list[int] = []
    ostarts: list[int] = []
    oends: list[int] = []
    verb: list[bool] = []
    joins: list[int] = []
    npos = 0
    last = 0

    def emit(s: str, ostart: int, oend: int, verbatim: bool) -> None:
        nonlocal npos
        if not s:
            return
        out.append(s)
        nstarts.append(npos)
        ostarts.append(ostart)
        oends.append(oend)
        verb.append(verbatim)
        npos += len(s)

    for m in _NOISE.finditer(text):
        s, e = m.start(), m.end()
        if s > last:
            emit(text[last:s], last, s, True)
        last = e
        kind = m.lastgroup
        if kind == "ansi" or (kind == "prefix"):
            continue
        if kind == "esc":
            rep = _unescape(m.group())
            if rep == "\n":
                rep = "\n"
            emit(rep, s, e, False)
            continue
        # A real line break: glue a terminal wrap, keep anything else as a break.
        line_start = text.rfind("\n", 0, s) + 1
        prev_char = text[s - 1] if s > 0 else ""
        next_char = text[e] if e < len(text) else ""
        glue = (
            s - line_start >= WRAP_WIDTH
            and bool(prev_char)
            and bool(_TOKEN_CHAR.match(prev_char))
            and bool(next_char)
            and bool(_TOKEN_CHAR.match(next_char))
            and not _NEW_RECORD.match(text, e)
            and not m.group("prefix").strip(
                " "
            )  # box/quote/comment prefixes wrap words
            and not _SENTENCE_START.match(text, e)
        )
        if not glue:
            emit("\n", s, e, False)
        else:
            joins.append(npos)
    if last < len(text):
        emit(text[last:], last, len(text), True)
    return Normalized(
        "".join(out),
        tuple(nstarts),
        tuple(ostarts),
        tuple(oends),
        tuple(verb),
        len(text),
        tuple(joins),
    )
