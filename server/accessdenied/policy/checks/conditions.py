"""Condition checks: operators, keys, value formats, operator/key type fit."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonBool,
    JsonNode,
    JsonNumber,
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
    Statement,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

from accessdenied.policy.checks._base import (
    Context,
    _f,
    _has_var,
    _near_typo,
    _vx,
    check,
)
from accessdenied.policy.checks.resources import _REGION_RX

_FAMILIES: Mapping[str, str] = {
    **{
        op: "String"
        for op in (
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        )
    },
    **{
        op: "Numeric"
        for op in (
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        )
    },
    **{
        op: "Date"
        for op in (
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        )
    },
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "IP",
    "NotIpAddress": "IP",
    **{op: "ARN" for op in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")},
    "Null": "Null",
}


_LOWER_OPS = {k.lower(): k for k in _FAMILIES}


def parse_operator(op: str) -> tuple[str | None, str | None, bool]:
    """(set qualifier or None, base operator or None if unknown, IfExists)."""
    qualifier = None
    base = op
    for q in ("ForAllValues:", "ForAnyValue:"):
        if op.startswith(q):
            qualifier, base = q[:-1], op[len(q) :]
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in _FAMILIES or (if_exists and base == "Null"):
        return qualifier, None, if_exists
    return qualifier, base, if_exists


_Block = tuple[JsonString, str | None, JsonString, JsonNode | None]


def _condition_blocks(st: Statement) -> list[_Block]:
    """(operator node, base operator, key node, values node) of a statement.

    Computed once per statement (many checks walk the conditions).
    """
    found: list[_Block] | None = st.cache.get("condition-blocks")
    if found is not None:
        return found
    found = []
    cond = st.elements.get("Condition")
    if isinstance(cond, JsonObject):
        for om in cond.members:
            _, base, _ = parse_operator(om.key.value)
            if not isinstance(om.value, JsonObject):
                continue
            for km in om.value.members:
                found.append((om.key, base, km.key, km.value))
    st.cache["condition-blocks"] = found
    return found


@check(
    "invalid-condition-operator", "error", "an unknown or mistyped condition operator"
)
def check_condition_operator(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        cond = st.elements.get("Condition")
        if not isinstance(cond, JsonObject):
            continue
        for om in cond.members:
            op = om.key.value
            qualifier, base, if_exists = parse_operator(op)
            if base is not None:
                continue
            core = op.split(":")[-1]
            core_base = core[: -len("IfExists")] if core.endswith("IfExists") else core
            fixed = _LOWER_OPS.get(core_base.lower())
            if fixed == "Null" and if_exists:
                msg = "Null cannot be combined with IfExists"
                fixed = None
            elif fixed is not None:
                msg = f'"{op}" has the wrong case: operators are case-sensitive'
            elif ":" in op and qualifier is None:
                msg = (
                    f'"{op}": the set qualifiers are "ForAllValues:" and "ForAnyValue:"'
                )
            else:
                hint = difflib.get_close_matches(core_base, list(_FAMILIES), n=1)
                fixed = hint[0] if hint else None
                msg = f'"{op}" is not a condition operator'
            if fixed is not None:
                suffix = "IfExists" if if_exists else ""
                prefix = f"{qualifier}:" if qualifier else ""
                msg += f' (did you mean "{prefix}{fixed}{suffix}"?)'
            yield _f("invalid-condition-operator", om.key, msg)


@check(
    "unknown-condition-key",
    "warning",
    "a condition key not in the catalog (error when malformed or a likely typo)",
)
def check_condition_key(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        actions = _vx(st, "Action")
        for _op, _base, key, _vals in _condition_blocks(st):
            name = key.value
            if _has_var(name):
                continue
            prefix, sep, rest = name.partition(":")
            if not sep or not rest:
                yield _f(
                    "unknown-condition-key",
                    key,
                    f'"{name}" is not a condition key: keys look like "service:Key" '
                    '(for example "aws:SourceIp")',
                )
                continue
            if cat.condition_key(name) is not None:
                continue
            if name.lower() == "aws:arn":
                continue  # unsupported-global-condition-key says what to use
            # Keys of identity providers ("accounts.google.com:aud",
            # "token.actions.githubusercontent.com:sub") and saml:* live outside
            # the service catalog.
            if (
                prefix.lower() != "aws"
                and cat.service(prefix) is None
                and ("." in prefix or prefix.lower() in _FEDERATION_PREFIXES)
            ):
                continue
            if any(cat.condition_key(name, a) is not None for a in actions[:20]):
                continue
            kind = "global" if prefix.lower() == "aws" else f"{prefix}"
            hint = _close_key(cat, name)
            typo = hint is not None and _near_typo(name, hint)
            yield _f(
                "unknown-condition-key",
                key,
                f'"{name}" is not a known {kind} condition key'
                + (f' (did you mean "{hint}"?)' if hint else ""),
                "error" if typo else None,
            )


def _close_key(cat: Catalog, name: str) -> str | None:
    prefix = name.partition(":")[0].lower()
    if prefix == "aws":
        names = [k.name for k in cat.global_condition_keys()]
    else:
        svc = cat.service(prefix)
        names = [k.name for k in svc.condition_keys] if svc is not None else []
    hits = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return hits[0] if hits else None


_FEDERATION_PREFIXES = frozenset(
    {"saml", "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com"}
)


_DATE_RX = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def _value_ok(family: str, v: Any) -> bool:
    if isinstance(v, str) and "${" in v:
        return True
    if family in ("Bool", "Null"):
        return isinstance(v, bool) or (
            isinstance(v, str) and v.lower() in ("true", "false")
        )
    if family == "Numeric":
        if isinstance(v, bool):
            return False
        if isinstance(v, int | float):
            return True
        try:
            float(v)
        except (TypeError, ValueError):
            return False
        return True
    if family == "Date":
        if isinstance(v, int) and not isinstance(v, bool):
            return True
        if not isinstance(v, str):
            return False
        if v.isdigit():
            return True
        if not _DATE_RX.match(v):
            return False
        try:
            datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    if family == "IP":
        if not isinstance(v, str):
            return False
        try:
            ipaddress.ip_network(v, strict=False)
        except ValueError:
            return False
        return True
    if family == "ARN":
        return isinstance(v, str) and (
            v.startswith("arn:") or v == "*" or v.startswith("${")
        )
    return True


_FAMILY_HELP = {
    "Bool": "true or false",
    "Null": "true or false",
    "Numeric": "a number",
    "Date": 'an ISO 8601 date ("2026-01-31T00:00:00Z") or epoch seconds',
    "IP": 'an IPv4/IPv6 address or CIDR range ("203.0.113.0/24")',
    "ARN": 'an ARN ("arn:aws:...")',
}


@check(
    "condition-value-type",
    "error",
    "a condition value that does not fit the operator (date, IP, bool, number, ARN)",
)
def check_condition_values(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for op, base, _key, vals in _condition_blocks(st):
            family = _FAMILIES.get(base or "")
            if family not in _FAMILY_HELP:
                continue
            items = vals.items if isinstance(vals, JsonArray) else (vals,)
            for item in items:
                if item is None or isinstance(item, JsonArray | JsonObject):
                    continue
                if not _value_ok(family, item.to_python()):
                    yield _f(
                        "condition-value-type",
                        item,
                        f"{op.value} needs {_FAMILY_HELP[family]}, not {_show(item)}",
                    )


def _show(node: JsonNode) -> str:
    if isinstance(node, JsonString):
        return f'"{node.value}"'
    if isinstance(node, JsonBool | JsonNumber):
        return str(node.to_python()).lower()
    return "this value"


_KEY_FAMILY = {
    "date": "Date",
    "numeric": "Numeric",
    "long": "Numeric",
    "integer": "Numeric",
    "bool": "Bool",
    "boolean": "Bool",
    "ipaddress": "IP",
    "arn": "ARN",
    "string": "String",
}


@check(
    "condition-operator-mismatch",
    "warning",
    "the operator's type does not match the condition key's type",
)
def check_operator_key_type(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for op, base, key, _vals in _condition_blocks(st):
            family = _FAMILIES.get(base or "")
            if family in (None, "String", "Null", "Binary"):
                continue
            ck = cat.condition_key(key.value)
            if ck is None:
                continue
            ktype = ck.type.lower().removeprefix("arrayof")
            kfam = _KEY_FAMILY.get(ktype)
            if kfam is None or kfam == family:
                continue
            if family == "ARN" and kfam == "String":
                continue  # ARN operators on string keys holding ARNs are common
            yield _f(
                "condition-operator-mismatch",
                op,
                f'{op.value} compares {family.lower()} values, but "{key.value}" is of '
                f"type {ck.type}",
            )


@check(
    "null-with-qualifier",
    "info",
    "the Null operator under ForAllValues or ForAnyValue",
)
def check_null_with_qualifier(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        cond = st.elements.get("Condition")
        if not isinstance(cond, JsonObject):
            continue
        for om in cond.members:
            qualifier, base, _ = parse_operator(om.key.value)
            if base == "Null" and qualifier is not None:
                yield _f(
                    "null-with-qualifier",
                    om.key,
                    f'"{om.key.value}": Null only asks whether the key is present; '
                    f"drop {qualifier}: (it makes the test hard to read and easy to "
                    "get wrong)",
                )


@check(
    "condition-key-case-duplicate",
    "error",
    "one condition key written twice with different case in one operator block",
)
def check_condition_key_case(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Duplicate keys with different case".

    Key names are not case-sensitive: the two entries are one key tested twice.
    """
    for st in ctx.doc.statements:
        cond = st.elements.get("Condition")
        if not isinstance(cond, JsonObject):
            continue
        for om in cond.members:
            if not isinstance(om.value, JsonObject) or len(om.value.members) < 2:
                continue
            seen: dict[str, str] = {}
            for km in om.value.members:
                name = km.key.value
                first = seen.setdefault(name.lower(), name)
                if first != name:
                    yield _f(
                        "condition-key-case-duplicate",
                        km.key,
                        f'"{name}" repeats "{first}" in {om.key.value} with different '
                        "case: condition key names are not case-sensitive; merge the "
                        "values under one key",
                    )


# Keys whose values are Region codes (IAM user guide: aws:RequestedRegion; EC2:
# ec2:Region), checked against the shape of every partition's Region codes
# (resources._REGION_RX).
_REGION_KEYS = frozenset({"aws:requestedregion", "ec2:region"})


@check(
    "invalid-region-value",
    "error",
    "an aws:RequestedRegion (or ec2:Region) value that is not a Region code",
)
def check_region_value(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Invalid Region": the condition never matches a real Region."""
    for st in ctx.doc.statements:
        for op, base, key, vals in _condition_blocks(st):
            if (
                key.value.lower() not in _REGION_KEYS
                or _FAMILIES.get(base or "") != "String"
            ):
                continue
            like = "Like" in (base or "")
            for n in vals.items if isinstance(vals, JsonArray) else (vals,):
                if not isinstance(n, JsonString) or _has_var(n.value):
                    continue
                v = n.value.lower() if "IgnoreCase" in (base or "") else n.value
                if like and any(c in v for c in "*?"):
                    continue
                if not _REGION_RX.match(v):
                    yield _f(
                        "invalid-region-value",
                        n,
                        f'"{n.value}" is not an AWS Region code (for example '
                        f'"us-east-1"): {op.value} on {key.value} never matches it',
                    )
