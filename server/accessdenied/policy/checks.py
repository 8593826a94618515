"""Semantic checks of policy documents: one function per finding code.

Modelled on IAM Access Analyzer's policy validation (errors, security warnings,
warnings, suggestions). Every check is registered in `CHECKS` by its stable kebab-case
code. `check_document` runs syntax + schema + semantic checks; `check_text` parses
first (and, given a path, finds policies embedded in templates).
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
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
    PolicyDocument,
    Statement,
    normalize_policy_type,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

__all__ = [
    "CHECKS",
    "Check",
    "check_document",
    "check_text",
    "run_checks",
]


@dataclass(frozen=True, slots=True)
class Context:
    doc: PolicyDocument
    catalog: Catalog | None
    policy_type: str | None


CheckFn = Callable[[Context], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    code: str
    severity: str
    description: str
    fn: CheckFn


CHECKS: dict[str, Check] = {}


def check(code: str, severity: str, description: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS[code] = Check(code, severity, description, fn)
        return fn

    return register


def _f(
    code: str,
    node: JsonNode | Any,
    message: str,
    severity: str | None = None,
    **data: Any,
) -> Finding:  # node: JsonNode or JsonMember
    return Finding(
        code, severity or CHECKS[code].severity, node.span, message, data or None
    )


def _near_typo(wrong: str, right: str) -> bool:
    """A likely typo: same name but for case, or at most 2 edits away (long names)."""
    w, r = wrong.lower(), right.lower()
    if w == r:
        return True
    if min(len(w), len(r)) < 5 or abs(len(w) - len(r)) > 2:
        return False
    return _edit_distance(w, r, 2) <= 2


def _edit_distance(a: str, b: str, cap: int) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > cap:
            return cap + 1
        prev = cur
    return prev[-1]


# --------------------------------------------------------------------- helpers


def _strings(node: JsonNode | None) -> list[JsonString]:
    """The string nodes of a string-or-array element."""
    if isinstance(node, JsonString):
        return [node]
    if isinstance(node, JsonArray):
        return [i for i in node.items if isinstance(i, JsonString)]
    return []


def _values(node: JsonNode | None) -> list[str]:
    return [s.value for s in _strings(node)]


def _sx(st: Statement, key: str) -> list[JsonString]:
    """The string nodes of element `key` of a statement (cached per statement)."""
    found: list[JsonString] | None = st.cache.get(key)
    if found is None:
        found = st.cache[key] = _strings(st.elements.get(key))
    return found


def _vx(st: Statement, key: str) -> list[str]:
    """The string values of element `key` of a statement (cached per statement)."""
    ck = "values:" + key
    found: list[str] | None = st.cache.get(ck)
    if found is None:
        found = st.cache[ck] = [n.value for n in _sx(st, key)]
    return found


def _key_node(st: Statement, key: str) -> JsonNode:
    m = st.node.member(key)
    return m.key if m is not None else st.node


def _allow(st: Statement) -> bool:
    return st.effect == "Allow"


def _resource_star(st: Statement) -> bool:
    return "*" in _vx(st, "Resource") or st.elements.get("NotResource") is not None


def _has_var(s: str) -> bool:
    return "${" in s


def _action_nodes(st: Statement) -> list[JsonString]:
    return _sx(st, "Action") + _sx(st, "NotAction")


_STALE = (
    "; IAM accepts it, but it grants nothing unless the catalog is out of date "
    "(`accessdenied catalog update`)"
)

_ACTION_RX = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+$")


def _expand(ctx: Context, pattern: str) -> tuple[Any, ...]:
    if ctx.catalog is None:
        return ()
    return expand_actions(ctx.catalog, pattern)


def _allowed_actions(ctx: Context, st: Statement) -> set[str]:
    """Lower-case full names of the actions an Allow statement's Action grants."""
    out: set[str] = set()
    for v in _vx(st, "Action"):
        out.update(a.full_name.lower() for a in _expand(ctx, v))
    return out


