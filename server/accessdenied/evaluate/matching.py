"""Action, resource and principal matching, wildcards and policy variables.

- Actions: case-insensitive, `*` and `?` wildcards
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
- Resources: case-sensitive; `*`/`?` in any ARN segment; a `*` that ends one of the first
  five segments may expand beyond the colon boundary
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
- Policy variables `${key}`, `${key, 'default'}`, `${*}` `${?}` `${$}`, only with Version
  2012-10-17; otherwise `${...}` is literal text
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
- Principal/NotPrincipal
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from accessdenied.evaluate.request import ContextValue, PrincipalInfo, parse_arn

#: How a resource-based policy named the caller, best first.
PrincipalMatch = Literal["direct", "role", "user", "account"]
_MATCH_RANK: dict[str, int] = {"direct": 0, "role": 1, "user": 2, "account": 3}

_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_VAR_BODY_RE = re.compile(r"^\s*([^,]*?)\s*(?:,\s*'([^']*)'\s*)?$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")

# A token of a pattern after variable substitution: ("lit", text) | ("*", "") | ("?", "").
Token = tuple[str, str]


class Unresolved(Exception):
    """A policy variable with no value in the request and no default."""


def has_variables(text: str) -> bool:
    """Whether `text` contains a `${...}` policy variable."""
    return "${" in text


def lookup_variable(key: str, ctx: Mapping[str, ContextValue]) -> str | None:
    """The single value of a context key used as a policy variable, or None."""
    value = ctx.get(key.lower())
    if value is None:
        return None
    if isinstance(value, tuple):
        # A multi-valued key cannot stand in for one string.
        return value[0] if len(value) == 1 else None
    return value


def _variable_value(body: str, ctx: Mapping[str, ContextValue]) -> str:
    if body in ("*", "?", "$"):
        return body
    m = _VAR_BODY_RE.match(body)
    if m is None:
        raise Unresolved(body)
    key, default = m.group(1), m.group(2)
    value = lookup_variable(key, ctx)
    if value is None:
        if default is None:
            raise Unresolved(key)
        return default
    return value


def substitute(text: str, ctx: Mapping[str, ContextValue]) -> str:
    """Replace policy variables by their values; raises Unresolved when one is missing."""
    if "${" not in text:
        return text
    return _VAR_RE.sub(lambda m: _variable_value(m.group(1), ctx), text)


def tokenize(text: str, ctx: Mapping[str, ContextValue] | None) -> list[Token]:
    """Split a wildcard pattern into literals and wildcards; variables become literals."""
    tokens: list[Token] = []
    pos = 0
    parts: list[tuple[bool, str]] = []  # (is_variable_value, text)
    if ctx is not None and "${" in text:
        for m in _VAR_RE.finditer(text):
            parts.append((False, text[pos : m.start()]))
            parts.append((True, _variable_value(m.group(1), ctx)))
            pos = m.end()
    parts.append((False, text[pos:]))
    for literal, chunk in parts:
        if literal:
            tokens.append(("lit", chunk))
            continue
        buf: list[str] = []
        for ch in chunk:
            if ch in "*?":
                if buf:
                    tokens.append(("lit", "".join(buf)))
                    buf = []
                tokens.append((ch, ""))
            else:
                buf.append(ch)
        if buf:
            tokens.append(("lit", "".join(buf)))
    return tokens


def _simple_regex(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    for kind, text in tokens:
        if kind == "lit":
            out.append(re.escape(text))
        elif kind == "*":
            out.append(".*")
        else:
            out.append(".")
    return "".join(out)


def _arn_regex(tokens: Sequence[Token]) -> str:
    # Segment rules of the Resource element: wildcards stay inside their segment, except a
    # `*` that ends one of the first five segments, which "can expand to match beyond the
    # colon boundaries"; the sixth (resource) segment may itself contain colons.
    out: list[str] = []
    segment = 0
    n = len(tokens)
    for i, (kind, text) in enumerate(tokens):
        if kind == "lit":
            out.append(re.escape(text))
            segment += text.count(":")
            continue
        if segment >= 5:
            out.append(".*" if kind == "*" else ".")
            continue
        if kind == "?":
            out.append("[^:]")
            continue
        nxt = tokens[i + 1] if i + 1 < n else None
        ends_segment = nxt is None or (nxt[0] == "lit" and nxt[1].startswith(":"))
        out.append(".*" if ends_segment else "[^:]*")
    return "".join(out)


#: A pattern with more wildcards than this is matched by `LinearMatcher`: a regex of
#: `*a*a*a...b` backtracks exponentially (a hostile policy file could hang evaluation).
MAX_REGEX_WILDCARDS = 8


class LinearMatcher:
    """`fullmatch` of a wildcard pattern by NFA simulation: O(len(text) x len(pattern)).

    Units: ("c", ch) a literal character, ("any", "") one character, ("anyx", "") one
    character but `:`, ("star", "") any run, ("starx", "") any run without `:`.
    """

    __slots__ = ("fold", "pattern", "units")

    def __init__(self, units: list[tuple[str, str]], pattern: str, fold: bool) -> None:
        self.units = tuple(units)
        self.pattern = pattern
        self.fold = fold

    def _closure(self, states: set[int]) -> set[int]:
        out = set(states)
        stack = list(states)
        while stack:
            s = stack.pop()
            wild = s < len(self.units) and self.units[s][0] in ("star", "starx")
            if wild and s + 1 not in out:
                out.add(s + 1)
                stack.append(s + 1)
        return out

    def fullmatch(self, text: str) -> bool | None:
        units = self.units
        m = len(units)
        if self.fold:
            text = text.casefold()
        states = self._closure({0})
        for ch in text:
            nxt: set[int] = set()
            for s in states:
                if s >= m:
                    continue
                kind, lit = units[s]
                if kind == "c":
                    if lit == ch:
                        nxt.add(s + 1)
                elif kind == "any" or (kind == "anyx" and ch != ":"):
                    nxt.add(s + 1)
                elif kind == "star" or (kind == "starx" and ch != ":"):
                    nxt.add(s)
            if not nxt:
                return None
            states = self._closure(nxt)
        return True if m in states else None


def _wildcards(tokens: Sequence[Token]) -> int:
    return sum(1 for kind, _ in tokens if kind != "lit")


def _simple_units(tokens: Sequence[Token], fold: bool) -> list[tuple[str, str]]:
    units: list[tuple[str, str]] = []
    for kind, text in tokens:
        if kind == "lit":
            units.extend(("c", c.casefold() if fold else c) for c in text)
        else:
            units.append(("star" if kind == "*" else "any", ""))
    return units


def _arn_units(tokens: Sequence[Token]) -> list[tuple[str, str]]:
    # The same segment rules as _arn_regex.
    units: list[tuple[str, str]] = []
    segment = 0
    n = len(tokens)
    for i, (kind, text) in enumerate(tokens):
        if kind == "lit":
            units.extend(("c", c) for c in text)
            segment += text.count(":")
            continue
        if segment >= 5:
            units.append(("star" if kind == "*" else "any", ""))
            continue
        if kind == "?":
            units.append(("anyx", ""))
            continue
        nxt = tokens[i + 1] if i + 1 < n else None
        ends_segment = nxt is None or (nxt[0] == "lit" and nxt[1].startswith(":"))
        units.append(("star" if ends_segment else "starx", ""))
    return units


def _simple(tokens: list[Token], flags: int, fold: bool) -> Any:
    if _wildcards(tokens) > MAX_REGEX_WILDCARDS:
        return LinearMatcher(_simple_units(tokens, fold), "", fold)
    return re.compile(_simple_regex(tokens), flags)


def _arn(tokens: list[Token]) -> Any:
    if _wildcards(tokens) > MAX_REGEX_WILDCARDS:
        return LinearMatcher(_arn_units(tokens), "", False)
    return re.compile(_arn_regex(tokens), re.DOTALL)


@functools.lru_cache(maxsize=8192)
def action_regex(pattern: str) -> re.Pattern[str]:
    """Compiled case-insensitive matcher for an Action pattern."""
    return _simple(tokenize(pattern, None), re.IGNORECASE | re.DOTALL, True)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=16384)
def _resource_regex_static(pattern: str) -> re.Pattern[str]:
    return _arn(tokenize(pattern, None))  # type: ignore[no-any-return]


def resource_regex(
    pattern: str, ctx: Mapping[str, ContextValue] | None
) -> re.Pattern[str]:
    """Compiled matcher for a Resource pattern; substitutes variables when ctx is given."""
    if ctx is None or "${" not in pattern:
        return _resource_regex_static(pattern)
    return _arn(tokenize(pattern, ctx))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=16384)
def _like_regex_static(pattern: str) -> re.Pattern[str]:
    return _simple(tokenize(pattern, None), re.DOTALL, False)  # type: ignore[no-any-return]


def like_regex(pattern: str, ctx: Mapping[str, ContextValue] | None) -> re.Pattern[str]:
    """Compiled matcher for a StringLike value (case-sensitive, `*` and `?`)."""
    if ctx is None or "${" not in pattern:
        return _like_regex_static(pattern)
    return _simple(tokenize(pattern, ctx), re.DOTALL, False)  # type: ignore[no-any-return]


def as_list(value: Any) -> list[Any]:
    """A policy element value (string or list) as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def match_action(patterns: Sequence[object], action: str) -> bool:
    """Whether any Action pattern matches the action (case-insensitive)."""
    return any(
        isinstance(p, str) and action_regex(p).fullmatch(action) is not None
        for p in patterns
    )


