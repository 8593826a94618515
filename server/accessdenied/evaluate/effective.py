"""Effective permissions: what a principal may do, per service and access level.

Allowed actions come from identity-based Allow statements (and resource-based statements that
name the principal), cut down by the permissions boundary, the session policy and every SCP
level (an action survives a limiting policy type only if some Allow there covers it). Each
action keeps the statements that grant it, with their resources and conditions, and the Deny
statements that cover it; a Deny on every resource with no condition removes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from accessdenied.evaluate.engine import compile_policy
from accessdenied.evaluate.matching import as_list, match_principal
from accessdenied.evaluate.model import (
    BOUNDARY,
    IDENTITY,
    RESOURCE,
    SCP,
    SESSION,
    Policy,
    PolicySet,
)
from accessdenied.evaluate.request import parse_principal


class CatalogAction(Protocol):
    """The parts of `accessdenied.catalog.Action` used here."""

    @property
    def full_name(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def access_level(self) -> str: ...


class CatalogLike(Protocol):
    """The parts of `accessdenied.catalog.Catalog` used here."""

    def expand(self, pattern: str) -> tuple[Any, ...]: ...


@dataclass(frozen=True, slots=True)
class Grant:
    """A statement covering an action, with what limits it."""

    policy_type: str
    policy_name: str | None
    file: str | None
    line: int | None
    sid: str | None
    effect: str
    statement_index: int
    resources: tuple[str, ...] = ("*",)
    not_resource: bool = False
    conditions: Mapping[str, Any] | None = None

    @property
    def unconditional(self) -> bool:
        """Every resource, no condition."""
        return not self.not_resource and "*" in self.resources and not self.conditions


@dataclass(frozen=True, slots=True)
class ActionPermission:
    """One action: whether it is effectively allowed, and the statements behind it."""

    action: str
    service: str
    access_level: str
    allowed: bool
    grants: tuple[Grant, ...] = ()
    denies: tuple[Grant, ...] = ()
    #: Policy types that do not allow the action at all (boundary, session, scp).
    limited_by: tuple[str, ...] = ()

    @property
    def denied(self) -> bool:
        """Unconditionally denied on every resource."""
        return any(d.unconditional for d in self.denies)


@dataclass(frozen=True)
class EffectivePermissions:
    """Actions covered by the principal's policies, allowed or denied."""

    principal: str
    actions: tuple[ActionPermission, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> tuple[ActionPermission, ...]:
        """Actions allowed on at least some resource."""
        return tuple(a for a in self.actions if a.allowed)

    @property
    def denied(self) -> tuple[ActionPermission, ...]:
        """Actions with an explicit Deny (on some or all resources)."""
        return tuple(a for a in self.actions if a.denies)

    def by_service(self) -> dict[str, dict[str, tuple[ActionPermission, ...]]]:
        """Allowed actions: service prefix -> access level -> actions."""
        out: dict[str, dict[str, list[ActionPermission]]] = {}
        for a in self.allowed:
            out.setdefault(a.service, {}).setdefault(a.access_level, []).append(a)
        return {
            s: {lv: tuple(v) for lv, v in levels.items()} for s, levels in out.items()
        }

    def summary(self, max_services: int = 20) -> str:
        """Markdown-ish text: per service, counts per access level, then denies."""
        lines = [f"Effective permissions of {self.principal}:"]
        services = self.by_service()
        for service in sorted(services)[:max_services]:
            levels = services[service]
            parts = ", ".join(
                f"{lv} {len(acts)}" for lv, acts in sorted(levels.items())
            )
            limited = any(
                g.conditions or not g.unconditional
                for acts in levels.values()
                for a in acts
                for g in a.grants
            )
            lines.append(f"- {service}: {parts}{' (limited)' if limited else ''}")
        if len(services) > max_services:
            lines.append(f"- ... {len(services) - max_services} more services")
        denied = self.denied
        if denied:
            names = ", ".join(a.action for a in denied[:10])
            more = f" and {len(denied) - 10} more" if len(denied) > 10 else ""
            lines.append(f"Explicitly denied: {names}{more}")
        return "\n".join(lines)


# Expansions per (catalog, pattern): the catalog is immutable and loaded once.
_EXPANSIONS: dict[tuple[int, str], frozenset[str]] = {}
_ACTIONS: dict[int, dict[str, Any]] = {}


def _expand_one(catalog: CatalogLike, pattern: str) -> frozenset[str]:
    key = (id(catalog), pattern.lower())
    names = _EXPANSIONS.get(key)
    if names is None:
        actions = tuple(catalog.expand(pattern))
        info = _ACTIONS.setdefault(id(catalog), {})
        for a in actions:
            info[a.full_name] = a
        names = frozenset(a.full_name for a in actions)
        if len(_EXPANSIONS) > 4096:
            _EXPANSIONS.clear()
        _EXPANSIONS[key] = names
    return names


def _expand(catalog: CatalogLike, patterns: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for p in patterns:
        names |= _expand_one(catalog, p)
    return names


def _covered(statement: Mapping[str, Any], catalog: CatalogLike) -> set[str]:
    if "Action" in statement:
        patterns = [p for p in as_list(statement["Action"]) if isinstance(p, str)]
        return _expand(catalog, patterns)
    if "NotAction" in statement:
        excluded = [p for p in as_list(statement["NotAction"]) if isinstance(p, str)]
        return set(_expand_one(catalog, "*") - _expand(catalog, excluded))
    return set()


def _grant(
    policy: Policy, policy_type: str, index: int, st: Mapping[str, Any]
) -> Grant:
    not_res = "Resource" not in st and "NotResource" in st
    res = tuple(
        r
        for r in as_list(st.get("NotResource") if not_res else st.get("Resource", "*"))
        if isinstance(r, str)
    )
    sid = st.get("Sid")
    cond = st.get("Condition")
    return Grant(
        policy_type=policy_type,
        policy_name=policy.name,
        file=policy.file,
        line=policy.line_of(index),
        sid=sid if isinstance(sid, str) else None,
        effect=str(st.get("Effect")),
        statement_index=index,
        resources=res,
        not_resource=not_res,
        conditions=cond if isinstance(cond, Mapping) else None,
    )


def _statements(policy: Policy) -> list[tuple[int, Mapping[str, Any]]]:
    raw = (
        policy.document.get("Statement")
        if isinstance(policy.document, Mapping)
        else None
    )
    items = (
        raw if isinstance(raw, list) else ([raw] if isinstance(raw, Mapping) else [])
    )
    return [(i, st) for i, st in enumerate(items) if isinstance(st, Mapping)]


def effective_permissions(
    policy_set: PolicySet, principal: str, catalog: CatalogLike
) -> EffectivePermissions:
    """Per action: allowed or not, the granting statements and the denying ones."""
    p = parse_principal(principal)
    grants: dict[str, list[Grant]] = {}
    denies: dict[str, list[Grant]] = {}
    notes: list[str] = []

    def collect(policy: Policy, policy_type: str, need_principal: bool) -> None:
        compile_policy(policy)  # validates shape early; cheap when cached
        for i, st in _statements(policy):
            if need_principal:
                if "Principal" in st:
                    if match_principal(st["Principal"], p) is None:
                        continue
                elif "NotPrincipal" in st:
                    if match_principal(st["NotPrincipal"], p) is not None:
                        continue
                else:
                    continue
            effect = st.get("Effect")
            if effect not in ("Allow", "Deny"):
                continue
            target = grants if effect == "Allow" else denies
            g = _grant(policy, policy_type, i, st)
            for name in _covered(st, catalog):
                target.setdefault(name, []).append(g)

    for pol in policy_set.identity:
        collect(pol, IDENTITY, False)
    if policy_set.resource is not None:
        collect(policy_set.resource, RESOURCE, True)

    limits: list[tuple[str, set[str]]] = []
    for ptype, pols in (
        (BOUNDARY, [policy_set.boundary] if policy_set.boundary else []),
        (
            SESSION,
            [policy_set.session] if policy_set.session and p.is_session_capable else [],
        ),
    ):
        for pol in pols:
            allowed: set[str] = set()
            for i, st in _statements(pol):
                if st.get("Effect") == "Allow":
                    allowed |= _covered(st, catalog)
                elif st.get("Effect") == "Deny":
                    g = _grant(pol, ptype, i, st)
                    for name in _covered(st, catalog):
                        denies.setdefault(name, []).append(g)
            limits.append((ptype, allowed))
    if p.is_iam and not p.service_linked:
        for level, scp_level in enumerate(policy_set.scps):
            allowed = set()
            for pol in scp_level:
                for i, st in _statements(pol):
                    if st.get("Effect") == "Allow":
                        allowed |= _covered(st, catalog)
                    elif st.get("Effect") == "Deny":
                        g = _grant(pol, SCP, i, st)
                        for name in _covered(st, catalog):
                            denies.setdefault(name, []).append(g)
            limits.append((f"{SCP}#{level}", allowed))

    info = _ACTIONS.get(id(catalog), {})
    out: list[ActionPermission] = []
    for name in sorted(set(grants) | set(denies)):
        a = info.get(name)
        limited_by = tuple(t for t, allowed in limits if name not in allowed)
        ds = tuple(denies.get(name, ()))
        gs = tuple(grants.get(name, ()))
        unconditional_deny = any(d.unconditional for d in ds)
        out.append(
            ActionPermission(
                action=name,
                service=getattr(a, "service", name.split(":", 1)[0]),
                access_level=getattr(a, "access_level", "Unknown"),
                allowed=bool(gs) and not limited_by and not unconditional_deny,
                grants=gs,
                denies=ds,
                limited_by=tuple(dict.fromkeys(t.split("#")[0] for t in limited_by)),
            )
        )
    if not p.is_iam:
        notes.append(f"{p.kind} principals have no identity-based policies")
    return EffectivePermissions(
        principal=principal, actions=tuple(out), notes=tuple(notes)
    )
