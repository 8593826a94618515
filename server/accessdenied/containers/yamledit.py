"""Minimal YAML text edits in the file's own style (never a re-serialisation).

Works on PyYAML's composed nodes (their marks are code-point offsets with the pure
Python loader): a statement is appended after the last item of a block or flow
sequence, an action after the last action, a missing `Statement` key after the last
key. New lines copy the indentation of their neighbours, the quoting the document
already uses, the file's line ending (CRLF stays CRLF); comments and every byte
outside the inserted range are kept. Values CloudFormation must resolve are written
as `Intrinsic`s (short form `!GetAtt X.Arn` when the file uses short forms or none,
else the long `Fn::GetAtt` form).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml

from accessdenied import safeio
from accessdenied.containers.base import EditError, NotEditable, TextEdit

__all__ = [
    "Intrinsic",
    "YamlStyle",
    "append_block_item",
    "compose",
    "detect_yaml_style",
    "find_node",
    "plan_statement_list",
    "plan_yaml_grant",
    "render_block",
    "render_flow",
]


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A CloudFormation function to write: `Fn::GetAtt` ["X", "Arn"], `Ref` "X", `Fn::Sub` "..."."""

    fn: str
    arg: Any

    def long_form(self) -> dict[str, Any]:
        """As CloudFormation JSON reads it."""
        return {self.fn: self.arg}


@dataclass(frozen=True, slots=True)
class YamlStyle:
    """How the YAML around a document is written."""

    newline: str
    unit: int  # spaces per nesting level
    seq_indent: (
        int  # extra indentation of a block sequence under its key (0: indentless)
    )
    quote: str  # "" (plain when safe), '"' or "'"
    short_forms: bool  # !GetAtt rather than Fn::GetAtt


def compose(text: str) -> yaml.Node:
    """The composed YAML of a file (EditError when it does not parse)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise EditError(f"the template does not parse{where}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise EditError(f"the template does not parse: {exc}") from exc
    if node is None:
        raise EditError("the template is empty")
    if safeio.yaml_too_large(node):  # billion laughs: aliases expanding without end
        raise EditError("the template's YAML aliases expand too far; not edited")
    return node


def find_node(root: yaml.Node, start: int, end: int | None = None) -> yaml.Node | None:
    """The node starting at `start` (and ending at `end` when given), depth-first."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start_mark.index == start and (
            end is None or node.end_mark.index == end
        ):
            return node
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack.extend((v, k))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _lines_indent(text: str, offset: int) -> int:
    start = text.rfind("\n", 0, offset) + 1
    m = re.match(r"[ ]*", text[start:offset])
    return len(m.group(0)) if m else 0


def detect_yaml_style(text: str, node: yaml.Node) -> YamlStyle:
    """Indentation unit, sequence indentation, quoting and intrinsic form near `node`."""
    newline = "\r\n" if "\r\n" in text else "\n"
    units: list[int] = []
    seq_indents: list[int] = []
    quotes = {'"': 0, "'": 0, "": 0}

    def walk(n: yaml.Node, key_col: int | None) -> None:
        if isinstance(n, yaml.MappingNode):
            if not n.flow_style and key_col is not None and n.value:
                col = n.value[0][0].start_mark.column
                if col > key_col:
                    units.append(col - key_col)
            for k, v in n.value:
                walk(v, k.start_mark.column)
        elif isinstance(n, yaml.SequenceNode):
            if not n.flow_style and key_col is not None and n.value:
                dash = _dash_column(text, n.value[0])
                if dash is not None:
                    seq_indents.append(dash - key_col)
            for item in n.value:
                walk(item, None)
        elif (
            isinstance(n, yaml.ScalarNode)
            and not (n.tag or "").startswith("!")
            and (":" in n.value or n.value == "*")
        ):
            quotes[n.style or ""] = quotes.get(n.style or "", 0) + 1

    walk(node, None)
    unit = max(set(units), key=units.count) if units else 2
    seq = max(set(seq_indents), key=seq_indents.count) if seq_indents else unit
    quote = (
        ""
        if quotes[""] >= max(quotes['"'], quotes["'"])
        else ('"' if quotes['"'] >= quotes["'"] else "'")
    )
    short = "Fn::" not in text or re.search(r"![A-Z][A-Za-z]+\b", text) is not None
    return YamlStyle(newline, max(unit, 1), max(seq, 0), quote, short)


