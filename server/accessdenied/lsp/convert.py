"""Core -> lsprotocol conversion: the only place 1-based positions become 0-based.

Core spans carry 1-based lines and 1-based code-point columns. LSP positions are 0-based
lines and 0-based characters counted in the negotiated position encoding (UTF-16 unless
the client offered UTF-8 or UTF-32). Everything from logs is redacted before it leaves
the server and escaped before it lands in Markdown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lsprotocol import types
from pygls import uris

from accessdenied.text import LineIndex, Pos, Span, neutralize_bidi

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial

SOURCE = "accessdenied"
UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

SEVERITIES: Mapping[str, types.DiagnosticSeverity] = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def encoding_name(encoding: object) -> str:
    """The negotiated encoding as one of `utf-8`, `utf-16`, `utf-32`."""
    value = str(getattr(encoding, "value", encoding) or UTF16).lower()
    return value if value in (UTF8, UTF16, UTF32) else UTF16


def unit_len(text: str, encoding: str = UTF16) -> int:
    """Length of `text` in the code units of `encoding`."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def column_from_units(line_text: str, units: int, encoding: str = UTF16) -> int:
    """The 0-based code-point index in `line_text` of a position `units` code units in."""
    if encoding == UTF32:
        return min(max(units, 0), len(line_text))
    seen = 0
    for i, ch in enumerate(line_text):
        if seen >= units:
            return i
        if encoding == UTF8:
            seen += len(ch.encode("utf-8", "surrogatepass"))
        else:
            seen += 2 if ord(ch) > 0xFFFF else 1
    return len(line_text)


LineText = Callable[[int], "str | None"]


class LineSource(Protocol):
    """What ranges are measured against: a `LineIndex`, or a few lines read from disk."""

    def line_text(self, line: int) -> str | None:
        """The text of 1-based `line` (None when unknown: columns count code points)."""
        ...


def to_lsp_position(
    pos: Pos, line_text: str | None = None, encoding: str = UTF16
) -> types.Position:
    """A 1-based core `Pos` as an LSP position; `line_text` is the text of `pos.line`.

    Without the line's text, columns are taken as code points (exact for ASCII).
    """
    col = max(pos.column - 1, 0)
    char = col if line_text is None else unit_len(line_text[:col], encoding)
    return types.Position(line=max(pos.line - 1, 0), character=char)


def to_lsp_range(
    span: Span, index: LineSource | None = None, encoding: str = UTF16
) -> types.Range:
    """A core `Span` as an LSP range, measured against `index` when given."""
    if index is None:
        return types.Range(
            start=to_lsp_position(span.start_pos), end=to_lsp_position(span.end_pos)
        )
    return types.Range(
        start=to_lsp_position(
            span.start_pos, index.line_text(span.start_line), encoding
        ),
        end=to_lsp_position(span.end_pos, index.line_text(span.end_line), encoding),
    )


def offsets_to_lsp_range(
    index: LineIndex, start: int, end: int, encoding: str = UTF16
) -> types.Range:
    """0-based `str` offsets into `index.text` as an LSP range."""
    return to_lsp_range(index.span(start, end), index, encoding)


def from_lsp_position(
    index: LineIndex, position: types.Position, encoding: str = UTF16
) -> int:
    """The `str` offset into `index.text` of an LSP position (clamped)."""
    line = position.line + 1
    if line > index.line_count:
        return len(index.text)
    text = index.line_text(line)
    return index.line_start(line) + column_from_units(
        text, position.character, encoding
    )


def to_lsp_text_edit(
    index: LineIndex, start: int, end: int, new_text: str, encoding: str = UTF16
) -> types.TextEdit:
    """A core offset edit as an LSP `TextEdit` against `index.text`."""
    return types.TextEdit(
        range=offsets_to_lsp_range(index, start, end, encoding), new_text=new_text
    )


def to_lsp_diagnostic_from_finding(
    finding: Any, index: LineIndex, encoding: str = UTF16
) -> types.Diagnostic:
    """A `policy.Finding` as an LSP diagnostic."""
    data = getattr(finding, "data", None)
    return types.Diagnostic(
        range=to_lsp_range(finding.span, index, encoding),
        message=str(finding.message),
        severity=SEVERITIES.get(
            str(finding.severity), types.DiagnosticSeverity.Warning
        ),
        code=str(finding.code),
        source=SOURCE,
        data={"kind": "finding", "finding": _plain(data)} if data else None,
    )


