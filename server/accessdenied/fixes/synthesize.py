"""Denial -> the least-privilege statement that grants exactly the denied request.

Exactly the denied action; exactly the denied resource when the action supports
resource-level permissions (an exact ARN is the narrowest pattern any resource type
allows), `*` only when it does not. Dependent actions are a separate variant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accessdenied.evaluate import parse_principal


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What the catalog says about the denied action (None fields when unknown)."""

    name: str
    resource_level: bool | None
    resource_type: str | None
    dependent: tuple[str, ...] = ()


def action_info(action: str, resource: str | None) -> ActionInfo:
    """Canonical name, resource-level support and matching resource type of an action."""
    try:
        from accessdenied.catalog import load_catalog

        cat: Any = load_catalog()
    except (ImportError, AttributeError, OSError):  # pragma: no cover - catalog missing
        return ActionInfo(action, None, None)
    act = cat.action(action)
    if act is None:
        return ActionInfo(action, None, None)
    rtype = None
    if resource and resource != "*":
        for ar in act.resources:
            if ar.resource_type.matches(resource):
                rtype = ar.resource_type.name
                break
    try:
        dependent = tuple(cat.dependent_actions(act.full_name))
    except (AttributeError, KeyError):  # pragma: no cover
        dependent = ()
    return ActionInfo(
        act.full_name, bool(act.supports_resource_level), rtype, dependent
    )


def grant_resource(info: ActionInfo, resource: str | None) -> tuple[str, str]:
    """The Resource to grant and why."""
    if info.resource_level is False:
        return (
            "*",
            f'{info.name} supports no resource-level permissions, so only "*" works',
        )
    if not resource or resource == "*":
        return "*", 'the denial names no resource, so the statement uses "*"'
    if info.resource_type:
        return resource, f"exactly the denied {info.resource_type} resource"
    return resource, f"exactly the denied resource {resource}"


def principal_for_resource_policy(principal: str) -> str:
    """How a resource/trust/key policy should name the caller: sessions by their role."""
    info = parse_principal(principal)
    if info.kind == "assumed_role" and info.role_arn:
        return info.role_arn
    return info.text


def principal_element(principal: str | None) -> Any:
    """The Principal element naming the caller (service, federated, anonymous, AWS)."""
    info = parse_principal(principal or "")
    if info.kind == "anonymous":
        return "*"
    if info.kind == "service":
        return {"Service": info.text}
    if info.kind == "federated":
        return {"Federated": info.text}
    if info.kind == "canonical_user":
        return {"CanonicalUser": info.text}
    return {"AWS": principal_for_resource_policy(info.text)}


def make_sid(actions: Sequence[str], taken: set[str], prefix: str = "Allow") -> str:
    """A readable Sid (`AllowS3PutObject`) not in `taken` (case-insensitive)."""
    first = actions[0] if actions else "Access"
    words = re.split(r"[^A-Za-z0-9]+", first)
    base = prefix + "".join(w[:1].upper() + w[1:] for w in words if w)
    if len(actions) > 1:
        base += "AndDependencies"
    lowered = {t.lower() for t in taken}
    sid = base
    n = 2
    while sid.lower() in lowered:
        sid = f"{base}{n}"
        n += 1
    return sid


def build_statement(
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    sid: str,
) -> dict[str, Any]:
    """The statement for a policy `kind` (identity, resource, kms, trust, boundary, ...)."""
    action: Any = actions[0] if len(actions) == 1 else list(actions)
    stmt: dict[str, Any] = {"Sid": sid, "Effect": "Allow"}
    if kind in ("resource", "kms", "trust"):
        stmt["Principal"] = principal_element(principal)
    stmt["Action"] = action
    if kind == "trust":
        return stmt
    stmt["Resource"] = "*" if kind == "kms" else resource
    return stmt
