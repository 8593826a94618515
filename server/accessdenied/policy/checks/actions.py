"""Action checks: format, unknown services and actions, wildcards in actions."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from accessdenied.policy.model import (
    Finding,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

from accessdenied.policy.checks._base import (
    _ACTION_RX,
    _STALE,
    Context,
    _action_nodes,
    _f,
    _near_typo,
    _split_action,
    _sx,
    check,
    expand_actions,
)


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


def _partial_wildcard(name: str) -> bool:
    return name != "*" and ("*" in name or "?" in name)


@check(
    "wildcard-in-service-name",
    "info",
    'a wildcard inside the service name of an action or ARN ("*code*:Get*", '
    '"arn:aws:*code*:...")',
)
def check_wildcard_service(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Wildcard in service name" (it matches look-alike services)."""
    for st in ctx.doc.statements:
        for n in _action_nodes(st):
            v = n.value
            if "*" not in v and "?" not in v:
                continue
            service, sep, _ = v.partition(":")
            if sep and _partial_wildcard(service) and "${" not in service:
                yield _f(
                    "wildcard-in-service-name",
                    n,
                    f'"{service}" in "{n.value}" has a wildcard in the service name: '
                    "it can match other (and future) services with similar names; "
                    "list the services",
                )
        for n in _sx(st, "Resource") + _sx(st, "NotResource"):
            if "*" not in n.value and "?" not in n.value:
                continue
            fields = n.value.split(":", 3)
            if (
                len(fields) >= 3
                and fields[0] == "arn"
                and _partial_wildcard(fields[2])
                and "${" not in fields[2]
            ):
                yield _f(
                    "wildcard-in-service-name",
                    n,
                    f'"{fields[2]}" in "{n.value}" has a wildcard in the service name: '
                    "it can match other (and future) services with similar names; "
                    "name the service",
                )