def _plain(value: Any) -> Any:
    """A JSON-safe copy of `value` (mappings, sequences and scalars)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def span_to_json(span: Span) -> dict[str, int]:
    return {
        "start": span.start,
        "end": span.end,
        "startLine": span.start_line,
        "startColumn": span.start_column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def span_from_json(data: Mapping[str, Any]) -> Span:
    return Span(
        int(data["start"]),
        int(data["end"]),
        int(data["startLine"]),
        int(data["startColumn"]),
        int(data["endLine"]),
        int(data["endColumn"]),
    )


@functools.cache
def _denial_fields() -> tuple[str, ...]:
    from accessdenied.denials.model import Denial

    return tuple(f.name for f in fields(Denial))


def denial_to_data(denial: Denial) -> dict[str, Any]:
    """A `Denial` as the JSON value stored in `Diagnostic.data`."""
    out: dict[str, Any] = {}
    for name in _denial_fields():
        value = getattr(denial, name)
        if name == "span":
            out[name] = span_to_json(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def denial_from_data(data: Any) -> Denial | None:
    """The `Denial` stored by `denial_to_data`, or None when `data` is not one."""
    from accessdenied.denials.model import Denial

    if not isinstance(data, Mapping) or "span" not in data or "text" not in data:
        return None
    try:
        kwargs: dict[str, Any] = {}
        for name in _denial_fields():
            if name not in data:
                continue
            value = data[name]
            if name == "span":
                value = span_from_json(value)
            elif name in ("extra_actions", "notes"):
                value = tuple(str(v) for v in value or ())
            elif name == "encoded_message":
                value = bool(value)
            kwargs[name] = value
        return Denial(**kwargs)
    except (KeyError, TypeError, ValueError):
        return None


_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~#])")
# An underscore between two word characters never starts emphasis (CommonMark), and
# escaping it shows a stray backslash in clients that render escapes literally (Neovim).
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape_markdown(text: object) -> str:
    """`text` safe inside Markdown: no links, HTML, autolinks or formatting.

    Brackets, angle brackets and emphasis characters are backslash-escaped (so no
    `[x](command:...)` link or `<img>` tag can form), `://` is broken up so that no
    client autolinks a URL, a leading list/heading marker is escaped, and line breaks
    become spaces.
    """
    value = neutralize_bidi(str(text).replace("\r", " ").replace("\n", " "))
    value = _MD_SPECIAL.sub(r"\\\1", value).replace("://", ":\\/\\/")
    value = _MD_UNDERSCORE.sub(r"\\_", value)
    if value[:1] in ("-", "+", "=") or re.match(r"\d+[.)]", value):
        value = "\\" + value
    return value


_CODE_SPAN = re.compile(r"(`+) ?(.*?) ?\1")
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~#/+=\-])")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def markdown_to_plaintext(markdown: str) -> str:
    """The hover Markdown this server writes, as plain text (clients without Markdown).

    Code spans lose their fences, `**bold**` and `_italic_` markers go, escapes are
    undone, and table rows become `cell: cell` lines.
    """
    out: list[str] = []
    for line in markdown.split("\n"):
        if _TABLE_RULE.match(line):
            continue
        parts: list[str] = []
        pos = 0
        for m in _CODE_SPAN.finditer(line):
            parts.append(_plain_prose(line[pos : m.start()]))
            parts.append(m.group(2))
            pos = m.end()
        parts.append(_plain_prose(line[pos:]))
        text = "".join(parts)
        if line.startswith("|") and line.rstrip().endswith("|"):
            cells = [c.strip() for c in text.strip().strip("|").split("|")]
            text = ": ".join(c for c in cells if c)
        out.append(text)
    return "\n".join(out)


def _plain_prose(text: str) -> str:
    text = text.replace("**", "")
    text = re.sub(r"(?<![0-9A-Za-z\\])_(\S(?:.*?\S)?)_(?![0-9A-Za-z])", r"\1", text)
    text = text.replace(":\\/\\/", "://")
    return _ESCAPED.sub(r"\1", text)


def code_span(text: object) -> str:
    """`text` as an inline Markdown code span (safe: code spans render literally).

    Bidi control characters are shown as `<U+XXXX>` (they would reorder the hover).
    """
    value = neutralize_bidi(str(text).replace("\r", " ").replace("\n", " "))
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def table_cell(text: object) -> str:
    """`text` as a code span inside a GFM table cell.

    `|` is escaped: in GFM it ends a cell even inside a code span.
    """
    return code_span(text).replace("|", "\\|")


def to_lsp_location(
    uri: str, span: Span, index: LineSource | None = None, encoding: str = UTF16
) -> types.Location:
    return types.Location(uri=uri, range=to_lsp_range(span, index, encoding))


def line_location(uri: str, line: int) -> types.Location:
    """A location covering the start of 1-based `line` (when only a line is known)."""
    pos = types.Position(line=max(line - 1, 0), character=0)
    return types.Location(uri=uri, range=types.Range(start=pos, end=pos))


def first(values: Iterable[Any]) -> Any:
    for v in values:
        return v
    return None


def path_to_uri(path: str | Path) -> str:
    """A file URI for a path (pygls spelling, so it matches the client's)."""
    return str(uris.from_fs_path(str(path)) or Path(path).absolute().as_uri())


def uri_to_path(uri: str) -> Path | None:
    """The path of a `file:` URI (None for other schemes)."""
    path = uris.to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None
