"""Minimal text edits to a policy document: add a statement, extend one, remove one.

Every edit inserts or replaces the smallest range; all other bytes stay as they were.
New text follows the document's style: indentation unit (tabs, 2/4 spaces), minified or
pretty, `": "` vs `":"`, CRLF line endings, and the key order of existing statements.
The document may be embedded: `base` is its offset inside the file text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# TextEdit and EditError live with the container protocol (containers import nothing
# from fixes); re-exported here for the editors below and existing callers.
from accessdenied.containers.base import EditError as EditError
from accessdenied.containers.base import TextEdit as TextEdit


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (any order)."""
    out = text
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: e.start] + e.new_text + out[e.end :]
    return out


@dataclass(frozen=True, slots=True)
class Style:
    """How the document is written."""

    newline: str
    unit: str  # one indentation level; "" when minified
    colon: str  # ": " or ":"
    comma: str  # "," or ", " (minified only)
    key_order: tuple[str, ...]

    @property
    def minified(self) -> bool:
        return self.unit == ""


DEFAULT_ORDER = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)


def _line_indent(text: str, offset: int) -> str:
    """Leading whitespace of the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    m = re.match(r"[ \t]*", text[start:offset])
    return m.group(0) if m else ""


def _on_own_line(text: str, offset: int) -> bool:
    start = text.rfind("\n", 0, offset) + 1
    return text[start:offset].strip() == ""


def _members(node: Any) -> Sequence[Any]:
    return tuple(getattr(node, "members", ()) or ())


def _key(member: Any) -> str:
    k = member.key
    value = k.to_python() if hasattr(k, "to_python") else getattr(k, "value", k)
    return str(value)


def is_object(node: Any) -> bool:
    return getattr(node, "members", None) is not None


def is_array(node: Any) -> bool:
    return getattr(node, "items", None) is not None and not is_object(node)


def detect_style(text: str, root: Any, statements: Sequence[Any]) -> Style:
    """The document's formatting conventions."""
    seg = text[root.span.start : root.span.end]
    newline = "\r\n" if "\r\n" in text else "\n"
    unit = ""
    if not _members(root) and not statements:
        # `{}` says nothing about style: write it pretty.
        unit = "  "
    elif "\n" in seg:
        base = _line_indent(text, root.span.start)
        for m in _members(root):
            off = m.key.span.start
            if _on_own_line(text, off):
                ind = _line_indent(text, off)
                unit = ind[len(base) :] if ind.startswith(base) and ind != base else ind
                break
        if not unit:
            unit = "\t" if "\n\t" in seg else "  "
    colon = ": " if re.search(r'"\s*:\s', seg) or not seg.count(":") else ":"
    comma = ", " if unit == "" and re.search(r",\s", seg) else ","
    order: list[str] = []
    for stmt in statements:
        for m in _members(stmt):
            k = _key(m)
            if k not in order:
                order.append(k)
    for k in DEFAULT_ORDER:
        if k not in order:
            # Keep the default relative position: insert after its predecessor if known.
            idx = DEFAULT_ORDER.index(k)
            pos = 0
            for prev in DEFAULT_ORDER[:idx]:
                if prev in order:
                    pos = order.index(prev) + 1
            order.insert(pos, k)
    return Style(newline, unit, colon, comma, tuple(order))


class _Block(list[Any]):
    """A list rendered one item per line even when it has one item."""


def _as_block(items: list[Any]) -> list[Any]:
    return _Block(items)


