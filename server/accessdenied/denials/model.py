"""The `Denial` record: one AWS access denial found in text, with its exact source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from accessdenied.text import Span

DenialDecision = Literal["implicit", "explicit", "unknown"]
PolicyType = Literal[
    "identity",
    "resource",
    "scp",
    "rcp",
    "permissions_boundary",
    "session",
    "vpc_endpoint",
]
DENIAL_DECISIONS: tuple[DenialDecision, ...] = ("implicit", "explicit", "unknown")
POLICY_TYPES: tuple[PolicyType, ...] = (
    "identity",
    "resource",
    "scp",
    "rcp",
    "permissions_boundary",
    "session",
    "vpc_endpoint",
)


@dataclass(frozen=True, slots=True)
class Denial:
    """One access denial. Fields the text does not carry are None.

    `action` is lower-case prefix plus canonical action name (`sns:Publish`); when the
    message has only an operation, the scanner fills it from the catalog's operation map.
    `span` covers the matched message text (1-based lines/columns, exclusive end).
    """

    span: Span
    text: str
    principal: str | None = None
    action: str | None = None
    resource: str | None = None
    decision: DenialDecision = "unknown"
    policy_type: PolicyType | None = None
    policy_arn: str | None = None
    service: str | None = None
    operation: str | None = None
    encoded_message: bool = False
    encoded_blob: str | None = None
    request_id: str | None = None
    error_code: str | None = None
    # Further actions named in the same message, e.g. Marketplace's "(a, b)" list.
    extra_actions: tuple[str, ...] = ()
    # "message" for log/terminal text, "cloudtrail" for CloudTrail records,
    # "decoded" for a decoded authorization message.
    source: str = "message"
    # How the action was obtained: "text", "operation" (catalog map), "event" (CloudTrail).
    action_origin: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str | None, str | None, str | None, str]:
        """Identity of the denied request, to group repeated occurrences."""
        return (self.principal, self.action, self.resource, self.decision)

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        """The `scan --format json` record (shared/DESIGN.md contract)."""
        return {
            "file": file,
            "line": self.span.start_line,
            "column": self.span.start_column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "decision": self.decision,
            "policy_type": self.policy_type,
            "policy_arn": self.policy_arn,
            "service": self.service,
            "operation": self.operation,
            "encoded_message": self.encoded_message,
            "request_id": self.request_id,
            "text": self.text,
        }
