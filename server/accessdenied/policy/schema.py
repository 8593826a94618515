"""JSON Schema validation of policy documents, each error mapped to the node's span.

The schemas live in the repo's `schemas/` folder and ship in the wheel as
`accessdenied/schemas`; they are published files other tools can use too.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from accessdenied.policy.jsonpos import JsonArray, JsonNode, JsonObject, JsonString
from accessdenied.policy.model import Finding, PolicyDocument, normalize_policy_type
from accessdenied.text import Span

BASE_SCHEMA = "iam-policy.schema.json"
SCHEMA_BASE_URI = "https://accessdenied-lsp.invalid/schemas/"


def schema_dir() -> Path:
    """The folder with the published schemas (wheel resource, else the repo's)."""
    try:
        res = resources.files("accessdenied").joinpath("schemas")
        if res.is_dir():
            return Path(str(res))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[3] / "schemas"


def schema_file(policy_type: str | None) -> str:
    ptype = normalize_policy_type(policy_type)
    return f"iam-policy-{ptype}.schema.json" if ptype else BASE_SCHEMA


@functools.cache
def _validator(policy_type: str | None) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    folder = schema_dir()
    registry: Registry[Any] = Registry()
    for path in sorted(folder.glob("iam-policy*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(
            contents["$id"], Resource.from_contents(contents)
        )
    schema = json.loads((folder / schema_file(policy_type)).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# Rule fragments of the schemas -> (code, message) for the statement that breaks them.
_RULES: Mapping[tuple[str, str], tuple[str, str]] = {
    (
        "not",
        _key({"anyOf": [{"required": ["Principal"]}, {"required": ["NotPrincipal"]}]}),
    ): (
        "principal-forbidden",
        "this policy type does not allow Principal or NotPrincipal (the principal is "
        "whoever the policy is attached to)",
    ),
    ("anyOf", _key([{"required": ["Principal"]}, {"required": ["NotPrincipal"]}])): (
        "missing-principal",
        "this policy type needs a Principal in every statement",
    ),
    ("required", _key(["Principal"])): (
        "missing-principal",
        "a role trust policy needs a Principal in every statement",
    ),
    ("anyOf", _key([{"required": ["Resource"]}, {"required": ["NotResource"]}])): (
        "missing-resource",
        "this policy type needs Resource (or NotResource) in every statement",
    ),
    ("anyOf", _key([{"required": ["Action"]}, {"required": ["NotAction"]}])): (
        "missing-action",
        "a statement needs Action (or NotAction)",
    ),
    (
        "not",
        _key(
            {
                "anyOf": [
                    {"required": ["Resource"]},
                    {"required": ["NotResource"]},
                    {"required": ["NotPrincipal"]},
                ]
            }
        ),
    ): (
        "trust-policy-element",
        "a role trust policy does not allow Resource, NotResource or NotPrincipal",
    ),
    ("not", _key({"required": ["Action", "NotAction"]})): (
        "conflicting-elements",
        "a statement cannot have both Action and NotAction",
    ),
    ("not", _key({"required": ["Resource", "NotResource"]})): (
        "conflicting-elements",
        "a statement cannot have both Resource and NotResource",
    ),
    ("not", _key({"required": ["Principal", "NotPrincipal"]})): (
        "conflicting-elements",
        "a statement cannot have both Principal and NotPrincipal",
    ),
}

_TYPE_NAMES = {
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "integer": "an integer",
}


def _node_at(root: JsonNode | None, path: Sequence[Any]) -> JsonNode | None:
    node = root
    for part in path:
        if isinstance(node, JsonObject) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, JsonArray) and isinstance(part, int):
            node = node.items[part] if 0 <= part < len(node.items) else None
        else:
            return None
    return node


def _where(path: Sequence[Any]) -> str:
    names = [p for p in path if isinstance(p, str)]
    return f'"{names[-1]}"' if names else "the document"


def _leaves(err: Any) -> Iterator[Any]:
    """Descend oneOf/anyOf errors into the branch that fits the instance's type."""
    if err.validator in ("oneOf", "anyOf") and err.context:
        if (err.validator, _key(err.validator_value)) in _RULES:
            yield err
            return
        branches: dict[int, list[Any]] = {}
        for sub in err.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [
            subs
            for subs in branches.values()
            if not any(s.validator == "type" and not s.relative_path for s in subs)
        ]
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from _leaves(sub)
            return
    yield err


def _head_span(node: JsonNode) -> Span:
    """Opening bracket of an object/array (the whole node otherwise)."""
    if isinstance(node, JsonObject | JsonArray):
        if node.close is not None:
            return node.lines.span(node.open, node.open + 1)
        # YAML/HCL or unclosed: the node's first line.
        line = node.lines.pos(node.start).line
        end = min(node.end, max(node.lines.line_end(line), node.start + 1))
        return node.lines.span(node.start, end)
    return node.span


def schema_findings(doc: PolicyDocument) -> list[Finding]:
    """Schema errors of `doc` (by its policy type), each on the offending node."""
    root = doc.root
    if root is None:
        return []
    instance = root.to_python()
    ptype = normalize_policy_type(doc.policy_type)
    if quick_valid(instance, ptype):
        return []
    validator = _validator(ptype)
    out: list[Finding] = []
    seen: set[tuple[str, int, int, str]] = set()
    partial = bool(doc.syntax_errors)

    def add(code: str, node: JsonNode, span: Span, message: str, **data: Any) -> None:
        k = (code, span.start, span.end, message)
        if k not in seen:
            seen.add(k)
            out.append(Finding(code, "error", span, message, data or None))

    for top in validator.iter_errors(instance):
        for err in _leaves(top):
            path = list(err.absolute_path)
            node = _node_at(root, path) or root
            if isinstance(node, JsonString) and _TEMPLATE_VALUE.match(node.value):
                continue  # a template expression: its value is unknown until deployed
            rule = _RULES.get((err.validator, _key(err.validator_value)))
            if rule is not None:
                if partial and rule[0].startswith("missing-"):
                    continue
                required = _required_names(err.validator_value)
                present: list[JsonString | None] = (
                    [m.key for m in node.members if m.key.value in required]
                    if isinstance(node, JsonObject) and err.validator == "not"
                    else []
                )
                for key in present or [None]:
                    span = key.span if key is not None else _head_span(node)
                    add(rule[0], node, span, rule[1])
            elif err.validator == "required":
                if partial:
                    continue  # still being typed
                have = err.instance if isinstance(err.instance, dict) else {}
                for name in err.validator_value:
                    if name not in have:
                        add(
                            "missing-element",
                            node,
                            _head_span(node),
                            f'missing required element "{name}"',
                            element=name,
                        )
            elif err.validator == "additionalProperties" and isinstance(
                node, JsonObject
            ):
                allowed = set(err.schema.get("properties", {}))
                for m in node.members:
                    if m.key.value not in allowed:
                        hint = _close_name(m.key.value, allowed)
                        add(
                            "unknown-element",
                            m.key,
                            m.key.span,
                            f'"{m.key.value}" is not a valid policy element here'
                            + (f' (did you mean "{hint}"?)' if hint else ""),
                            element=m.key.value,
                        )
            elif err.validator == "type":
                want = err.validator_value
                wants = [want] if isinstance(want, str) else list(want)
                names = " or ".join(_TYPE_NAMES.get(w, w) for w in wants)
                add("invalid-type", node, node.span, f"{_where(path)} must be {names}")
            elif err.validator in ("oneOf", "anyOf"):
                add(
                    "invalid-type",
                    node,
                    node.span,
                    f"{_where(path)} has the wrong shape (expected a string or an "
                    "array of strings)"
                    if path and path[-1] in _LISTS
                    else f"{_where(path)} has the wrong shape",
                )
            elif err.validator in ("enum", "const"):
                allowed_values = (
                    err.validator_value
                    if err.validator == "enum"
                    else [err.validator_value]
                )
                add(
                    "invalid-value",
                    node,
                    node.span,
                    f"{_where(path)} must be one of "
                    + ", ".join(json.dumps(v) for v in allowed_values),
                )
            else:
                add("schema-violation", node, node.span, err.message)
    return out


_TEMPLATE_VALUE = re.compile(r"^\$\{[^}]*\}$")

_LISTS = frozenset(
    {"Action", "NotAction", "Resource", "NotResource", "AWS", "Service", "Federated"}
)


def _required_names(value: Any) -> set[str]:
    """Every element name a rule fragment's `required` lists mention."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "required" and isinstance(v, list):
                out.update(str(x) for x in v)
            else:
                out |= _required_names(v)
    elif isinstance(value, list):
        for v in value:
            out |= _required_names(v)
    return out


def _close_name(name: str, allowed: set[str]) -> str | None:
    import difflib

    lower = {a.lower(): a for a in allowed}
    if name.lower() in lower:
        return lower[name.lower()]
    hits = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.7)
    return hits[0] if hits else None


# A fast, conservative mirror of the schemas: True only when the instance certainly
# validates (jsonschema is the authority and produces the messages otherwise).
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_KEYS = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})


def _str_list(v: Any) -> bool:
    return isinstance(v, str) or (
        isinstance(v, list) and all(isinstance(x, str) for x in v)
    )


def _principal_ok(v: Any) -> bool:
    if v == "*":
        return True
    return isinstance(v, dict) and all(
        k in _PRINCIPAL_KEYS and _str_list(x) for k, x in v.items()
    )


def _condition_ok(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    for block in v.values():
        if not isinstance(block, dict):
            return False
        for x in block.values():
            items = x if isinstance(x, list) else [x]
            if not all(isinstance(i, str | int | float | bool) for i in items):
                return False
    return True


def _statement_ok(st: Any, ptype: str | None) -> bool:
    if not isinstance(st, dict) or not _STATEMENT_KEYS.issuperset(st):
        return False
    if st.get("Effect") not in ("Allow", "Deny"):
        return False
    has = st.__contains__
    if has("Action") == has("NotAction") or (has("Resource") and has("NotResource")):
        return False
    if has("Principal") and has("NotPrincipal"):
        return False
    for k in ("Action", "NotAction", "Resource", "NotResource"):
        if has(k) and not _str_list(st[k]):
            return False
    for k in ("Principal", "NotPrincipal"):
        if has(k) and not _principal_ok(st[k]):
            return False
    if has("Condition") and not _condition_ok(st["Condition"]):
        return False
    if has("Sid") and not isinstance(st["Sid"], str):
        return False
    principal = has("Principal") or has("NotPrincipal")
    resource = has("Resource") or has("NotResource")
    if ptype in ("identity", "permissions-boundary"):
        return not principal and resource
    if ptype in ("resource", "rcp"):
        return principal and resource
    if ptype == "trust":
        return has("Principal") and not resource and not has("NotPrincipal")
    if ptype == "scp":
        return not principal
    return True


def quick_valid(instance: Any, ptype: str | None) -> bool:
    """Whether `instance` certainly satisfies the schema of `ptype` (fast path)."""
    if not isinstance(instance, dict) or "Statement" not in instance:
        return False
    if not {"Version", "Id", "Statement"}.issuperset(instance):
        return False
    if "Version" in instance and instance["Version"] not in (
        "2012-10-17",
        "2008-10-17",
    ):
        return False
    if "Id" in instance and not isinstance(instance["Id"], str):
        return False
    stmts = instance["Statement"]
    items = stmts if isinstance(stmts, list) else [stmts]
    return all(_statement_ok(st, ptype) for st in items)
