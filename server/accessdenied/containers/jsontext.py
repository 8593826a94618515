"""Documents written as JSON text: standalone policy files, Terraform heredoc bodies.

Edits go through `fixes.edits` (position-aware JSON, the document's own indentation,
colon spacing, key order and line endings). A document embedded in a larger JSON file
(a CloudFormation JSON template) is located by its span in the parsed file, so new
lines are indented against the real lines around it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from accessdenied.containers.base import (
    EditError,
    Grant,
    Plan,
    Site,
    register,
)
from accessdenied.fixes.edits import (
    TextEdit,
    apply_edits,
    detect_style,
    extend_action,
    find_extendable,
    insert_statement,
    is_array,
    is_object,
)
from accessdenied.fixes.synthesize import build_statement, make_sid, principal_element

#: Renders the statement to insert (the literal one) in the container's syntax.
Render = Callable[[dict[str, Any]], dict[str, Any]]


def parse_object(text: str) -> tuple[Any, Any]:
    """(root object node, parse) of a JSON text; EditError when it does not parse."""
    from accessdenied.policy import parse_json

    parsed = parse_json(text)
    if parsed.errors or parsed.root is None or not is_object(parsed.root):
        first = parsed.errors[0].message if parsed.errors else "not a JSON object"
        raise EditError(f"the policy does not parse: {first}")
    return parsed.root, parsed


def statements_of(root: Any) -> tuple[Any, ...]:
    """The Statement nodes of a document node (a single object counts as one)."""
    node = root.get("Statement") if hasattr(root, "get") else None
    if node is None:
        return ()
    if is_object(node):
        return (node,)
    return tuple(node.items) if is_array(node) else ()


def sids_of(statements: Sequence[Any]) -> set[str]:
    """The Sids already used."""
    out = set()
    for s in statements:
        v = s.to_python()
        if isinstance(v, dict) and isinstance(v.get("Sid"), str):
            out.add(v["Sid"])
    return out


def node_at(node: Any, start: int, end: int) -> Any:
    """The node spanning exactly `start`..`end` (depth-first)."""
    if node.span.start == start and node.span.end == end:
        return node
    if not (node.span.start <= start and end <= node.span.end):
        return None
    children: list[Any] = []
    if is_object(node):
        children = [m.value for m in node.members]
    elif is_array(node):
        children = list(node.items)
    for child in children:
        found = node_at(child, start, end)
        if found is not None:
            return found
    return None


def as_list(value: Any) -> list[str]:
    """A string or list of strings as a list (other values dropped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _shift(edit: TextEdit, base: int) -> TextEdit:
    return TextEdit(edit.start + base, edit.end + base, edit.new_text)


def plan_json_grant(
    text: str,
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    region: tuple[int, int] | None = None,
    render: Render | None = None,
    condition: Mapping[str, Any] | None = None,
) -> tuple[tuple[TextEdit, ...], str, dict[str, Any], str]:
    """Edits that grant `actions` on `resource`: (edits, fix kind, statement, how).

    `render` turns the literal statement into the one written (references); the
    returned statement is the literal one.
    """
    start, end = region or (0, len(text))
    if start == 0 or text[start - 1] == "\n":
        # The document starts a line (standalone file, heredoc body): parse it alone.
        sub = text[start:end]
        root, _ = parse_object(sub)
    else:
        # Embedded in a larger JSON file (CloudFormation JSON): parse the file, take the
        # node, so indentation is measured against the real lines.
        full, _ = parse_object(text)
        root = node_at(full, start, end)
        if root is None or not is_object(root):
            raise EditError("the embedded policy document was not found")
        sub = text
        start = 0
    stmts = statements_of(root)
    style = detect_style(sub, root, stmts)
    principal_value = (
        principal_element(principal) if kind in ("resource", "kms", "trust") else None
    )
    stmt = build_statement(
        kind, actions, resource, principal, make_sid(actions, sids_of(stmts))
    )
    if condition:
        stmt["Condition"] = dict(condition)
    written = render(stmt) if render is not None else stmt
    res = "*" if kind == "kms" else written.get("Resource", resource)
    target = None
    if not condition:
        if isinstance(res, str):
            target = find_extendable(
                stmts, res, principal_value, resource_key=kind != "trust"
            )
        else:
            target = _find_with_reference(stmts, res, principal_value)
    if target is not None:
        present = {a.lower() for a in as_list(target.to_python().get("Action"))}
        missing = [a for a in actions if a.lower() not in present]
        if missing:
            edit = extend_action(sub, target, missing, style)
            v = target.to_python()
            index = next(i for i, s in enumerate(stmts) if s is target)
            return (
                (_shift(edit, start),),
                "extend-statement",
                stmt,
                "added to the Action of the existing statement "
                + _statement_name(v, index),
            )
    edit, how = insert_statement(sub, root, written, style)
    return (
        (_shift(edit, start),),
        "insert-statement",
        stmt,
        f"new statement {stmt['Sid']!r}: {how}",
    )


def _find_with_reference(
    statements: Sequence[Any], resource: Any, principal: Any
) -> Any:
    """An unconditional Allow whose Resource is exactly this reference (intrinsic)."""
    for stmt in statements:
        v = stmt.to_python() if hasattr(stmt, "to_python") else None
        if not isinstance(v, dict) or v.get("Effect") != "Allow":
            continue
        if any(
            k in v for k in ("Condition", "NotAction", "NotResource", "NotPrincipal")
        ):
            continue
        if (
            "Action" not in v
            or not as_list(v["Action"])
            or (
                not isinstance(v["Action"], str)
                and len(as_list(v["Action"])) != len(v["Action"])
            )
        ):
            continue
        if v.get("Resource") not in (resource, [resource]):
            continue
        if v.get("Principal") != principal:
            continue
        return stmt
    return None


def _statement_name(value: Mapping[str, Any], index: int) -> str:
    """`"Sid" (#n)` or `#n` with n 1-based, the way a person counts statements."""
    sid = value.get("Sid")
    return f"{sid!r} (#{index + 1})" if isinstance(sid, str) else f"#{index + 1}"


def load_region(text: str, region: tuple[int, int]) -> dict[str, Any]:
    """The JSON object at `region` (EditError when it is not one)."""
    try:
        value = json.loads(text[region[0] : region[1]])
    except ValueError as exc:
        raise EditError(f"the policy is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise EditError("the policy is not a JSON object")
    return value


class JsonTextContainer:
    """Standalone JSON files and JSON text bodies (heredocs)."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Insert a statement or extend one; the document is its own evaluation."""
        region = site.span or (0, len(text))
        before = load_region(text, region)
        edits, fkind, stmt, how = plan_json_grant(
            text,
            grant.kind,
            grant.actions,
            grant.resource,
            grant.principal,
            region,
            condition=grant.condition,
        )
        new_text = apply_edits(text, edits)
        delta = sum(len(e.new_text) - (e.end - e.start) for e in edits)
        new_region = (region[0], region[1] + delta)
        after = load_region(new_text, new_region)
        return Plan(
            edits,
            fkind,
            stmt,
            how,
            before,
            after,
            check_before=text[region[0] : region[1]],
            check_after=new_text[new_region[0] : new_region[1]],
        )


# Terraform heredocs are JSON text too; containers/terraform registers them (it
# resolves their ${...} interpolations and writes references).
register(("json",), JsonTextContainer())
