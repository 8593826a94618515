"""Document-level checks: Version, duplicate keys and Sids, Effect, empty and redundant elements."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonNode,
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
)

if TYPE_CHECKING:
    pass

from accessdenied.policy.checks._base import (
    Context,
    _bucket,
    _f,
    _glob,
    _key_node,
    _strings,
    _vx,
    check,
    glob_any,
)


@check("missing-version", "warning", "no Version: policy variables are not substituted")
def check_missing_version(ctx: Context) -> Iterator[Finding]:
    root = ctx.doc.root
    if root is not None and root.member("Version") is None and ctx.doc.statements:
        yield Finding(
            "missing-version",
            "warning",
            root.lines.span(root.start, root.start + 1),
            'the policy has no "Version": add "Version": "2012-10-17" (without it, '
            "policy variables such as ${aws:username} are not substituted)",
        )


@check("invalid-version", "error", "Version is not 2012-10-17 or 2008-10-17")
def check_invalid_version(ctx: Context) -> Iterator[Finding]:
    root = ctx.doc.root
    node = root.get("Version") if root is not None else None
    if (
        isinstance(node, JsonString)
        and node.value not in ("2012-10-17", "2008-10-17")
        and not node.value.startswith("${")
    ):
        yield _f(
            "invalid-version",
            node,
            f'"{node.value}" is not a policy language version: use "2012-10-17"',
        )


@check(
    "variable-unsupported-version",
    "error",
    "policy variables under Version 2008-10-17 or without a Version",
)
def check_variable_version(ctx: Context) -> Iterator[Finding]:
    if ctx.doc.version == "2012-10-17" or ctx.doc.root is None:
        return
    if ctx.doc.version not in (None, "2008-10-17"):
        return
    for st in ctx.doc.statements:
        for key in ("Resource", "NotResource", "Condition"):
            for node in _walk_strings(st.elements.get(key)):
                if _POLICY_VAR.search(node.value):
                    yield _f(
                        "variable-unsupported-version",
                        node,
                        "policy variables need Version 2012-10-17; here "
                        f"{node.value!r} is matched literally",
                    )


# An IAM policy variable (${aws:username}, ${s3:prefix}, ${*}), not a CloudFormation
# (${AWS::Region}) or Terraform (${aws_s3_bucket.b.arn}) interpolation.
_POLICY_VAR = re.compile(r"\$\{(?:[A-Za-z0-9-]+:[^:}]+|[*?$])\}")


def _walk_strings(node: JsonNode | None) -> Iterator[JsonString]:
    if isinstance(node, JsonString):
        yield node
    elif isinstance(node, JsonArray):
        for it in node.items:
            yield from _walk_strings(it)
    elif isinstance(node, JsonObject):
        for m in node.members:
            yield from _walk_strings(m.value)


@check("duplicate-key", "warning", "a key repeated in one JSON object")
def check_duplicate_key(ctx: Context) -> Iterator[Finding]:
    """`{"Action": "a", "Action": "b"}`: only the last one counts."""
    from accessdenied.policy.jsonpos import iter_objects

    for node in iter_objects(ctx.doc.root):
        if len(node.members) < 2:
            continue
        seen: set[str] = set()
        for m in node.members:
            if m.key.value in seen:
                yield _f(
                    "duplicate-key",
                    m.key,
                    f'"{m.key.value}" appears twice in this object: only the last '
                    "one counts (merge the values into one array)",
                )
            seen.add(m.key.value)


@check("duplicate-sid", "error", "two statements share a Sid")
def check_duplicate_sid(ctx: Context) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for st in ctx.doc.statements:
        node = st.elements.get("Sid")
        if not isinstance(node, JsonString) or not node.value:
            continue
        if node.value in seen:
            # IAM and Organizations reject duplicates ("Unique Sids required"); other
            # services' resource policies accept them ("Unique Sids recommended").
            yield _f(
                "duplicate-sid",
                node,
                f'Sid "{node.value}" is already used by statement {seen[node.value] + 1}; '
                "Sids must be unique",
                "warning" if ctx.policy_type == "resource" else None,
            )
        else:
            seen[node.value] = st.index


@check("invalid-effect", "error", "Effect is not exactly Allow or Deny")
def check_effect(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        node = st.elements.get("Effect")
        if (
            isinstance(node, JsonString)
            and node.value not in ("Allow", "Deny")
            and not node.value.startswith("${")
        ):
            fixed = node.value.strip().capitalize()
            if fixed in ("Allow", "Deny"):
                msg = f'Effect must be written "{fixed}" (it is case-sensitive)'
            else:
                msg = f'Effect must be "Allow" or "Deny", not "{node.value}"'
            yield _f("invalid-effect", node, msg, replacement=fixed)


@check("empty-array", "info", "an empty array in an element matches nothing")
def check_empty(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for m in st.node.members:
            if isinstance(m.value, JsonArray) and not m.value.items:
                yield _f(
                    "empty-array",
                    m.value,
                    f'"{m.key.value}" is an empty array: it matches nothing',
                )
            if m.key.value in ("Condition", "Principal") and (
                isinstance(m.value, JsonObject) and not m.value.members
            ):
                yield _f("empty-array", m.value, f'"{m.key.value}" is an empty object')
        cond = st.elements.get("Condition")
        if isinstance(cond, JsonObject):
            for om in cond.members:
                if isinstance(om.value, JsonObject):
                    for km in om.value.members:
                        if isinstance(km.value, JsonArray) and not km.value.items:
                            yield _f(
                                "empty-array",
                                km.value,
                                _empty_condition(om.key.value, km.key.value),
                            )


def _empty_condition(op: str, key: str) -> str:
    """What an empty value list does under `op` (Access Analyzer "Empty array condition")."""
    if op.startswith("ForAllValues:"):
        return (
            f'"{key}": ForAllValues with an empty array is true only when the '
            "request has no value for the key (or lacks it)"
        )
    if op.startswith("ForAnyValue:"):
        return f'"{key}": ForAnyValue with an empty array is never true'
    if op.endswith("IfExists"):
        return (
            f'"{key}": {op} with an empty array is true only when the key is '
            "missing from the request"
        )
    return f'"{key}": an empty array of condition values matches nothing'


@check("redundant-value", "info", "a value repeated or covered by a wildcard")
def check_redundant(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            nodes = _strings(st.elements.get(key))
            if len(nodes) < 2:
                continue
            icase = "Action" in key
            seen: set[str] = set()
            # Wildcards bucketed by their service field, so each value is only
            # compared with the wildcards that could cover it.
            buckets: dict[str | None, list[str]] = {}
            for n in nodes:
                if "*" in n.value or "?" in n.value:
                    buckets.setdefault(_bucket(n.value, icase), []).append(n.value)
            for n in nodes:
                norm = n.value.lower() if icase else n.value
                if norm in seen:
                    yield _f("redundant-value", n, f'"{n.value}" is listed twice')
                    continue
                seen.add(norm)
                b = _bucket(n.value, icase)
                wild = buckets.get(b, []) + (buckets.get(None, []) if b else [])
                for w in wild:
                    if w != n.value and _glob(w, n.value, icase):
                        yield _f(
                            "redundant-value",
                            n,
                            f'"{n.value}" is already covered by "{w}"',
                        )
                        break


def _canon(node: JsonNode | None) -> str:
    """A comparable form of an element (None when absent)."""
    if node is None:
        return ""
    value = node.to_python()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = sorted(set(value))
    return json.dumps(value, sort_keys=True)


def _covers(wide: list[str], narrow: list[str], ignore_case: bool) -> bool:
    """Every pattern of `narrow` matches only what some pattern of `wide` matches.

    A `*` in a narrow pattern must fall in a `*` of the wide one: the wide pattern
    then matches the narrow one read literally. Wide patterns with `?` are skipped
    (a `?` could stand for a narrow `*`).
    """
    if not narrow:
        return False
    match = glob_any(tuple(w for w in wide if "?" not in w), ignore_case)
    return all(match(n) for n in narrow)


@check(
    "redundant-statement",
    "info",
    "a statement whose actions and resources another statement with the same "
    "effect, principal and conditions already covers",
)
def check_redundant_statement(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Redundant statement"."""
    sts = [
        st
        for st in ctx.doc.statements
        if st.effect in ("Allow", "Deny")
        and st.elements.get("NotAction") is None
        and st.elements.get("NotResource") is None
        and _vx(st, "Action")
        and not any("${" in v for v in _vx(st, "Action"))
    ]
    if len(sts) < 2 or len(sts) > 200:
        return
    keys = [
        (
            st.effect,
            _canon(st.elements.get("Principal")),
            _canon(st.elements.get("NotPrincipal")),
            _canon(st.elements.get("Condition")),
        )
        for st in sts
    ]
    for i, st in enumerate(sts):
        for j, other in enumerate(sts):
            if i == j or keys[i] != keys[j]:
                continue
            covered = _covers(
                _vx(other, "Action"), _vx(st, "Action"), True
            ) and _covers(_vx(other, "Resource"), _vx(st, "Resource"), False)
            if not covered:
                continue
            mutual = _covers(_vx(st, "Action"), _vx(other, "Action"), True) and (
                _covers(_vx(st, "Resource"), _vx(other, "Resource"), False)
            )
            if mutual and j > i:
                continue  # the same statement twice: report the later copy only
            sid = other.elements.get("Sid")
            name = (
                f'statement "{sid.value}"'
                if isinstance(sid, JsonString) and sid.value
                else f"statement {ctx.doc.statements.index(other) + 1}"
            )
            verb = "denies" if st.effect == "Deny" else "allows"
            yield _f(
                "redundant-statement",
                _key_node(st, "Sid" if st.node.member("Sid") else "Effect"),
                f"everything this statement {verb}, {name} already {verb} (same "
                "principal and conditions): remove it",
            )
            break
