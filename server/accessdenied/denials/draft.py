"""A detection in normalized coordinates, before enrichment (shared by the grammars)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accessdenied.denials.model import DenialDecision, PolicyType


@dataclass
class Draft:
    """A detection in normalized coordinates, before enrichment."""

    start: int
    end: int
    family: str
    principal: str | None = None
    action: str | None = None
    resource: str | None = None
    decision: DenialDecision = "unknown"
    policy_type: PolicyType | None = None
    policy_arn: str | None = None
    service: str | None = None
    service_hint: str | None = None
    operation: str | None = None
    encoded_message: bool = False
    encoded_blob: str | None = None
    request_id: str | None = None
    error_code: str | None = None
    extra_actions: tuple[str, ...] = ()
    source: str = "message"
    action_origin: str | None = None
    notes: list[str] = field(default_factory=list)


# Words people write where a resource would be: the message names no resource.
PLACEHOLDER_RESOURCES = frozenset(
    {"this resource", "the resource", "the specified resource", "resource"}
)


def clean_token(value: str | None) -> str | None:
    """A principal/resource token without the quotes, brackets and punctuation around it."""
    if value is None:
        return None
    value = value.strip().strip("\"'`").strip()
    # `<arn:...>` is a token in angle brackets; `<account id>` alone is a placeholder.
    if value.startswith("<") and value.endswith(">") and value[1:5].lower() == "arn:":
        value = value[1:-1].strip()
    while value.endswith((".", ",", ";", ":", "!", "?")) and not value.endswith("..."):
        value = value[:-1]
    return value.strip("\"'`") or None


def clean_resource(value: str | None) -> str | None:
    """`clean_token`, with placeholder wordings ("this resource") as no resource."""
    value = clean_token(value)
    if value is not None and " ".join(value.split()).lower() in PLACEHOLDER_RESOURCES:
        return None
    return value


def upper_camel(op: str) -> str:
    return op[:1].upper() + op[1:]


def line_bounds(text: str, start: int, end: int, reach: int = 300) -> tuple[int, int]:
    """The line around [start, end), but at most `reach` characters either side."""
    lo = max(0, start - reach)
    hi = min(len(text), end + reach)
    ls = text.rfind("\n", lo, start) + 1 or lo
    le = text.find("\n", end, hi)
    return max(ls, lo), hi if le == -1 else le


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()
