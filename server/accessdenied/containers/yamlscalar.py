"""A YAML string scalar's value with the source offset of every character.

JSON policies written as YAML strings come in every scalar style: plain, single- or
double-quoted (escapes, line folding), literal (`|`) and folded (`>`, `>-`, `>+`) blocks.
`scalar_map` decodes the scalar the way PyYAML's scanner does and remembers, for each
character of the value, where in the file the text that produced it starts, so an edit
planned on the value (JSON text) maps back onto the file without re-serialising the
scalar; `encode` writes inserted text in the scalar's own style (`\\"` and `\\\\` in
double quotes, `''` in single quotes). The decoded value is checked against the
parser's: a scalar this reader does not reproduce exactly is refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from accessdenied.containers.base import NotEditable

__all__ = ["ScalarMap", "encode", "scalar_map"]

_BREAKS = "\r\n\x85\u2028\u2029"

# PyYAML's double-quoted escapes (scanner.ESCAPE_REPLACEMENTS / ESCAPE_CODES).
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\x09",
    "\t": "\x09",
    "n": "\x0a",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\x0d",
    "e": "\x1b",
    " ": "\x20",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_CODES = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True, slots=True)
class ScalarMap:
    """A scalar's value and, per character, the file offset of its source text."""

    value: str
    offsets: tuple[int, ...]
    #: File offset where text appended at the end of the value goes.
    end: int
    #: The scalar style ('"', "'", None for plain, "|" or ">").
    style: str | None
    #: Indentation of a block scalar's content lines ("" for flow scalars).
    indent: str

    def to_file(self, offset: int) -> int:
        """The file offset of a value offset (len(value): the end)."""
        return self.offsets[offset] if offset < len(self.offsets) else self.end


def _line_break(text: str, i: int) -> tuple[str, int]:
    """(the value of the line break at i, the offset after it), as PyYAML reads it."""
    ch = text[i]
    if ch == "\r" and text[i + 1 : i + 2] == "\n":
        return "\n", i + 2
    if ch in "\r\n\x85":
        return "\n", i + 1
    return ch, i + 1  # \u2028, \u2029


def _flow_breaks(text: str, i: int) -> tuple[list[str], int]:
    """Blank-line breaks after a folded line break (leading blanks skipped)."""
    breaks: list[str] = []
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] in _BREAKS:
            b, i = _line_break(text, i)
            breaks.append(b)
            continue
        return breaks, i


def _flow(text: str, start: int, end: int, style: str | None) -> ScalarMap:
    double = style == '"'
    i = start + 1 if style in ('"', "'") else start
    stop = end - 1 if style in ('"', "'") else end
    out: list[str] = []
    src: list[int] = []

    def put(chars: str, at: int) -> None:
        out.extend(chars)
        src.extend([at] * len(chars))

    while i < stop:
        ch = text[i]
        if ch in " \t":
            j = i
            while j < stop and text[j] in " \t":
                j += 1
            if j < stop and text[j] in _BREAKS:
                b, k = _line_break(text, j)
                breaks, k = _flow_breaks(text, k)
                if b != "\n":
                    put(b, i)
                elif not breaks:
                    put(" ", i)
                put("".join(breaks), i)
                i = k
            else:
                put(text[i:j], i)
                i = j
        elif ch in _BREAKS:
            b, k = _line_break(text, i)
            breaks, k = _flow_breaks(text, k)
            if b != "\n":
                put(b, i)
            elif not breaks:
                put(" ", i)
            put("".join(breaks), i)
            i = k
        elif not double and ch == "'" and text[i + 1 : i + 2] == "'":
            put("'", i)
            i += 2
        elif double and ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                put(_ESCAPES[nxt], i)
                i += 2
            elif nxt in _CODES:
                n = _CODES[nxt]
                digits = text[i + 2 : i + 2 + n]
                try:
                    put(chr(int(digits, 16)), i)
                except ValueError as exc:
                    raise NotEditable("the YAML string has a bad escape") from exc
                i += 2 + n
            elif nxt and nxt in _BREAKS:
                _, k = _line_break(text, i + 1)
                breaks, k = _flow_breaks(text, k)
                put("".join(breaks), i)
                i = k
            else:
                raise NotEditable("the YAML string has an unknown escape")
        else:
            put(ch, i)
            i += 1
    return ScalarMap("".join(out), tuple(src), stop, style, "")


