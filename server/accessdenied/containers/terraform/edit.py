"""Text edits to Terraform policy documents, in the file's own style.

`jsonencode({...})`: a statement object appended to `Statement` (or an `Action` list
extended) in HCL object syntax, with the file's separator, key quoting, alignment and
indentation. `data "aws_iam_policy_document"`: a new `statement { ... }` block (with
`principals` / `condition` blocks for resource and trust policies) or an extended
`actions` list. Heredocs are JSON: edited as JSON, with `${...}` references kept.
Resources managed in the same configuration are written as references
(`aws_dynamodb_table.orders.arn`, `"${aws_s3_bucket.r.arn}/*"`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessdenied.containers.base import EditError, TextEdit
from accessdenied.containers.terraform.documents import (
    dynamic_statements,
    policy_document,
    statement_of,
)
from accessdenied.containers.terraform.hcl import (
    Block,
    Expr,
    HclError,
    HclFile,
    Member,
    parse_hcl,
)
from accessdenied.containers.terraform.resolve import (
    Module,
    Resolver,
    evaluable,
)


class NotEditableError(EditError):
    """The document is valid but cannot be edited safely (explained, nothing written)."""


@dataclass(frozen=True, slots=True)
class RefExpr:
    """A literal value written as a reference: `expr` followed by a literal `suffix`."""

    expr: str
    suffix: str = ""

    def hcl(self) -> str:
        """As an HCL expression."""
        if not self.suffix:
            return self.expr
        return '"${' + self.expr + "}" + _hcl_escape(self.suffix) + '"'

    def json_string(self) -> str:
        """As a JSON string in a heredoc (Terraform interpolates it)."""
        return json.dumps("${" + self.expr + "}" + self.suffix)


@dataclass(frozen=True, slots=True)
class TfPlan:
    """Edits plus the document as evaluated before and after them."""

    edits: tuple[TextEdit, ...]
    fix_kind: str  # insert-statement | extend-statement
    statement: Mapping[str, Any]
    how: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def _wild(pattern: str, value: str) -> bool:
    rx = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.fullmatch(rx, value, re.DOTALL) is not None


def reference_for(
    value: str, references: Sequence[tuple[str, str, str]]
) -> RefExpr | None:
    """The reference that evaluates to `value` (a resource ARN, or one plus a path)."""
    if not value.startswith("arn:"):
        return None
    best: RefExpr | None = None
    for literal, address, attr in references:
        expr = f"{address}.{attr}"
        if literal == value or ("*" in literal and _wild(literal, value)):
            return RefExpr(expr)
        for i, ch in enumerate(value):
            if ch in "/:" and i > len("arn:aws:"):
                head = value[:i]
                if head == literal or ("*" in literal and _wild(literal, head)):
                    cand = RefExpr(expr, value[i:])
                    if best is None or len(cand.suffix) < len(best.suffix):
                        best = cand
                    break
    return best


def _hcl_escape(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return out.replace("${", "$${").replace("%{", "%%{")


def hcl_string(s: str) -> str:
    """An HCL quoted string literal."""
    return '"' + _hcl_escape(s) + '"'


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def hcl_key(k: str, quoted: bool = False) -> str:
    """An object key (quoted when asked or when it is not an identifier)."""
    return json.dumps(k) if quoted or not _IDENT.match(k) else k


def hcl_value(v: Any, refs: Mapping[str, RefExpr]) -> str:
    """An inline HCL expression for a JSON-like value."""
    if isinstance(v, str):
        r = refs.get(v)
        return r.hcl() if r else hcl_string(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return json.dumps(v)
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(hcl_value(x, refs) for x in v) + "]"
    if isinstance(v, Mapping):
        inner = ", ".join(f"{hcl_key(k)} = {hcl_value(x, refs)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    return hcl_string(str(v))


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    m = re.match(r"[ \t]*", text[start:])
    return m.group(0) if m else ""


def _own_line(text: str, offset: int) -> bool:
    return text[_line_start(text, offset) : offset].strip() == ""


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


@dataclass(frozen=True, slots=True)
class _ObjStyle:
    sep: str  # "=" or ":"
    quoted: bool
    commas: bool  # members of multi-line objects end with ","
    align: bool
    multiline: bool
    member_indent: str
    close_indent: str


def _obj_style(
    text: str, objs: Sequence[Expr], fallback_indent: str, unit: str
) -> _ObjStyle:
    sep, quoted, commas, align, multiline = "=", False, False, True, True
    member_indent = fallback_indent + unit
    close_indent = fallback_indent
    for o in objs:
        if not o.members:
            continue
        m0 = o.members[0]
        sep, quoted = m0.sep, m0.quoted
        multiline = "\n" in text[o.start : o.end]
        if multiline:
            member_indent = _indent(text, m0.key_start)
            close_indent = _indent(text, o.end - 1)
            if len(o.members) > 1:
                between = text[m0.value.end : o.members[1].key_start]
                commas = "," in between
            gaps = set()
            for m in o.members:
                seg = text[m.key_end : m.value.start]
                gaps.add(len(seg) - len(seg.lstrip(" \t")))
            align = len(gaps) > 1 or len(o.members) == 1
        break
    return _ObjStyle(sep, quoted, commas, align, multiline, member_indent, close_indent)


def _render_object(
    d: Mapping[str, Any], st: _ObjStyle, refs: Mapping[str, RefExpr], nl: str
) -> str:
    keys = [hcl_key(k, st.quoted) for k in d]
    sep = " = " if st.sep == "=" else ": "
    if not st.multiline:
        inner = ", ".join(
            f"{k}{sep}{hcl_value(v, refs)}"
            for k, v in zip(keys, d.values(), strict=True)
        )
        return "{ " + inner + " }"
    width = max(len(k) for k in keys) if st.align and st.sep == "=" else 0
    lines = []
    vals = list(d.values())
    for i, k in enumerate(keys):
        pad = " " * (width - len(k)) if width else ""
        comma = "," if st.commas and i < len(keys) - 1 else ""
        if st.sep == ":":
            lines.append(f"{st.member_indent}{k}: {hcl_value(vals[i], refs)}{comma}")
        else:
            lines.append(
                f"{st.member_indent}{k}{pad} = {hcl_value(vals[i], refs)}{comma}"
            )
    return "{" + nl + nl.join(lines) + nl + st.close_indent + "}"


def _order(
    stmt: Mapping[str, Any], existing: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    order: list[str] = []
    for s in existing:
        for k in s:
            if k not in order:
                order.append(k)
    default = ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
    keys = [k for k in order if k in stmt] + [
        k for k in default if k in stmt and k not in order
    ]
    if "Sid" in keys:
        keys.remove("Sid")
        keys.insert(0, "Sid")
    keys += [k for k in stmt if k not in keys]
    return {k: stmt[k] for k in keys}


def _as_set(v: Any) -> set[str] | None:
    if isinstance(v, str):
        return {v}
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return set(v)
    return None


def _extendable(
    stmts: Sequence[Any],
    kind: str,
    resource: str,
    principal: Any,
    references: Sequence[tuple[str, str, str]] = (),
) -> int | None:
    """Index of an Allow statement with exactly this resource/principal, no conditions.

    A statement naming the resource by reference (its ARN pattern) counts as exact.
    """
    same = {resource}
    ref = reference_for(resource, references) if resource != "*" else None
    if ref is not None and not ref.suffix:
        same |= {lit for lit, a, b in references if f"{a}.{b}" == ref.expr}
    for i, s in enumerate(stmts):
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or _computed(s):
            continue
        if any(
            k in s for k in ("Condition", "NotAction", "NotResource", "NotPrincipal")
        ):
            continue
        if _as_set(s.get("Action")) is None:
            continue
        if kind == "trust":
            if "Resource" in s:
                continue
        elif (_as_set(s.get("Resource")) or {"?"}) - same or len(
            _as_set(s.get("Resource")) or ()
        ) != 1:
            continue
        if kind in ("resource", "kms", "trust"):
            if _norm_principal(s.get("Principal")) != _norm_principal(principal):
                continue
        elif "Principal" in s:
            continue
        return i
    return None


def _norm_principal(p: Any) -> Any:
    if isinstance(p, dict):
        return {k: sorted(_as_set(v) or []) for k, v in p.items()}
    return p


def _file_resolver(
    f: HclFile, known: Mapping[str, str], context: Mapping[str, str]
) -> Resolver:
    mod = Module(Path("."), {Path("<edited>"): f})
    return Resolver(mod, known=known, context=context)


def _known(references: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    return {f"{addr}.{attr}": lit for lit, addr, attr in references}


def _walk_exprs(e: Expr) -> Iterator[Expr]:
    yield e
    for m in e.members:
        yield from _walk_exprs(m.value)
    for i in e.items:
        yield from _walk_exprs(i)


def _find_object(f: HclFile, start: int, end: int) -> Expr | None:
    def attrs(blocks: Sequence[Block]) -> Iterator[Expr]:
        for b in blocks:
            for a in b.attributes:
                yield a.value
            yield from attrs(b.blocks)

    for root in [*(a.value for a in f.attributes), *attrs(f.blocks)]:
        for e in _walk_exprs(root):
            if e.kind == "object" and e.start == start and e.end == end:
                return e
    return None


def _find_block(blocks: Sequence[Block], start: int, end: int) -> Block | None:
    for b in blocks:
        if b.start == start and b.end == end:
            return b
        found = _find_block(b.blocks, start, end)
        if found is not None:
            return found
    return None


def _parse(text: str) -> HclFile:
    try:
        return parse_hcl(text)
    except HclError as exc:
        raise EditError(f"the Terraform file does not parse ({exc})") from None


def _statement(
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    taken: set[str],
    condition: Mapping[str, Any] | None,
) -> dict[str, Any]:
    from accessdenied.fixes.synthesize import build_statement, make_sid

    stmt = build_statement(
        kind, list(actions), resource, principal, make_sid(actions, taken)
    )
    if condition:
        stmt["Condition"] = dict(condition)
    return stmt


def _computed(value: Any) -> list[str]:
    """The expressions of a resolved value that only Terraform knows."""
    return re.findall(r"UNRESOLVED\(([^)]*)\)", json.dumps(value))


def _action_matches(pattern: str, action: str) -> bool:
    return _wild(pattern.lower(), action.lower())


def computed_guard(stmts: Sequence[Any], actions: Sequence[str]) -> None:
    """Refuse when computed values make the edit's effect unverifiable (NotEditable)."""
    for i, s in enumerate(stmts):
        name = f"#{i + 1}"
        if isinstance(s, dict) and isinstance(s.get("Sid"), str):
            name = f"{s['Sid']!r} (#{i + 1})"
        texts = _computed(s)
        if not texts:
            continue
        what = ", ".join(dict.fromkeys(texts))
        if not isinstance(s, dict):
            raise NotEditableError(
                f"statement {name} is computed ({what}): its effect on this request "
                "is known only when Terraform plans"
            )
        effect = s.get("Effect")
        if effect != "Allow":
            raise NotEditableError(
                f"the Deny statement {name} uses values known only when Terraform plans "
                f"({what}), so the effect of a new Allow cannot be verified"
            )
        acts = _as_set(s.get("Action"))
        if acts is None or any(_action_matches(p, a) for p in acts for a in actions):
            raise NotEditableError(
                f"statement {name} grants this action on a computed ARN ({what}); "
                "it may already allow the request once Terraform resolves it, so "
                "nothing was changed (check the value it resolves to)"
            )


