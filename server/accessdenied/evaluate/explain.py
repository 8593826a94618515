"""Turn a Decision into words: what decided, which policy types allowed or denied."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accessdenied.evaluate.model import Decision

_TYPE_LABEL = {
    "identity": "identity-based policies",
    "resource": "resource-based policy",
    "scp": "service control policies",
    "rcp": "resource control policies",
    "permissions_boundary": "permissions boundary",
    "session": "session policy",
    "vpc_endpoint": "VPC endpoint policy",
}


def explain_decision(decision: Decision) -> str:
    """A few lines: the verdict, the deciding statements, then each policy type's result."""
    lines: list[str] = []
    if decision.decision == "explicit_deny":
        lines.append("Explicitly denied:")
    elif decision.decision == "allowed":
        lines.append("Allowed by:")
    else:
        blocked = ", ".join(_TYPE_LABEL.get(t, t) for t in decision.blocked_by)
        lines.append(f"Implicitly denied: no allow in {blocked or 'any policy'}")
    lines.extend(f"  {r.describe()}" for r in decision.reasons)
    applied = [
        f"{_TYPE_LABEL.get(t, t)}: {v.replace('_', ' ')}"
        for t, v in decision.per_type.items()
        if v != "not_applicable"
    ]
    if applied:
        lines.append("Policy types: " + "; ".join(applied))
    if not decision.same_account:
        lines.append(
            "Cross-account: both the identity side and the resource policy must allow."
        )
    lines.extend(f"Note: {n}" for n in decision.notes)
    return "\n".join(lines)