def _block(text: str, start: int, end: int, style: str) -> ScalarMap:
    folded = style == ">"
    header_end = text.index("\n", start) + 1 if "\n" in text[start:end] else end
    header = text[start:header_end].split("#", 1)[0].strip()
    chomp = "+" if "+" in header else "-" if "-" in header else ""
    lines: list[tuple[int, str]] = []  # (offset of the line, line without break)
    pos = header_end
    for raw in text[header_end:end].splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append((pos, body))
        pos += len(raw)
    contents = [body for _, body in lines if body.strip()]
    if not contents:
        raise NotEditable("the YAML block string is empty")
    indent = min(len(b) - len(b.lstrip(" ")) for b in contents)
    out: list[str] = []
    src: list[int] = []
    pending: list[tuple[str, int]] = []  # blank-line breaks not yet placed
    last_break: tuple[str, int] | None = None
    prev_plain = False
    first = True
    for at, body in lines:
        if not body.strip():
            pending.append(("\n", at + len(body)))
            continue
        if not first:
            assert last_break is not None
            this_plain = body[indent : indent + 1] not in (" ", "\t")
            if folded and prev_plain and this_plain:
                if not pending:
                    out.append(" ")
                    src.append(last_break[1])
            else:
                out.append(last_break[0])
                src.append(last_break[1])
        for b, boff in pending:
            out.append(b)
            src.append(boff)
        pending = []
        content = body[indent:]
        out.extend(content)
        src.extend(range(at + indent, at + indent + len(content)))
        last_break = ("\n", at + len(body))
        prev_plain = content[:1] not in (" ", "\t")
        first = False
    assert last_break is not None
    # Chomping: clip keeps one final break, strip none, keep all.
    tail_at = last_break[1]
    if chomp != "-":
        out.append("\n")
        src.append(tail_at)
        if chomp == "+":
            for b, boff in pending:
                out.append(b)
                src.append(boff)
    return ScalarMap("".join(out), tuple(src), tail_at, style, " " * indent)


def scalar_map(text: str, node: yaml.ScalarNode) -> ScalarMap:
    """The scalar's value with source offsets (NotEditable when it cannot be mapped)."""
    start, end = node.start_mark.index, node.end_mark.index
    style = node.style
    if style in ("|", ">"):
        m = _block(text, start, end, style)
    elif style in ('"', "'", None):
        m = _flow(text, start, end, style)
    else:  # pragma: no cover - PyYAML has no other styles
        raise NotEditable(f"the YAML string style {style!r} is not supported")
    if m.value != node.value:
        raise NotEditable(
            "the YAML string's layout is not one this editor maps exactly; "
            "edit it by hand"
        )
    return m


def encode(value: str, style: str | None, indent: str) -> str:
    """Text that reads back as `value` when inserted inside a scalar of `style`.

    Double quotes escape `\\`, `"` and control characters; single quotes double `'`;
    block scalars continue new lines at the content indentation. A line break cannot
    be written into a plain or single-quoted one-line scalar (NotEditable).
    """
    if style == '"':
        out = []
        for ch in value:
            if ch == "\\":
                out.append("\\\\")
            elif ch == '"':
                out.append('\\"')
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\t":
                out.append("\\t")
            elif ch == "\r":
                out.append("\\r")
            elif ord(ch) < 0x20:
                out.append(f"\\x{ord(ch):02x}")
            else:
                out.append(ch)
        return "".join(out)
    if style in ("|", ">"):
        return value.replace("\n", "\n" + indent)
    if "\n" in value:
        raise NotEditable("the new statement does not fit a one-line YAML string")
    if style == "'":
        return value.replace("'", "''")
    return value