def _sids(stmts: Sequence[Any]) -> set[str]:
    return {
        s["Sid"] for s in stmts if isinstance(s, dict) and isinstance(s.get("Sid"), str)
    }


def _refs_for(
    stmt: Mapping[str, Any], references: Sequence[tuple[str, str, str]]
) -> dict[str, RefExpr]:
    out: dict[str, RefExpr] = {}
    values: list[str] = []
    res = stmt.get("Resource")
    values += [res] if isinstance(res, str) else list(res or [])
    p = stmt.get("Principal")
    if isinstance(p, dict) and isinstance(p.get("AWS"), str):
        values.append(p["AWS"])
    for v in values:
        if v == "*":
            continue
        r = reference_for(v, references)
        if r is not None:
            out[v] = r
    return out


def _extend_tuple(text: str, node: Expr, new_items: Sequence[str]) -> TextEdit:
    """Append rendered items to a tuple expression (a string becomes a tuple)."""
    if node.kind != "tuple":
        old = text[node.start : node.end]
        return TextEdit(node.start, node.end, "[" + ", ".join([old, *new_items]) + "]")
    items = node.items
    if not items:
        return TextEdit(node.start + 1, node.end - 1, ", ".join(new_items))
    last = items[-1]
    tail = text[last.end : node.end - 1]
    nl = _newline(text)
    if _own_line(text, last.start) and "\n" in text[node.start : node.end]:
        ind = _indent(text, last.start)
        if "," in tail:
            at = last.end + tail.index(",") + 1
            body = "".join(nl + ind + it + "," for it in new_items)
            return TextEdit(at, at, body)
        body = "".join("," + nl + ind + it for it in new_items)
        return TextEdit(last.end, last.end, body)
    return TextEdit(last.end, last.end, "".join(", " + it for it in new_items))


