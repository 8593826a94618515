"""Group denials by principal x action x resource: count, first/last seen, where."""

from __future__ import annotations

from collections.abc import Iterable

from accessdenied.trail.model import DenialGroup, TrailDenial


def group_denials(denials: Iterable[TrailDenial]) -> list[DenialGroup]:
    """One group per (principal, action, resource), most frequent first."""
    acc: dict[tuple[str | None, str | None, str | None], list[TrailDenial]] = {}
    for td in denials:
        d = td.denial
        acc.setdefault((d.principal, d.action, d.resource), []).append(td)
    groups: list[DenialGroup] = []
    for (principal, action, resource), items in acc.items():
        times = sorted(t.row.event_time for t in items if t.row.event_time)
        groups.append(
            DenialGroup(
                principal=principal,
                action=action,
                resource=resource,
                count=len(items),
                first_seen=times[0] if times else None,
                last_seen=times[-1] if times else None,
                accounts=tuple(sorted({t.row.account for t in items if t.row.account})),
                regions=tuple(
                    sorted({t.row.aws_region for t in items if t.row.aws_region})
                ),
                decisions=tuple(sorted({t.denial.decision for t in items})),
            )
        )
    groups.sort(
        key=lambda g: (-g.count, g.principal or "", g.action or "", g.resource or "")
    )
    return groups
