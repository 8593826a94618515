"""Shared machinery of the checks: the registry (`CHECKS`, `@check`), statement helpers and action expansion."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonNode,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
    PolicyDocument,
    Severity,
    Statement,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Context:
    doc: PolicyDocument
    catalog: Catalog | None
    policy_type: str | None


CheckFn = Callable[[Context], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    code: str
    severity: Severity
    description: str
    fn: CheckFn


CHECKS: dict[str, Check] = {}


def check(
    code: str, severity: Severity, description: str
) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS[code] = Check(code, severity, description, fn)
        return fn

    return register


def _f(
    code: str,
    node: JsonNode | Any,
    message: str,
    severity: Severity | None = None,
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
    return _glob_cased(pattern, value)


def glob_any(patterns: tuple[str, ...], ignore_case: bool) -> Callable[[str], bool]:
    """Whether a value matches any of `patterns` (`any(_glob(p, v, ignore_case))`).

    Built once per pattern list: literals become one set lookup, so comparing
    statement against statement (redundant-statement) costs a probe per value
    instead of a match per pattern.
    """
    return _glob_any(patterns, ignore_case)


@functools.lru_cache(maxsize=8192)
def _glob_any(patterns: tuple[str, ...], ignore_case: bool) -> Callable[[str], bool]:
    literals: set[str] = set()
    wild: list[str] = []
    for p in patterns:
        q = p.lower() if ignore_case else p
        if "*" in q or "?" in q:
            if q not in wild:
                wild.append(q)
        else:
            literals.add(q)

    def match(value: str) -> bool:
        v = value.lower() if ignore_case else value
        if v in literals:
            return True
        return any(_glob_cased(w, v) for w in wild)

    return match


def _glob_cased(pattern: str, value: str) -> bool:
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
        # One compiled pattern over the service's names (what `_glob` decides).
        match = _glob_rx(parts[1].lower()).fullmatch
        out = (
            tuple(a for a in svc.actions if match(a.name.lower()) is not None)
            if svc is not None
            else ()
        )
    if len(_EXPANSIONS) < 50000:
        _EXPANSIONS[key] = out
    return out


@functools.lru_cache(maxsize=16384)
def _split_action(v: str) -> tuple[str, str] | None:
    if v == "*" or not _ACTION_RX.match(v):
        return None
    prefix, _, name = v.partition(":")
    return prefix, name