def plan_jsonencode(
    text: str,
    span: tuple[int, int],
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    references: Sequence[tuple[str, str, str]] = (),
    context: Mapping[str, str] | None = None,
    condition: Mapping[str, Any] | None = None,
) -> TfPlan:
    """Grant in a `jsonencode({...})` object at `span` (HCL object syntax)."""
    f = _parse(text)
    obj = _find_object(f, *span)
    if obj is None:
        raise EditError("the jsonencode() document was not found (the file changed?)")
    r = _file_resolver(f, _known(references), context or {})
    before = evaluable(r.value(obj))
    if not isinstance(before, dict):
        raise NotEditableError("the jsonencode() argument is not an object")
    st_member = obj.member("Statement")
    stmts_raw = before.get("Statement", [])
    stmts = [stmts_raw] if isinstance(stmts_raw, dict) else list(stmts_raw or [])
    computed_guard(stmts, actions)
    if st_member is not None and st_member.value.kind not in ("tuple", "object"):
        raise NotEditableError(
            f"Statement is computed at line {f.line(st_member.value.start)}: "
            "statements built with for/concat/variables cannot be edited safely"
        )
    nl = _newline(text)
    from accessdenied.fixes.synthesize import principal_element

    res = "*" if kind == "kms" else resource
    pel = principal_element(principal) if kind in ("resource", "kms", "trust") else None
    stmt = _statement(kind, actions, resource, principal, _sids(stmts), condition)
    idx = None if condition else _extendable(stmts, kind, res, pel, references)
    if idx is not None and st_member is not None:
        node = (
            st_member.value.items[idx]
            if st_member.value.kind == "tuple"
            else st_member.value
        )
        action_m = node.member("Action")
        present = {a.lower() for a in (_as_set(stmts[idx].get("Action")) or set())}
        missing = [a for a in actions if a.lower() not in present]
        if (
            action_m is not None
            and missing
            and action_m.value.kind in ("tuple", "string")
        ):
            edit = _extend_tuple(text, action_m.value, [hcl_string(a) for a in missing])
            after = json.loads(json.dumps(before))
            lst = (
                after["Statement"]
                if isinstance(after["Statement"], list)
                else [after["Statement"]]
            )
            old = lst[idx]["Action"]
            lst[idx]["Action"] = (
                [old] if isinstance(old, str) else list(old)
            ) + missing
            if not isinstance(after["Statement"], list):
                after["Statement"] = lst[0]
            sid = stmts[idx].get("Sid") or f"#{idx}"
            return TfPlan(
                (edit,),
                "extend-statement",
                lst[idx],
                f"added to the Action of the existing statement {sid}",
                before,
                after,
            )
    stmt = _order(stmt, [s for s in stmts if isinstance(s, dict)])
    refs = _refs_for(stmt, references)
    after = json.loads(json.dumps(before))
    after_list = after.get("Statement")
    if isinstance(after_list, dict):
        after["Statement"] = [after_list, stmt]
    elif isinstance(after_list, list):
        after_list.append(stmt)
    else:
        after["Statement"] = [stmt]
    unit = "  "
    how_ref = "".join(f"; {v} written as {r.hcl()}" for v, r in refs.items())
    if st_member is None:
        last = obj.members[-1] if obj.members else None
        if last is None:
            ind = _indent(text, obj.start)
            st = _obj_style(text, [], ind + unit + unit, unit)
            body = _render_object(stmt, st, refs, nl)
            new = "{" + nl + ind + unit + "Statement = [" + body + "]" + nl + ind + "}"
            return TfPlan(
                (TextEdit(obj.start, obj.end, new),),
                "insert-statement",
                stmt,
                "Statement created" + how_ref,
                before,
                after,
            )
        ind = _indent(text, last.key_start)
        st = _obj_style(text, [], ind, unit)
        st = _ObjStyle(
            last.sep, last.quoted, False, True, True, ind + unit + unit, ind + unit
        )
        key = hcl_key("Statement", last.quoted)
        sep = " = " if last.sep == "=" else ": "
        body = _render_object(stmt, st, refs, nl)
        new = nl + ind + key + sep + "[" + nl + ind + unit + body + "," + nl + ind + "]"
        at = last.value.end
        tail = text[at : obj.end - 1]
        if tail.lstrip(" \t").startswith(","):
            at += tail.index(",") + 1
        elif "\n" not in text[obj.start : obj.end]:
            new = ", " + key + sep + "[" + hcl_value(stmt, refs) + "]"
        return TfPlan(
            (TextEdit(at, at, new),),
            "insert-statement",
            stmt,
            "Statement created" + how_ref,
            before,
            after,
        )
    node = st_member.value
    if node.kind == "object":
        st = _obj_style(text, [node], _indent(text, node.start), unit)
        body = _render_object(stmt, st, refs, nl)
        old = text[node.start : node.end]
        return TfPlan(
            (TextEdit(node.start, node.end, "[" + old + ", " + body + "]"),),
            "insert-statement",
            stmt,
            f"new statement {stmt['Sid']!r}: Statement object turned into a list"
            + how_ref,
            before,
            after,
        )
    objs = [i for i in node.items if i.kind == "object"]
    owner_ind = _indent(text, st_member.key_start)
    if not node.items:
        st = _obj_style(text, [], owner_ind + unit, unit)
        body = _render_object(stmt, st, refs, nl)
        new = nl + owner_ind + unit + body + "," + nl + owner_ind
        return TfPlan(
            (TextEdit(node.start + 1, node.end - 1, new),),
            "insert-statement",
            stmt,
            f"new statement {stmt['Sid']!r} in the empty Statement list" + how_ref,
            before,
            after,
        )
    tail_item = node.items[-1]
    st = _obj_style(text, objs[-1:] or objs, _indent(text, tail_item.start), unit)
    body = _render_object(stmt, st, refs, nl)
    tail = text[tail_item.end : node.end - 1]
    if _own_line(text, tail_item.start) and st.multiline:
        ind = _indent(text, tail_item.start)
        if "," in tail:
            at = tail_item.end + tail.index(",") + 1
            edit = TextEdit(at, at, nl + ind + body + ",")
        else:
            edit = TextEdit(tail_item.end, tail_item.end, "," + nl + ind + body)
    else:
        edit = TextEdit(tail_item.end, tail_item.end, ", " + body)
    return TfPlan(
        (edit,),
        "insert-statement",
        stmt,
        f"new statement {stmt['Sid']!r} appended to Statement" + how_ref,
        before,
        after,
    )