# -------------------------------------------------------------------- document


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
    from accessdenied.policy.jsonpos import iter_nodes

    for node in iter_nodes(ctx.doc.root):
        if not isinstance(node, JsonObject) or len(node.members) < 2:
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
            yield _f(
                "duplicate-sid",
                node,
                f'Sid "{node.value}" is already used by statement {seen[node.value] + 1}; '
                "Sids must be unique",
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


def _bucket(value: str, is_action: bool) -> str | None:
    """The service field of an action or ARN (None when it has a wildcard)."""
    field = value.partition(":")[0] if is_action else value.split(":", 3)[2:3]
    name = field if isinstance(field, str) else (field[0] if field else "")
    if not name or "*" in name or "?" in name:
        return None
    return name.lower()


def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM wildcard match (`*` any run, `?` one character) without compiling a regex."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "?" in pattern:
        return _glob_rx(pattern).fullmatch(value) is not None
    if "*" not in pattern:
        return pattern == value
    parts = pattern.split("*")
    first, last = parts[0], parts[-1]
    if not value.startswith(first) or len(value) < len(first) + len(last):
        return False
    if not value.endswith(last):
        return False
    pos = len(first)
    stop = len(value) - len(last)
    for mid in parts[1:-1]:
        if not mid:
            continue
        i = value.find(mid, pos, stop)
        if i < 0:
            return False
        pos = i + len(mid)
    return True


@functools.lru_cache(maxsize=4096)
def _glob_rx(pattern: str) -> re.Pattern[str]:
    rx = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.compile(rx, re.S)


_EXPANSIONS: dict[tuple[int, str], tuple[Any, ...]] = {}


def expand_actions(cat: Catalog, pattern: str) -> tuple[Any, ...]:
    """`cat.expand` with a cheap path for literal names and single-service wildcards."""
    key = (id(cat), pattern.lower())
    found = _EXPANSIONS.get(key)
    if found is not None:
        return found
    parts = _split_action(pattern)
    if parts is None or any(c in parts[0] for c in "*?"):
        out = tuple(cat.expand(pattern))
    elif not any(c in parts[1] for c in "*?"):
        a = cat.action(pattern)
        out = (a,) if a is not None else ()
    else:
        svc = cat.service(parts[0])
        out = (
            tuple(a for a in svc.actions if _glob(parts[1], a.name, True))
            if svc is not None
            else ()
        )
    if len(_EXPANSIONS) < 50000:
        _EXPANSIONS[key] = out
    return out


# --------------------------------------------------------------------- actions


@check("invalid-action-format", "error", "an action is not `service:Action`")
def check_action_format(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for n in _action_nodes(st):
            v = n.value
            if v == "*" or _ACTION_RX.match(v) or v.startswith("${"):
                continue  # "${...}": a template reference, resolved at deploy time
            yield _f(
                "invalid-action-format",
                n,
                f'"{v}" is not an action: write it as "service:ActionName" '
                '(for example "s3:GetObject")',
            )


@functools.lru_cache(maxsize=16384)
def _split_action(v: str) -> tuple[str, str] | None:
    if v == "*" or not _ACTION_RX.match(v):
        return None
    prefix, _, name = v.partition(":")
    return prefix, name


@check(
    "unknown-service",
    "warning",
    "the action's service prefix is not in the catalog (error when it looks like a typo)",
)
def check_unknown_service(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for n in _action_nodes(st):
            parts = _split_action(n.value)
            if parts is None or "*" in parts[0] or "?" in parts[0]:
                continue
            if cat.service(parts[0]) is None:
                hint = _close_service(cat, parts[0].lower())
                typo = bool(hint) and _near_typo(parts[0], hint[0])
                yield _f(
                    "unknown-service",
                    n,
                    f'"{parts[0]}" is not an AWS service prefix'
                    + (f' (did you mean "{hint[0]}"?)' if hint else "")
                    + ("" if typo else _STALE),
                    "error" if typo else None,
                    service=parts[0],
                )


@functools.lru_cache(maxsize=1024)
def _close_service(cat: Catalog, prefix: str) -> list[str]:
    return difflib.get_close_matches(prefix, cat.services(), n=1, cutoff=0.75)


@check(
    "unknown-action",
    "warning",
    "the action is not in the catalog (error when it looks like a typo)",
)
def check_unknown_action(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for n in _action_nodes(st):
            parts = _split_action(n.value)
            if parts is None or any(c in n.value for c in "*?"):
                continue
            svc = cat.service(parts[0])
            if svc is None or svc.action(parts[1]) is not None:
                continue
            names = [a.name for a in svc.actions]
            hint = difflib.get_close_matches(parts[1], names, n=1, cutoff=0.6)
            ops = cat.actions_for_operation(parts[1], svc.prefix)
            if ops and not hint:
                hint = [ops[0].partition(":")[2]]
            typo = bool(hint) and _near_typo(parts[1], hint[0])
            yield _f(
                "unknown-action",
                n,
                f'"{n.value}" is not an action of {svc.name or svc.prefix}'
                + (f' (did you mean "{svc.prefix}:{hint[0]}"?)' if hint else "")
                + ("" if typo else _STALE),
                "error" if typo else None,
                suggestion=f"{svc.prefix}:{hint[0]}" if hint else None,
            )


@check("wildcard-matches-nothing", "error", "an action wildcard matches no action")
def check_wildcard_nothing(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for n in _action_nodes(st):
            parts = _split_action(n.value)
            if parts is None or not any(c in n.value for c in "*?"):
                continue
            prefix = parts[0]
            if "*" not in prefix and "?" not in prefix and cat.service(prefix) is None:
                continue  # unknown-service says it
            if not expand_actions(cat, n.value):
                yield _f(
                    "wildcard-matches-nothing",
                    n,
                    f'"{n.value}" matches no action, so this entry grants or denies '
                    "nothing",
                )


# -------------------------------------------------------------------- resources

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
_REGION_RX = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?|-isob)?-[a-z]+-\d{1,2}$")
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


_ACTION_INFO: dict[tuple[int, str], tuple[frozenset[str], frozenset[Any]] | None] = {}


def _action_info(
    cat: Catalog, pattern: str
) -> tuple[frozenset[str], frozenset[Any]] | None:
    """(ARN service fields, (service, type) names) an action pattern's actions accept.

    None when the pattern is unknown, spans services, or has an action that accepts
    only "*" (which then says nothing about ARNs).
    """
    key = (id(cat), pattern.lower())
    if key in _ACTION_INFO:
        return _ACTION_INFO[key]
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
    _ACTION_INFO[key] = out
    return out


# ------------------------------------------------------------------- conditions

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


def _condition_blocks(
    st: Statement,
) -> Iterator[tuple[JsonString, str | None, JsonString, JsonNode | None]]:
    """(operator node, base operator, key node, values node) of a statement."""
    cond = st.elements.get("Condition")
    if not isinstance(cond, JsonObject):
        return
    for om in cond.members:
        _, base, _ = parse_operator(om.key.value)
        if not isinstance(om.value, JsonObject):
            continue
        for km in om.value.members:
            yield om.key, base, km.key, km.value


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
                    "error",
                )
                continue
            if cat.condition_key(name) is not None:
                continue
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


# ------------------------------------------------------------------- principals


@check(
    "principal-forbidden",
    "error",
    "Principal in a policy type that has none (identity, SCP, boundary)",
)
def check_principal_forbidden(ctx: Context) -> Iterator[Finding]:
    # Reported through the schema variants (schema.py); registered for the catalogue.
    return iter(())


@check("missing-principal", "error", "no Principal in a resource, trust or RCP policy")
def check_missing_principal(ctx: Context) -> Iterator[Finding]:
    return iter(())  # reported through the schema variants (schema.py)


@check("malformed-principal", "error", "an AWS principal that is not an ARN or account")
def check_principal_format(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            if not isinstance(node, JsonObject):
                continue
            for n in _strings(node.get("AWS")):
                v = n.value
                if v == "*" or _ACCOUNT_RX.match(v) or _has_var(v):
                    continue
                if "*" in v or "?" in v:
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}": Principal does not support partial wildcards (use "*" '
                        "with a condition such as aws:PrincipalArn instead)",
                    )
                    continue
                p = _arn_fields(v)
                if p is None or p[2] not in ("iam", "sts"):
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}" is not an AWS principal: use an account id, an IAM/STS '
                        'ARN or "*"',
                    )
            for n in _strings(node.get("Service")):
                v = n.value
                if v != "*" and not v.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}" is not a service principal (they end in '
                        '".amazonaws.com")',
                    )


