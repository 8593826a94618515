"""Resource checks: ARN format, partition, service, region, account, action/resource type fit."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from accessdenied.policy.jsonpos import (
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
    _split_action,
    _sx,
    _vx,
    check,
    expand_actions,
)

_PARTITIONS = {
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
}


# Region codes of every partition: us-east-1, us-gov-west-1, cn-north-1,
# us-iso-east-1, eu-isoe-west-1, eusc-de-east-1 (AWS European Sovereign Cloud).
_REGION_RX = re.compile(r"^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$")


_ACCOUNT_RX = re.compile(r"^\d{12}$")


def _wildish(s: str) -> bool:
    return "*" in s or "?" in s or "${" in s


def _arn_nodes(st: Statement) -> list[JsonString]:
    return _sx(st, "Resource") + _sx(st, "NotResource")


@check("malformed-arn", "error", "a resource is neither `*` nor a well-formed ARN")
def check_malformed_arn(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            v = n.value
            if v == "*" or v.startswith("${"):
                continue
            parts = _arn_fields(v)
            if parts is None and re.match(r"^arn:[^:]+:[^:]+:.*\*$", v):
                continue  # a trailing "*" spans the remaining fields (IAM globbing)
            if parts is None:
                yield _f(
                    "malformed-arn",
                    n,
                    f'"{v}" is not a valid ARN: it must look like '
                    '"arn:partition:service:region:account:resource" (or be "*")',
                )
            elif not parts[5] and not _wildish(v):
                yield _f("malformed-arn", n, f'"{v}" has an empty resource part')


_VAR = re.compile(r"\$\{[^}]*\}")


def _arn_fields(v: str) -> list[str] | None:
    """The six ARN fields (variables like ${AWS::Region} kept whole), or None."""
    if "${" in v:
        vars_ = _VAR.findall(v)
        masked = _VAR.sub("\x00", v)
        parts = masked.split(":", 5)
        it = iter(vars_)
        parts = [re.sub("\x00", lambda _m: next(it, ""), part) for part in parts]
    else:
        parts = v.split(":", 5)
    if parts[0] != "arn" or len(parts) < 6:
        return None
    return parts


@check("arn-invalid-partition", "error", "the ARN's partition is not an AWS partition")
def check_arn_partition(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            p = _arn_fields(n.value)
            if p is None or _wildish(p[1]) or p[1] in _PARTITIONS:
                continue
            yield _f(
                "arn-invalid-partition",
                n,
                f'"{p[1]}" is not an AWS partition (use "aws", "aws-cn" or "aws-us-gov")',
            )


@check("arn-invalid-service", "error", "the ARN's service field is unknown")
def check_arn_service(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            p = _arn_fields(n.value)
            if p is None or _wildish(p[2]):
                continue
            svc = p[2]
            if not svc:
                yield _f("arn-invalid-service", n, "the ARN has no service field")
            elif svc != svc.lower():
                yield _f(
                    "arn-invalid-service",
                    n,
                    f'the ARN service "{svc}" must be lower case ("{svc.lower()}")',
                )
            elif cat is not None and not _known_arn_service(cat, svc):
                yield _f(
                    "arn-invalid-service",
                    n,
                    f'"{svc}" is not the service field of any AWS resource ARN',
                )


_ARN_SERVICES: dict[int, frozenset[str]] = {}


def _known_arn_service(cat: Catalog, svc: str) -> bool:
    """Whether `svc` is an IAM prefix or the service field of any ARN format."""
    if cat.service(svc) is not None:
        return True
    known = _ARN_SERVICES.get(id(cat))
    if known is None:
        found: set[str] = set()
        for prefix in cat.services():
            s = cat.service(prefix)
            for rt in s.resource_types if s is not None else ():
                for fmt in rt.arn_formats:
                    f = fmt.split(":")
                    if len(f) > 2:
                        found.add(f[2])
        found.update(cat.raw.get("arn_services", {}))
        known = _ARN_SERVICES[id(cat)] = frozenset(found)
    return svc in known


@check("arn-invalid-region", "error", "the ARN's region field is not a region")
def check_arn_region(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            p = _arn_fields(n.value)
            if p is None or not p[3] or _wildish(p[3]) or _REGION_RX.match(p[3]):
                continue
            yield _f(
                "arn-invalid-region",
                n,
                f'"{p[3]}" is not an AWS Region (for example "us-east-1")',
            )


@check("arn-invalid-account", "error", "the ARN's account field is not an account id")
def check_arn_account(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            p = _arn_fields(n.value)
            if p is None or not p[4] or _wildish(p[4]) or p[4] == "aws":
                continue
            if not _ACCOUNT_RX.match(p[4]):
                yield _f(
                    "arn-invalid-account",
                    n,
                    f'"{p[4]}" is not an AWS account id (12 digits)',
                )


@check(
    "action-resource-mismatch",
    "warning",
    "no action in the statement applies to the resource ARN",
)
def check_action_resource(ctx: Context) -> Iterator[Finding]:
    """An ARN whose service (or resource type) fits none of the statement's actions.

    A warning, not an error: the catalog does not list every resource an action can
    be scoped to (WAF's GetWebACLForResource takes load balancers, for example), and
    AWS's own managed policies do this.
    """
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        if st.elements.get("NotAction") is not None:
            continue
        action_values = _vx(st, "Action")
        if not action_values or "*" in action_values:
            continue
        infos = [_action_info(cat, v) for v in action_values]
        if any(i is None for i in infos):
            continue  # unknown or all-service patterns: nothing reliable to compare
        services: set[str] = set()
        types: set[tuple[str, str]] = set()
        for info in infos:
            assert info is not None
            services |= info[0]
            types |= info[1]
        resources = _sx(st, "Resource")
        fields = [_arn_fields(n.value) for n in resources]
        # Error only when no resource of the statement fits any action (the statement
        # then does nothing); a stray ARN among fitting ones is a warning.
        none_fit = all(
            p is not None and not _wildish(p[2]) and p[2] not in services
            for p in fields
        )
        for n, p in zip(resources, fields, strict=True):
            v = n.value
            if p is None or _wildish(p[2]) or not services:
                continue
            if p[2] not in services:
                shown = ", ".join(action_values[:3])
                yield _f(
                    "action-resource-mismatch",
                    n,
                    f'"{v}" is a {p[2]} resource, but none of the statement\'s actions '
                    f"({shown}{'...' if len(action_values) > 3 else ''}) applies to "
                    f"{p[2]} resources",
                    resource_service=p[2],
                    statement_does_nothing=none_fit,
                )
                continue
            if _has_var(v):
                continue
            found = _types_for_arn(cat, v)
            if not found or any((t.service, t.name) in types for t in found):
                continue
            yield Finding(
                "action-resource-mismatch",
                "warning",
                n.span,
                f'"{v}" looks like a {found[0].service} {found[0].name}, which none of '
                "the statement's actions lists as a resource type",
                {"resource_type": found[0].name},
            )


@functools.lru_cache(maxsize=8192)
def _types_for_arn(cat: Catalog, arn: str) -> tuple[Any, ...]:
    return tuple(cat.resource_types_for_arn(arn))


@functools.lru_cache(maxsize=65536)
def _action_info(
    cat: Catalog, pattern: str
) -> tuple[frozenset[str], frozenset[Any]] | None:
    """(ARN service fields, (service, type) names) an action pattern's actions accept.

    None when the pattern is unknown, spans services, or has an action that accepts
    only "*" (which then says nothing about ARNs).
    """
    return _action_info_lower(cat, pattern.lower())


@functools.lru_cache(maxsize=65536)
def _action_info_lower(
    cat: Catalog, pattern: str
) -> tuple[frozenset[str], frozenset[Any]] | None:
    out: tuple[frozenset[str], frozenset[Any]] | None = None
    parts = _split_action(pattern)
    if parts is not None and not any(c in parts[0] for c in "*?"):
        actions = expand_actions(cat, pattern)
        if actions and all(a.resources for a in actions):
            services: set[str] = set()
            names: set[tuple[str, str]] = set()
            for a in actions:
                for r in a.resources:
                    names.add((r.resource_type.service, r.resource_type.name))
                    for fmt in r.resource_type.arn_formats:
                        f = fmt.split(":")
                        if len(f) > 2:
                            services.add(f[2])
            if not any(_wildish(s) for s in services):
                out = (frozenset(services), frozenset(names))
    return out


@check(
    "arn-field-not-allowed",
    "error",
    "a Region or account in an ARN whose resource type has none (S3 buckets, IAM)",
)
def check_arn_field_not_allowed(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "ARN Region not allowed" / "ARN account not allowed".

    Only when the ARN fits no ARN format as written but fits one with the Region and
    account emptied, and no format of the fitting types has that field.
    """
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for n in _arn_nodes(st):
            p = _arn_fields(n.value)
            if p is None or not (p[3] or p[4]) or _wildish(":".join(p[2:5])):
                continue
            bad = _fields_not_allowed(cat, n.value)
            for field in bad:
                value = p[3] if field == "Region" else p[4]
                yield _f(
                    "arn-field-not-allowed",
                    n,
                    f'"{n.value}": {p[2]} ARNs of this resource type have no {field} '
                    f'field; remove "{value}" (leave it empty)',
                )


@functools.lru_cache(maxsize=8192)
def _fields_not_allowed(cat: Catalog, arn: str) -> tuple[str, ...]:
    if _types_for_arn(cat, arn):
        return ()
    p = arn.split(":", 5)
    blank = ":".join([*p[:3], "", "", p[5]])
    types = _types_for_arn(cat, blank)
    if not types:
        return ()
    formats = [f.split(":", 5) for t in types for f in t.arn_formats]
    out: list[str] = []
    if p[3] and not any(len(f) > 3 and f[3] for f in formats):
        out.append("Region")
    if p[4] and not any(len(f) > 4 and f[4] for f in formats):
        out.append("account")
    return tuple(out)