_HCL_STATEMENT_KEYS = (
    ("Sid", "sid"),
    ("Effect", "effect"),
    ("Action", "actions"),
    ("Resource", "resources"),
)


def _render_block(
    stmt: Mapping[str, Any], ind: str, unit: str, refs: Mapping[str, RefExpr], nl: str
) -> str:
    inner = ind + unit
    attrs: list[tuple[str, str]] = []
    for key, name in _HCL_STATEMENT_KEYS:
        if key not in stmt:
            continue
        v = stmt[key]
        if key in ("Action", "Resource"):
            v = [v] if isinstance(v, str) else list(v)
        attrs.append((name, hcl_value(v, refs)))
    width = max(len(n) for n, _ in attrs)
    lines = [f"{ind}statement {{"]
    lines += [f"{inner}{n}{' ' * (width - len(n))} = {v}" for n, v in attrs]
    principal = stmt.get("Principal")
    if principal is not None:
        pairs = (
            [("*", ["*"])]
            if principal == "*"
            else [
                (t, [ids] if isinstance(ids, str) else list(ids))
                for t, ids in principal.items()
            ]
        )
        for t, ids in pairs:
            lines.append("")
            lines.append(f"{inner}principals {{")
            lines.append(f"{inner}{unit}type        = {hcl_string(t)}")
            lines.append(f"{inner}{unit}identifiers = {hcl_value(ids, refs)}")
            lines.append(f"{inner}}}")
    for test, kv in (stmt.get("Condition") or {}).items():
        for var, vals in kv.items():
            vals = [vals] if isinstance(vals, str) else list(vals)
            lines.append("")
            lines.append(f"{inner}condition {{")
            lines.append(f"{inner}{unit}test     = {hcl_string(test)}")
            lines.append(f"{inner}{unit}variable = {hcl_string(var)}")
            lines.append(f"{inner}{unit}values   = {hcl_value(vals, refs)}")
            lines.append(f"{inner}}}")
    lines.append(f"{ind}}}")
    return nl.join(ln if ln.strip() else "" for ln in lines)


