"""Feed denial groups to the workspace fixer: at most one verified edit per document.

The groups go to `accessdenied.fixes.fix_all` (the core of `accessdenied fix --all`):
one representative denial per principal x action x resource x policy type, fixed one
after another over an in-memory overlay, one combined edit per document, every fixed
request evaluated again against the final documents. Nothing is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from accessdenied.denials.model import Denial
from accessdenied.trail.model import DenialGroup, TrailDenial

_GroupKey = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class GroupFix:
    """What happened to one group: the file it changed, or why it could not."""

    group: DenialGroup
    path: str | None
    title: str
    fixed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FixPlan:
    """New text per document (original, changed) and the outcome of every group."""

    documents: dict[str, tuple[str, str]] = field(default_factory=dict)
    outcomes: tuple[GroupFix, ...] = ()

    @property
    def all_fixed(self) -> bool:
        """Whether every group got a verified edit."""
        return all(o.fixed for o in self.outcomes)


def _gkey(d: Denial) -> _GroupKey:
    return (d.principal, d.action, d.resource)


def representatives(denials: Sequence[TrailDenial]) -> list[Denial]:
    """One denial per principal x action x resource x policy type x decision."""
    seen: dict[tuple[object, ...], Denial] = {}
    for td in denials:
        d = td.denial
        seen.setdefault((*_gkey(d), d.policy_type, d.decision), d)
    return list(seen.values())


def plan_fixes(
    groups: Sequence[DenialGroup], denials: Sequence[TrailDenial], root: Path
) -> FixPlan:
    """One verified edit per document for `groups` (the denials of the same run)."""
    from accessdenied.fixes.fix_all import fix_all
    from accessdenied.workspace import build_index

    result = fix_all(representatives(denials), build_index(root))
    per_group: dict[_GroupKey, list[tuple[bool, str, str | None]]] = {}
    for o in result.outcomes:
        if o.dependent:
            continue
        per_group.setdefault(_gkey(o.denial), []).append((o.fixed, o.how, o.path))
    outcomes: list[GroupFix] = []
    for g in groups:
        items = per_group.get((g.principal, g.action, g.resource), [])
        if not items:
            outcomes.append(
                GroupFix(g, None, "", False, "the fixer returned no outcome")
            )
            continue
        fixed = all(ok for ok, _, _ in items)
        path = next((p for ok, _, p in items if ok and p), None)
        titles = "; ".join(how for ok, how, _ in items if ok)
        reasons = "; ".join(how for ok, how, _ in items if not ok)
        outcomes.append(
            GroupFix(g, path, titles, fixed, reasons if not fixed else titles)
        )
    documents = {str(c.path): (c.before, c.after) for c in result.changes}
    return FixPlan(documents, tuple(outcomes))
