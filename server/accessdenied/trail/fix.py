"""Feed denial groups to the workspace fixer: at most one verified edit per document.

`plan_fixes` is the one switch point: it uses `accessdenied.fixes.propose_fixes` one group
at a time, planning each edit on the text the earlier groups already changed, so every
document ends with one combined edit whose every step the evaluator verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from accessdenied.trail.model import DenialGroup, TrailDenial


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


def _representative(group: DenialGroup, denials: Sequence[TrailDenial]) -> TrailDenial:
    for td in denials:
        d = td.denial
        if (d.principal, d.action, d.resource) == (
            group.principal,
            group.action,
            group.resource,
        ):
            return td
    raise ValueError("group without denials")


def plan_fixes(
    groups: Sequence[DenialGroup], denials: Sequence[TrailDenial], root: Path
) -> FixPlan:
    """One verified edit per document for `groups` (denials of the same run)."""
    from accessdenied.fixes import apply_edits, propose_fixes
    from accessdenied.workspace import build_index

    index = build_index(root)
    current: dict[str, str] = {}
    original: dict[str, str] = {}

    def read_text(path: str) -> str:
        key = str(Path(path))
        if key not in current:
            with Path(key).open(encoding="utf-8", newline="") as fh:
                current[key] = original[key] = fh.read()
        return current[key]

    outcomes: list[GroupFix] = []
    for group in groups:
        td = _representative(group, denials)
        try:
            fixes = propose_fixes(
                td.denial, index, read_text=read_text, variants=("exact",)
            )
        except (ValueError, OSError) as exc:
            outcomes.append(GroupFix(group, None, "", False, str(exc)))
            continue
        editing = [
            f for f in fixes if f.edits and f.kind != "remove-deny" and f.verified
        ]
        if not editing:
            reason = "; ".join(f.explanation for f in fixes if f.explanation) or (
                "no policy in the workspace can grant it"
            )
            outcomes.append(GroupFix(group, None, "", False, reason))
            continue
        fix = editing[0]
        try:
            before = read_text(fix.path)
            current[str(Path(fix.path))] = apply_edits(before, fix.edits)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            outcomes.append(GroupFix(group, fix.path, fix.title, False, str(exc)))
            continue
        outcomes.append(GroupFix(group, fix.path, fix.title, True, fix.explanation))
    documents = {
        path: (original[path], text)
        for path, text in current.items()
        if text != original[path]
    }
    return FixPlan(documents, tuple(outcomes))