def plan_policy_document(
    text: str,
    span: tuple[int, int],
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    references: Sequence[tuple[str, str, str]] = (),
    context: Mapping[str, str] | None = None,
    condition: Mapping[str, Any] | None = None,
) -> TfPlan:
    """Grant in a `data "aws_iam_policy_document"` block at `span`."""
    f = _parse(text)
    block = _find_block(f.blocks, *span)
    if block is None:
        raise EditError(
            "the aws_iam_policy_document block was not found (the file changed?)"
        )
    dyn = dynamic_statements(block)
    if dyn is not None:
        raise NotEditableError(
            f'statements are generated by dynamic "statement" at line {f.line(dyn.start)} '
            "(for_each over statements): add the statement to the collection it iterates"
        )
    if (block.attr("for_each") or block.attr("count")) and re.search(
        r"\bcount\.index\b|\beach\.(?:key|value)\b", text[block.start : block.end]
    ):
        raise NotEditableError(
            "the policy document has for_each/count (one per instance)"
        )
    r = _file_resolver(f, _known(references), context or {})
    before = evaluable(policy_document(block, r))
    stmt_blocks = list(block.children("statement"))
    stmts = [evaluable(statement_of(b, r)) for b in stmt_blocks]
    computed_guard(before.get("Statement", []), actions)
    from accessdenied.fixes.synthesize import principal_element

    res = "*" if kind == "kms" else resource
    pel = principal_element(principal) if kind in ("resource", "kms", "trust") else None
    nl = _newline(text)
    idx = None if condition else _extendable(stmts, kind, res, pel, references)
    if idx is not None:
        b = stmt_blocks[idx]
        present = {a.lower() for a in (_as_set(stmts[idx].get("Action")) or set())}
        missing = [a for a in actions if a.lower() not in present]
        acts = b.attr("actions")
        if missing and acts is not None and acts.value.kind == "tuple":
            edit = _extend_tuple(text, acts.value, [hcl_string(a) for a in missing])
            after = json.loads(json.dumps(before))
            offset = len(after["Statement"]) - len(stmts)
            target = after["Statement"][offset + idx]
            target["Action"] = list(target["Action"]) + missing
            sid = stmts[idx].get("Sid") or f"#{idx}"
            return TfPlan(
                (edit,),
                "extend-statement",
                target,
                f"added to the actions of the existing statement {sid}",
                before,
                after,
            )
    stmt = _statement(
        kind,
        actions,
        resource,
        principal,
        _sids(before.get("Statement", [])),
        condition,
    )
    refs = _refs_for(stmt, references)
    after = json.loads(json.dumps(before))
    after["Statement"].append(stmt)
    how_ref = "".join(f"; {v} written as {rr.hcl()}" for v, rr in refs.items())
    if stmt_blocks:
        last = stmt_blocks[-1]
        ind = _indent(text, last.start)
        inner = [a for a in last.attributes]
        unit = (_indent(text, inner[0].start)[len(ind) :] if inner else "") or "  "
        blank = False
        if len(stmt_blocks) > 1:
            gap = text[stmt_blocks[-2].end : last.start]
            blank = gap.count("\n") > 1
        rendered = _render_block(stmt, ind, unit, refs, nl)
        new = nl + (nl if blank else "") + rendered
        return TfPlan(
            (TextEdit(last.end, last.end, new),),
            "insert-statement",
            stmt,
            f"new statement block {stmt['Sid']!r} after the last statement" + how_ref,
            before,
            after,
        )
    ind = _indent(text, block.start) + "  "
    rendered = _render_block(stmt, ind, "  ", refs, nl)
    ls = _line_start(text, block.rbrace)
    if text[ls : block.rbrace].strip() == "":
        return TfPlan(
            (TextEdit(ls, ls, rendered + nl),),
            "insert-statement",
            stmt,
            f"new statement block {stmt['Sid']!r}" + how_ref,
            before,
            after,
        )
    outer = _indent(text, block.start)
    return TfPlan(
        (TextEdit(block.rbrace, block.rbrace, nl + rendered + nl + outer),),
        "insert-statement",
        stmt,
        f"new statement block {stmt['Sid']!r}" + how_ref,
        before,
        after,
    )


def heredoc_refs(
    new_text: str,
    statement: Mapping[str, Any],
    references: Sequence[tuple[str, str, str]],
) -> str:
    """Rendered JSON of an inserted statement with managed resources as `${...}` refs."""
    for v, r in _refs_for(statement, references).items():
        new_text = new_text.replace(json.dumps(v), r.json_string())
    return new_text


__all__ = [
    "Member",
    "NotEditableError",
    "RefExpr",
    "TfPlan",
    "heredoc_refs",
    "plan_jsonencode",
    "plan_policy_document",
    "reference_for",
]