@check(
    "rcp-unsupported",
    "error",
    "an element or effect resource control policies do not support",
)
def check_rcp(ctx: Context) -> Iterator[Finding]:
    """RCPs: Deny only, no NotAction/NotPrincipal, Principal "*".

    "Allow" is only supported in the default RCPFullAWSAccess policy (AWS
    Organizations user guide, "RCP syntax").
    """
    if ctx.policy_type != "rcp":
        return
    for st in ctx.doc.statements:
        effect = st.elements.get("Effect")
        full_access = (
            _vx(st, "Action") == ["*"]
            and _vx(st, "Resource") == ["*"]
            and st.elements.get("Condition") is None
        )
        if (
            isinstance(effect, JsonString)
            and effect.value == "Allow"
            and not full_access
        ):
            yield _f(
                "rcp-unsupported",
                effect,
                'RCP statements must use "Deny" ("Allow" is only supported in the '
                "default RCPFullAWSAccess policy)",
            )
        for key in ("NotAction", "NotPrincipal"):
            if st.elements.get(key) is not None:
                yield _f(
                    "rcp-unsupported",
                    _key_node(st, key),
                    f"resource control policies do not support {key}",
                )
        principal = st.elements.get("Principal")
        if principal is not None and not (
            isinstance(principal, JsonString) and principal.value == "*"
        ):
            yield _f(
                "rcp-unsupported",
                principal,
                'the Principal of an RCP statement must be "*" (narrow it with '
                "conditions such as aws:PrincipalOrgID)",
                "warning",
            )