def _dash_column(text: str, item: yaml.Node) -> int | None:
    """Column of the `-` introducing a block sequence item."""
    i = item.start_mark.index - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    if i >= 0 and text[i] == "-":
        return i - (text.rfind("\n", 0, i) + 1)
    return None


def content_end(text: str, node: yaml.Node) -> int:
    """Offset just past the last character of a node's own text (not trailing lines)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return content_end(text, node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return content_end(text, node.value[-1])
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_end(text: str, offset: int) -> int:
    """The offset of the line break ending the line of `offset` (len(text) if none)."""
    nl = text.find("\n", offset)
    if nl == -1:
        return len(text)
    return nl - 1 if nl > 0 and text[nl - 1] == "\r" else nl


def scalar(value: str, style: YamlStyle, flow: bool) -> str:
    """A YAML scalar for `value`: plain when it reads back the same, else quoted."""
    # The document's quoting applies to the values it quotes (ARNs, actions, `*`);
    # words such as keys and `Allow` stay plain when plain reads back the same.
    styled = ":" in value or "*" in value
    if (style.quote == "" or not styled) and _plain_ok(value, flow):
        return value
    if style.quote == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    import json

    return json.dumps(value, ensure_ascii=False)


def _plain_ok(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or "#" in value:
        return False
    probe = f"[{value}]" if flow else f"k: {value}"
    try:
        loaded = yaml.safe_load(probe)
    except yaml.YAMLError:
        return False
    got = (
        loaded[0]
        if flow and isinstance(loaded, list) and loaded
        else (loaded.get("k") if isinstance(loaded, dict) else None)
    )
    return got == value and isinstance(got, str)


def _intrinsic_text(value: Intrinsic, style: YamlStyle, flow: bool) -> str | None:
    """Short-form text of an intrinsic (None: write the long form)."""
    if not style.short_forms:
        return None
    if value.fn == "Fn::GetAtt" and isinstance(value.arg, list):
        return f"!GetAtt {value.arg[0]}.{value.arg[1]}"
    if value.fn == "Ref":
        return f"!Ref {value.arg}"
    if value.fn == "Fn::Sub" and isinstance(value.arg, str):
        # A !Sub string is quoted (the document's quote, else double quotes).
        if style.quote == "'" and "'" not in value.arg:
            return f"!Sub '{value.arg}'"
        import json

        return "!Sub " + json.dumps(value.arg, ensure_ascii=False)
    return None


def render_flow(value: Any, style: YamlStyle) -> str:
    """A flow-style YAML value (`{Effect: Allow, Action: [a, b]}`)."""
    if isinstance(value, Intrinsic):
        short = _intrinsic_text(value, style, True)
        return short if short is not None else render_flow(value.long_form(), style)
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(
                f"{scalar(str(k), style, True)}: {render_flow(v, style)}"
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_flow(v, style) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return scalar(str(value), style, True)


def render_block(value: Mapping[str, Any], style: YamlStyle, col: int) -> list[str]:
    """Lines of a block mapping whose keys start at column `col` (first line unindented)."""
    lines: list[str] = []
    pad = " " * col
    for i, (k, v) in enumerate(value.items()):
        head = ("" if i == 0 else pad) + scalar(str(k), style, False) + ":"
        if isinstance(v, Intrinsic):
            short = _intrinsic_text(v, style, False)
            if short is not None:
                lines.append(f"{head} {short}")
            else:
                inner = v.long_form()
                sub = render_block(inner, style, col + style.unit)
                lines.append(head)
                lines.append(" " * (col + style.unit) + sub[0])
                lines.extend(sub[1:])
        elif isinstance(v, Mapping) and v:
            sub = render_block(v, style, col + style.unit)
            lines.append(head)
            lines.append(" " * (col + style.unit) + sub[0])
            lines.extend(sub[1:])
        elif isinstance(v, list | tuple) and len(v) > 1:
            lines.append(head)
            dash = " " * (col + style.seq_indent) + "- "
            for item in v:
                lines.append(dash + render_flow(item, style))
        elif isinstance(v, list | tuple):
            lines.append(f"{head} {render_flow(v[0], style) if v else '[]'}")
        else:
            lines.append(f"{head} {render_flow(v, style)}")
    return lines


def append_block_item(
    text: str, seq: yaml.SequenceNode, item: Mapping[str, Any] | str, style: YamlStyle
) -> TextEdit:
    """A new last item of a non-empty block sequence, indented like the others."""
    last = seq.value[-1]
    dash = _dash_column(text, last)
    if dash is None:
        raise NotEditable("the sequence layout is not recognised")
    if isinstance(last, yaml.MappingNode) and not last.flow_style and last.value:
        key_col = last.value[0][0].start_mark.column
    else:
        key_col = dash + 2
    at = _line_end(text, content_end(text, seq))
    if isinstance(item, str):
        body = [item]
    elif isinstance(last, yaml.MappingNode) and last.flow_style:
        body = [render_flow(item, style)]
    else:
        body = render_block(item, style, key_col)
    first = " " * dash + "-" + " " * (key_col - dash - 1) + body[0]
    new = style.newline + style.newline.join([first, *body[1:]])
    return TextEdit(at, at, new)


def _value_of(
    mapping: yaml.MappingNode, key: str
) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _python(node: yaml.Node) -> Any:
    from accessdenied.containers.cloudformation import strip_spans, yaml_tree

    return strip_spans(yaml_tree(node))


def _long(value: Any) -> Any:
    """Intrinsics in a written value as CloudFormation's long form (for comparisons)."""
    if isinstance(value, Intrinsic):
        return {value.fn: _long(value.arg)}
    if isinstance(value, dict):
        return {k: _long(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_long(v) for v in value]
    return value


def _statement_nodes(stmts: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(stmts, yaml.SequenceNode):
        return list(stmts.value)
    if isinstance(stmts, yaml.MappingNode):
        return [stmts]
    return []


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _extendable(
    stmts: Sequence[yaml.Node], resource: Any, principal: Any, resource_key: bool
) -> tuple[int, yaml.MappingNode] | None:
    for i, node in enumerate(stmts):
        if not isinstance(node, yaml.MappingNode):
            continue
        v = _python(node)
        if not isinstance(v, dict) or v.get("Effect") != "Allow":
            continue
        if any(
            k in v for k in ("Condition", "NotAction", "NotResource", "NotPrincipal")
        ):
            continue
        if _strings(v.get("Action")) is None:
            continue
        if resource_key:
            if v.get("Resource") not in (resource, [resource]):
                continue
        elif "Resource" in v:
            continue
        if v.get("Principal") != principal:
            continue
        return i, node
    return None


def _extend_action(
    text: str, stmt: yaml.MappingNode, actions: Sequence[str], style: YamlStyle
) -> TextEdit:
    found = _value_of(stmt, "Action")
    if found is None:
        raise NotEditable("the statement has no Action")
    node = found[1]
    if isinstance(node, yaml.SequenceNode) and node.value:
        if node.flow_style:
            end = node.value[-1].end_mark.index
            return TextEdit(
                end, end, "".join(", " + scalar(a, style, True) for a in actions)
            )
        edit = append_block_item(text, node, scalar(actions[0], style, False), style)
        for a in actions[1:]:
            dash = _dash_column(text, node.value[-1]) or 0
            edit = TextEdit(
                edit.start,
                edit.end,
                edit.new_text
                + style.newline
                + " " * dash
                + "- "
                + scalar(a, style, False),
            )
        return edit
    if isinstance(node, yaml.ScalarNode):
        old = text[node.start_mark.index : content_end(text, node)]
        new = "[" + ", ".join([old, *(scalar(a, style, True) for a in actions)]) + "]"
        return TextEdit(node.start_mark.index, content_end(text, node), new)
    raise NotEditable("the statement's Action is neither a list nor a string")


def plan_yaml_grant(
    text: str,
    doc: yaml.Node,
    written: dict[str, Any],
    actions: Sequence[str],
    kind: str,
    short_forms: bool | None = None,
) -> tuple[tuple[TextEdit, ...], str, str]:
    """Edits adding `written` (or its actions) to the document node: (edits, kind, how)."""
    if not isinstance(doc, yaml.MappingNode):
        raise NotEditable("the policy document is not a YAML mapping")
    style = detect_yaml_style(text, doc)
    if short_forms is not None:
        style = replace(style, short_forms=short_forms)
    found = _value_of(doc, "Statement")
    return _plan_found(text, doc, found, style, written, actions, kind)


def plan_statement_list(
    text: str,
    seq: yaml.Node,
    written: dict[str, Any],
    actions: Sequence[str],
    kind: str,
    short_forms: bool | None = None,
) -> tuple[tuple[TextEdit, ...], str, str]:
    """Like `plan_yaml_grant` for a bare list of statements (Serverless)."""
    style = detect_yaml_style(text, seq)
    if short_forms is not None:
        style = replace(style, short_forms=short_forms)
    return _plan_found(text, seq, (seq, seq), style, written, actions, kind)


def _plan_found(
    text: str,
    doc: yaml.Node,
    found: tuple[yaml.Node, yaml.Node] | None,
    style: YamlStyle,
    written: dict[str, Any],
    actions: Sequence[str],
    kind: str,
) -> tuple[tuple[TextEdit, ...], str, str]:
    stmts = _statement_nodes(found[1] if found else None)
    res = written.get("Resource")
    principal = _long(written.get("Principal"))
    plain = {
        k: (v.long_form() if isinstance(v, Intrinsic) else v)
        for k, v in written.items()
    }
    hit = None
    if "Condition" not in written:
        hit = _extendable(
            stmts,
            res.long_form() if isinstance(res, Intrinsic) else res,
            principal,
            kind != "trust",
        )
    if hit is not None:
        i, hit_node = hit
        v = _python(hit_node)
        present = {a.lower() for a in _strings(v.get("Action")) or []}
        missing = [a for a in actions if a.lower() not in present]
        if missing:
            sid = v.get("Sid")
            name = f"{sid!r} (#{i + 1})" if isinstance(sid, str) else f"#{i + 1}"
            return (
                (_extend_action(text, hit_node, missing, style),),
                "extend-statement",
                f"added to the Action of the existing statement {name}",
            )
    del plain
    sid = written.get("Sid")
    if found is None:
        if not isinstance(doc, yaml.MappingNode):
            raise NotEditable("the policy document is not a YAML mapping")
        if doc.flow_style:
            end = doc.end_mark.index - 1
            sep = ", " if doc.value else ""
            edit = TextEdit(
                end, end, f"{sep}Statement: [{render_flow(written, style)}]"
            )
        else:
            if not doc.value:
                raise NotEditable("the policy document is empty")
            col = doc.value[0][0].start_mark.column
            at = _line_end(text, content_end(text, doc))
            body = render_block(written, style, col + style.seq_indent + 2)
            first = " " * (col + style.seq_indent) + "- " + body[0]
            new = style.newline.join(["", " " * col + "Statement:", first, *body[1:]])
            edit = TextEdit(at, at, new)
        return (edit,), "insert-statement", f"new statement {sid!r}: Statement created"
    node = found[1]
    if isinstance(node, yaml.SequenceNode):
        if node.flow_style:
            rendered = render_flow(written, style)
            if node.value:
                end = node.value[-1].end_mark.index
                edit = TextEdit(end, end, ", " + rendered)
            else:
                edit = TextEdit(
                    node.start_mark.index + 1, node.end_mark.index - 1, rendered
                )
            return (
                (edit,),
                "insert-statement",
                f"new statement {sid!r}: appended to the Statement list",
            )
        if not node.value:
            raise NotEditable("the Statement list is empty")
        edit = append_block_item(text, node, written, style)
        return (
            (edit,),
            "insert-statement",
            f"new statement {sid!r}: appended to the Statement list",
        )
    if isinstance(node, yaml.MappingNode) and node.flow_style:
        s, e = node.start_mark.index, node.end_mark.index
        edit = TextEdit(
            s, e, "[" + text[s:e] + ", " + render_flow(written, style) + "]"
        )
        return (
            (edit,),
            "insert-statement",
            f"new statement {sid!r}: Statement turned into a list",
        )
    if isinstance(node, yaml.MappingNode) and node.value:
        # A single block mapping becomes the first item of a list: the two spaces
        # before its first key turn into "- " (its keys keep their columns), then the
        # new statement follows as the second item.
        key = node.value[0][0].start_mark.index
        col = node.value[0][0].start_mark.column
        if col < 2 or text[key - 2 : key] != "  ":
            raise NotEditable(
                "Statement is a single mapping; make it a list (`- Effect: ...`) first"
            )
        at = _line_end(text, content_end(text, node))
        body = render_block(written, style, col)
        new = style.newline + " " * (col - 2) + "- " + style.newline.join(body)
        return (
            (TextEdit(key - 2, key, "- "), TextEdit(at, at, new)),
            "insert-statement",
            f"new statement {sid!r}: Statement turned into a list",
        )
    raise NotEditable("Statement is neither a list nor a mapping")
