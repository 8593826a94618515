"""`parse_policy`: a JSON policy text -> `PolicyDocument` (tolerant, with spans)."""

from __future__ import annotations

from typing import Any

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonNode,
    JsonObject,
    JsonString,
    parse_json,
)
from accessdenied.policy.model import (
    Finding,
    PolicyDocument,
    Statement,
    normalize_policy_type,
)
from accessdenied.text import LineIndex

_ELEMENTS = (
    ("Action", "action"),
    ("NotAction", "not_action"),
    ("Resource", "resource"),
    ("NotResource", "not_resource"),
    ("Principal", "principal"),
    ("NotPrincipal", "not_principal"),
    ("Condition", "condition"),
)


def _statement(index: int, node: JsonObject) -> Statement:
    elements: dict[str, Any] = {
        m.key.value: m.value for m in node.members if m.value is not None
    }
    sid = elements.get("Sid")
    effect = elements.get("Effect")
    values: dict[str, Any] = {}
    for key, attr in _ELEMENTS:
        v = elements.get(key)
        values[attr] = v.to_python() if v is not None else None
    return Statement(
        elements=elements,
        index=index,
        node=node,
        span=node.span,
        sid=sid.value if isinstance(sid, JsonString) else None,
        effect=effect.value if isinstance(effect, JsonString) else None,
        **values,
    )


def build_document(
    text: str,
    root: JsonNode | None,
    syntax_errors: tuple[Finding, ...] = (),
    policy_type: str | None = None,
    source: str = "json",
) -> PolicyDocument:
    """A `PolicyDocument` over an already parsed tree (JSON, or YAML/HCL converted)."""
    obj = root if isinstance(root, JsonObject) else None
    version_node = obj.get("Version") if obj is not None else None
    version = version_node.value if isinstance(version_node, JsonString) else None
    stmt_node = obj.get("Statement") if obj is not None else None
    statements: list[Statement] = []
    if isinstance(stmt_node, JsonObject):
        statements.append(_statement(0, stmt_node))
    elif isinstance(stmt_node, JsonArray):
        for i, item in enumerate(stmt_node.items):
            if isinstance(item, JsonObject):
                statements.append(_statement(i, item))
    ptype = normalize_policy_type(policy_type) or policy_type
    return PolicyDocument(
        text=text,
        root=obj,
        version=version,
        statements=tuple(statements),
        statement_node=stmt_node,
        syntax_errors=syntax_errors,
        policy_type=ptype,
        source=source,
    )


def parse_policy(
    text: str,
    policy_type: str | None = None,
    base_offset: int = 0,
    end: int | None = None,
    lines: LineIndex | None = None,
) -> PolicyDocument:
    """Parse the policy in `text[base_offset:end]` (the whole text by default).

    Spans are those of `text`, so a policy embedded in a larger file gets file
    coordinates. Never raises; damage becomes `syntax_errors` plus a partial tree.
    """
    parsed = parse_json(text, base_offset, end, lines)
    errors = parsed.errors
    if parsed.root is not None and not isinstance(parsed.root, JsonObject):
        errors = (
            *errors,
            Finding(
                "policy-not-object",
                "error",
                parsed.root.span,
                "a policy document must be a JSON object",
            ),
        )
    return build_document(text, parsed.root, errors, policy_type)