def render(value: Any, style: Style, indent: str) -> str:
    """JSON text of `value` in `style`, its first line at `indent` (not emitted)."""
    if isinstance(value, Mapping):
        keys = [k for k in style.key_order if k in value] + [
            k for k in value if k not in style.key_order
        ]
        if style.minified:
            inner = style.comma.join(
                f"{json.dumps(k)}{style.colon}{render(value[k], style, indent)}"
                for k in keys
            )
            return "{" + inner + "}"
        inner_indent = indent + style.unit
        parts = [
            f"{inner_indent}{json.dumps(k)}{style.colon}{render(value[k], style, inner_indent)}"
            for k in keys
        ]
        return (
            "{"
            + style.newline
            + ("," + style.newline).join(parts)
            + style.newline
            + indent
            + "}"
        )
    if isinstance(value, list):
        if style.minified or (len(value) <= 1 and not isinstance(value, _Block)):
            sep = style.comma if style.minified else ", "
            return "[" + sep.join(render(v, style, indent) for v in value) + "]"
        inner_indent = indent + style.unit
        parts = [inner_indent + render(v, style, inner_indent) for v in value]
        return (
            "["
            + style.newline
            + ("," + style.newline).join(parts)
            + style.newline
            + indent
            + "]"
        )
    return json.dumps(value, ensure_ascii=False)


def _item_indent(text: str, container: Any, items: Sequence[Any], style: Style) -> str:
    for item in items:
        if _on_own_line(text, item.span.start):
            return _line_indent(text, item.span.start)
    return _line_indent(text, container.span.start) + style.unit


def append_to_array(
    text: str, array: Any, value_text_at: Any, style: Style, owner_indent: str
) -> TextEdit:
    """Insert a rendered item at the end of `array` (empty or not)."""
    items = tuple(array.items)
    if items:
        last = items[-1]
        if style.minified or not _on_own_line(text, last.span.start):
            ind = _line_indent(text, last.span.start) if not style.minified else ""
            if not style.minified and _on_own_line(text, array.span.start) is False:
                ind = owner_indent + style.unit
            body = value_text_at(ind)
            if style.minified:
                return TextEdit(last.span.end, last.span.end, style.comma + body)
            return TextEdit(last.span.end, last.span.end, ", " + body)
        ind = _line_indent(text, last.span.start)
        return TextEdit(
            last.span.end, last.span.end, "," + style.newline + ind + value_text_at(ind)
        )
    # Empty array: replace its interior.
    open_, close = array.span.start + 1, array.span.end - 1
    if style.minified:
        return TextEdit(open_, close, value_text_at(""))
    ind = owner_indent + style.unit
    return TextEdit(
        open_,
        close,
        style.newline + ind + value_text_at(ind) + style.newline + owner_indent,
    )


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def find_extendable(
    statements: Sequence[Any],
    resource: str | None,
    principal: Any,
    resource_key: bool = True,
) -> Any | None:
    """An Allow statement with exactly these resources (and principal), no conditions."""
    for stmt in statements:
        v = stmt.to_python() if hasattr(stmt, "to_python") else None
        if not isinstance(v, dict) or v.get("Effect") != "Allow":
            continue
        if any(
            k in v for k in ("Condition", "NotAction", "NotResource", "NotPrincipal")
        ):
            continue
        if "Action" not in v or _strings(v["Action"]) is None:
            continue
        if resource_key:
            res = _strings(v.get("Resource"))
            if res is None or set(res) != {resource}:
                continue
        elif "Resource" in v:
            continue
        if v.get("Principal") != principal:
            continue
        return stmt
    return None


def extend_action(
    text: str, stmt: Any, actions: Sequence[str], style: Style
) -> TextEdit:
    """Add actions to a statement's Action (a string becomes an array)."""
    member = next(m for m in _members(stmt) if _key(m) == "Action")
    node = member.value
    new = list(actions)
    if is_array(node):
        items = tuple(node.items)
        if items and _on_own_line(text, items[-1].span.start) and not style.minified:
            ind = _line_indent(text, items[-1].span.start)
            body = ("," + style.newline + ind).join(json.dumps(a) for a in new)
            return TextEdit(
                items[-1].span.end, items[-1].span.end, "," + style.newline + ind + body
            )
        if items:
            sep = style.comma if style.minified else ", "
            return TextEdit(
                items[-1].span.end,
                items[-1].span.end,
                sep + sep.join(json.dumps(a) for a in new),
            )
        return TextEdit(
            node.span.start + 1,
            node.span.end - 1,
            ", ".join(json.dumps(a) for a in new),
        )
    # A single string: replace it with an inline array, old value first.
    old = text[node.span.start : node.span.end]
    sep = style.comma if style.minified else ", "
    return TextEdit(
        node.span.start,
        node.span.end,
        "[" + sep.join([old, *(json.dumps(a) for a in new)]) + "]",
    )