def match_resource(
    patterns: Sequence[object],
    resource: str,
    ctx: Mapping[str, ContextValue] | None,
) -> bool | None:
    """Whether any Resource pattern matches (case-sensitive; ctx None = no variables).

    None when no pattern matched and one of them had a variable that cannot be resolved:
    "If AWS cannot resolve a variable, this might cause the entire statement to be
    invalid" (reference_policies_variables.html), so a NotResource with such a pattern
    does not apply either.
    """
    unresolved = False
    for p in patterns:
        if not isinstance(p, str):
            continue
        try:
            if resource_regex(p, ctx).fullmatch(resource) is not None:
                return True
        except Unresolved:
            unresolved = unresolved or _prefix_matches(p, resource)
    return None if unresolved else False


def _prefix_matches(pattern: str, resource: str) -> bool:
    """Whether the ARN segments before the resource part match (the variable decides).

    A pattern whose partition, service, region or account already differ from the
    resource's cannot match whatever the variable holds; it simply does not match.
    """
    p_parts = pattern.split(":", 5)
    r_parts = resource.split(":", 5)
    if len(p_parts) != len(r_parts):
        return len(p_parts) < 6 or len(r_parts) < 6
    for p_seg, r_seg in zip(p_parts[:5], r_parts[:5], strict=False):
        if "${" in p_seg:
            return True
        if _like_regex_static(p_seg).fullmatch(r_seg) is None:
            return False
    return True