# -------------------------------------------------------------- security warnings


@check("passrole-wildcard", "warning", "iam:PassRole allowed on every role")
def check_passrole(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if not _allow(st) or not _resource_star(st):
            continue
        node = st.elements.get("Action")
        for n in _strings(node):
            if (
                n.value != "*"
                and _may_be_iam(n.value)
                and _glob(n.value, "iam:PassRole", True)
            ):
                yield _f(
                    "passrole-wildcard",
                    n,
                    f'"{n.value}" allows iam:PassRole on every role: any service can '
                    "then act with any role's permissions; list the role ARNs instead",
                )
                break
        if st.elements.get("NotAction") is not None and "iam:passrole" not in {
            v.lower() for v in _vx(st, "NotAction")
        }:
            yield _f(
                "passrole-wildcard",
                _key_node(st, "NotAction"),
                "NotAction with Allow on every resource includes iam:PassRole on every "
                "role",
            )


@check("allow-not-action", "warning", "NotAction with Allow grants everything else")
def check_allow_not_action(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if _allow(st) and st.elements.get("NotAction") is not None:
            yield _f(
                "allow-not-action",
                _key_node(st, "NotAction"),
                "Allow with NotAction grants every action not listed, including "
                "actions AWS adds later",
            )


@check("allow-not-resource", "warning", "NotResource with Allow grants everything else")
def check_allow_not_resource(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if _allow(st) and st.elements.get("NotResource") is not None:
            yield _f(
                "allow-not-resource",
                _key_node(st, "NotResource"),
                "Allow with NotResource grants access to every resource not listed, "
                "including ones created later",
            )


@check("allow-not-principal", "warning", "NotPrincipal with Allow")
def check_allow_not_principal(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if _allow(st) and st.elements.get("NotPrincipal") is not None:
            yield _f(
                "allow-not-principal",
                _key_node(st, "NotPrincipal"),
                "Allow with NotPrincipal grants access to every principal not listed, "
                "anonymous users included",
            )


@check("full-access", "warning", 'Allow "*" (or "*:*") on every resource')
def check_full_access(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if not _allow(st) or "*" not in _vx(st, "Resource"):
            continue
        for n in _sx(st, "Action"):
            if n.value in ("*", "*:*"):
                yield _f(
                    "full-access",
                    n,
                    f'"{n.value}" on "*" grants full administrator access',
                )


def _may_be_iam(action: str) -> bool:
    """Whether an action pattern can match an `iam:` action at all (cheap filter)."""
    prefix = action.partition(":")[0].lower()
    return prefix == "iam" or "*" in prefix or "?" in prefix


_ESCALATION = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)


@check(
    "privilege-escalation",
    "warning",
    "actions that let a principal raise its own permissions, on every resource",
)
def check_privilege_escalation(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if not _allow(st) or not _resource_star(st):
            continue
        for n in _sx(st, "Action"):
            if n.value in ("*", "*:*"):
                continue  # full-access says it
            if not _may_be_iam(n.value):
                continue
            hits = [a for a in _ESCALATION if _glob(n.value, a, True)]
            if hits:
                shown = ", ".join(hits[:3]) + ("..." if len(hits) > 3 else "")
                yield _f(
                    "privilege-escalation",
                    n,
                    f'"{n.value}" on every resource allows privilege escalation '
                    f"({shown}); scope it to specific ARNs",
                    actions=hits,
                )


@check(
    "cross-account-trust-without-condition",
    "warning",
    "another account (or everyone) may assume the role with no condition",
)
def check_cross_account_trust(ctx: Context) -> Iterator[Finding]:
    ptype = ctx.policy_type
    for st in ctx.doc.statements:
        if not _allow(st) or st.elements.get("Condition") is not None:
            continue
        acts = [v.lower() for v in _vx(st, "Action")]
        assume = any(
            a.startswith("sts:assumerole") or a in ("sts:*", "*") for a in acts
        )
        if not assume or (ptype not in (None, "trust") and ptype != "resource"):
            continue
        principal = st.elements.get("Principal")
        nodes: list[JsonString] = []
        if isinstance(principal, JsonString) and principal.value == "*":
            nodes = [principal]
        elif isinstance(principal, JsonObject):
            for n in _strings(principal.get("AWS")):
                v = n.value
                if v == "*" or _ACCOUNT_RX.match(v) or v.endswith(":root"):
                    nodes.append(n)
        for n in nodes:
            who = "anyone" if n.value == "*" else f"account {n.value}"
            yield _f(
                "cross-account-trust-without-condition",
                n,
                f"{who} may assume this role with no Condition: add "
                "sts:ExternalId, aws:PrincipalOrgID or aws:PrincipalArn",
            )


@check(
    "oidc-trust-without-subject",
    "warning",
    "a GitHub/OIDC web-identity trust without a subject condition",
)
def check_oidc_trust(ctx: Context) -> Iterator[Finding]:
    """GitHub Actions OIDC trust must pin `token.actions.githubusercontent.com:sub`.

    Without it, any repository on GitHub can assume the role (Access Analyzer:
    "Missing github repo condition key").
    """
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if not _allow(st) or not isinstance(principal, JsonObject):
            continue
        for n in _strings(principal.get("Federated")):
            provider = n.value.rsplit("oidc-provider/", 1)[-1]
            if provider != "token.actions.githubusercontent.com":
                continue
            keys: set[str] = set()
            cond = st.elements.get("Condition")
            if isinstance(cond, JsonObject):
                for block in cond.members:
                    if isinstance(block.value, JsonObject):
                        keys.update(m.key.value.lower() for m in block.value.members)
            if f"{provider}:sub" not in keys:
                yield _f(
                    "oidc-trust-without-subject",
                    n,
                    "any GitHub repository can assume this role: add a condition on "
                    f'"{provider}:sub" (for example "repo:my-org/my-repo:*")',
                )


# ------------------------------------------------------------------------ runner


def run_checks(doc: PolicyDocument, catalog: Catalog | None = None) -> list[Finding]:
    """Semantic findings of `doc` (every registered check)."""
    ctx = Context(doc, catalog, normalize_policy_type(doc.policy_type))
    out: list[Finding] = []
    for chk in CHECKS.values():
        out.extend(chk.fn(ctx))
    return out


def _catalog() -> Catalog | None:
    try:
        from accessdenied.catalog import load_catalog

        return load_catalog()
    except (ImportError, OSError, ValueError):
        return None


def check_document(
    doc: PolicyDocument, catalog: Catalog | None = None
) -> list[Finding]:
    """Syntax + schema + semantic findings of a parsed document, in document order."""
    from accessdenied.policy.schema import schema_findings

    ptype = normalize_policy_type(doc.policy_type)
    if doc.policy_type is not None and ptype is None:
        raise ValueError(f"unknown policy type: {doc.policy_type!r}")
    out = list(doc.syntax_errors) + list(doc.extra_findings)
    if doc.root is not None:
        semantic = run_checks(doc, catalog if catalog is not None else _catalog())
        taken = {(f.span.start, f.span.end) for f in semantic if f.severity == "error"}
        out.extend(
            f for f in schema_findings(doc) if (f.span.start, f.span.end) not in taken
        )
        out.extend(semantic)
    out.sort(key=lambda f: (f.span.start, f.span.end, f.code))
    return out


def check_text(
    text: str,
    policy_type: str | None = None,
    path: str | None = None,
    catalog: Catalog | None = None,
) -> list[Finding]:
    """Findings for a policy text; with a template path, for every embedded policy.

    Raises ValueError for an unknown `policy_type`.
    """
    from accessdenied.policy.detect import find_policies, is_template_path
    from accessdenied.policy.document import parse_policy

    if policy_type is not None and normalize_policy_type(policy_type) is None:
        raise ValueError(f"unknown policy type: {policy_type!r}")
    if path is not None and is_template_path(path, text):
        out: list[Finding] = []
        for emb in find_policies(path, text):
            out.extend(emb.findings)
            if emb.document is not None:
                doc = emb.document
                if policy_type is not None:
                    from dataclasses import replace

                    doc = replace(doc, policy_type=normalize_policy_type(policy_type))
                out.extend(check_document(doc, catalog))
        return out
    return check_document(parse_policy(text, policy_type), catalog)