def insert_statement(
    text: str, root: Any, statement: Mapping[str, Any], style: Style
) -> tuple[TextEdit, str]:
    """Add `statement` to the document rooted at `root`; returns the edit and its shape."""
    stmt_member = next((m for m in _members(root) if _key(m) == "Statement"), None)
    if stmt_member is not None:
        node = stmt_member.value
        owner_indent = _line_indent(text, stmt_member.key.span.start)
        if is_array(node):
            edit = append_to_array(
                text,
                node,
                lambda ind: render(statement, style, ind),
                style,
                owner_indent,
            )
            return (
                edit,
                "appended to the Statement array"
                if node.items
                else "into the empty Statement array",
            )
        if is_object(node):
            # A single-object Statement becomes an array; the object's bytes stay.
            if style.minified or not _on_own_line(text, node.span.end - 1):
                body = render(statement, style, owner_indent)
                sep = style.comma if style.minified else ", "
                return (
                    TextEdit(
                        node.span.start,
                        node.span.end,
                        "[" + text[node.span.start : node.span.end] + sep + body + "]",
                    ),
                    "Statement object turned into an array",
                )
            ind = _line_indent(text, node.span.end - 1)
            body = render(statement, style, ind)
            return (
                TextEdit(
                    node.span.start,
                    node.span.end,
                    "["
                    + text[node.span.start : node.span.end]
                    + ","
                    + style.newline
                    + ind
                    + body
                    + "]",
                ),
                "Statement object turned into an array",
            )
        raise EditError("Statement is neither an object nor an array")
    members = _members(root)
    if members:
        last = members[-1]
        if style.minified or not _on_own_line(text, last.key.span.start):
            ind = (
                ""
                if style.minified
                else _line_indent(text, root.span.start) + style.unit
            )
            body = render([statement], style, ind)
            sep = style.comma if style.minified else ", "
            return (
                TextEdit(
                    last.value.span.end,
                    last.value.span.end,
                    f'{sep}"Statement"{style.colon}{body}',
                ),
                "Statement created",
            )
        ind = _line_indent(text, last.key.span.start)
        body = render(_as_block([statement]), style, ind)
        return (
            TextEdit(
                last.value.span.end,
                last.value.span.end,
                f',{style.newline}{ind}"Statement"{style.colon}{body}',
            ),
            "Statement created",
        )
    outer = _line_indent(text, root.span.start)
    ind = outer + style.unit
    body = render(_as_block([statement]), style, ind)
    if style.minified:
        return TextEdit(
            root.span.start + 1, root.span.end - 1, f'"Statement"{style.colon}{body}'
        ), "Statement created"
    return (
        TextEdit(
            root.span.start + 1,
            root.span.end - 1,
            f'{style.newline}{ind}"Statement"{style.colon}{body}{style.newline}{outer}',
        ),
        "Statement created",
    )


def remove_statement(text: str, array: Any, stmt: Any) -> TextEdit:
    """Delete one statement from the Statement array with its separating comma."""
    items = tuple(array.items)
    idx = next(i for i, it in enumerate(items) if it.span.start == stmt.span.start)
    if len(items) == 1:
        return TextEdit(array.span.start + 1, array.span.end - 1, "")
    if idx > 0:
        prev = items[idx - 1]
        return TextEdit(prev.span.end, stmt.span.end, "")
    nxt = items[1]
    return TextEdit(stmt.span.start, nxt.span.start, "")