def _better(
    a: PrincipalMatch | None, b: PrincipalMatch | None
) -> PrincipalMatch | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _MATCH_RANK[a] <= _MATCH_RANK[b] else b


def _match_aws_value(value: str, p: PrincipalInfo) -> PrincipalMatch | None:
    if value == "*":
        return "direct"
    v = value.strip()
    if _ACCOUNT_RE.match(v):
        v = f"arn:{p.partition}:iam::{v}:root"
    if v == p.text:
        return "role" if p.kind == "role" else "direct"
    arn = parse_arn(v)
    if arn is None or p.account is None:
        return None
    if arn.service == "iam" and arn.resource == "root":
        # The account (or its root) delegates to the account's own IAM policies.
        if arn.account == p.account and p.is_iam:
            return "direct" if p.kind == "root" else "account"
        return None
    if arn.account != p.account:
        return None
    if arn.service == "iam" and arn.resource.startswith("role/"):
        # Naming the role matches the role and its sessions (assumed-role ARNs carry no
        # role path, so compare by name).
        name = arn.resource.rsplit("/", 1)[-1]
        if p.kind in ("role", "assumed_role") and p.name == name:
            return "role"
        return None
    if arn.service == "iam" and arn.resource.startswith("user/"):
        # A federated-user session is limited like the IAM user who federated.
        name = arn.resource.rsplit("/", 1)[-1]
        if p.kind == "federated_user" and p.name == name:
            return "user"
    return None


def match_principal(element: Any, p: PrincipalInfo) -> PrincipalMatch | None:
    """How a Principal element names the caller (best match), or None."""
    if element == "*":
        return "direct"
    if not isinstance(element, Mapping):
        return None
    best: PrincipalMatch | None = None
    for key, values in element.items():
        kind = key if isinstance(key, str) else ""
        for value in as_list(values):
            if not isinstance(value, str):
                continue
            got: PrincipalMatch | None = None
            if kind == "AWS":
                got = _match_aws_value(value, p)
            elif kind == "Service":
                if value == "*" or (
                    p.kind == "service" and value.lower() == p.text.lower()
                ):
                    got = "direct"
            elif kind == "Federated":
                if p.kind == "federated" and value == p.text:
                    got = "direct"
            elif (
                kind == "CanonicalUser"
                and p.kind == "canonical_user"
                and value == p.text
            ):
                got = "direct"
            best = _better(best, got)
            if best == "direct":
                return best
    return best
