"""Plain results of live-mode reads (no boto3 types leak out of `accessdenied.aws`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accessdenied.aws.safety import redact
from accessdenied.denials.model import DenialDecision


@dataclass(frozen=True, slots=True)
class LiveFinding:
    """A problem live mode ran into, phrased for the user (credentials already redacted).

    `code`: live-access-denied (the tool's own AccessDenied), live-not-found,
    live-no-credentials, live-timeout, live-unavailable (boto3 missing), live-off,
    live-read-only-violation, live-error, live-disagreement.
    """

    code: str
    severity: str
    message: str
    action: str | None = None
    error_code: str | None = None

    def __post_init__(self) -> None:
        # One place that guarantees no finding ever carries a credential.
        object.__setattr__(self, "message", redact(self.message))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "action": self.action,
            "error_code": self.error_code,
        }


@dataclass(frozen=True)
class NamedPolicy:
    """One deployed policy document and where it came from in the account.

    `kind`: inline | managed | group-inline | group-managed | boundary | trust | resource |
    scp | rcp. `arn` for managed policies, `version` their default version id.
    """

    name: str
    kind: str
    document: Mapping[str, Any]
    arn: str | None = None
    version: str | None = None
    source: str | None = None  # e.g. the group name or the resource ARN


@dataclass(frozen=True)
class PrincipalPolicies:
    """Everything IAM says about one principal's own permissions."""

    principal: str
    #: The IAM entity the policies belong to (a role ARN for an assumed-role session).
    entity_arn: str | None
    entity_kind: str | None  # "role" | "user" | None
    identity: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    trust: NamedPolicy | None = None
    findings: tuple[LiveFinding, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every read succeeded."""
        return not self.findings


@dataclass(frozen=True)
class ResourcePolicy:
    """A resource-based policy read from the account (None document: none is set)."""

    resource: str
    kind: str  # s3 | kms | sqs | sns | secretsmanager | lambda | trust
    document: Mapping[str, Any] | None
    findings: tuple[LiveFinding, ...] = ()


@dataclass(frozen=True)
class OrgPolicies:
    """SCPs and RCPs that apply to one account, by level (root first, account last)."""

    account: str | None
    scps: tuple[tuple[NamedPolicy, ...], ...] = ()
    rcps: tuple[tuple[NamedPolicy, ...], ...] = ()
    readable: bool = False
    findings: tuple[LiveFinding, ...] = ()
    #: SCPs do not apply to principals of the management account.
    management_account: str | None = None


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """One entry of a decoded message's `matchedStatements`."""

    statement_id: str | None
    effect: str | None
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    conditions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DecodedAuthorization:
    """A decoded authorization failure message (sts:DecodeAuthorizationMessage)."""

    allowed: bool
    explicit_deny: bool
    principal: str | None
    principal_id: str | None
    action: str | None  # with its service prefix, even when the message lacked it
    raw_action: str | None
    resource: str | None
    conditions: Mapping[str, tuple[str, ...]]
    matched_statements: tuple[MatchedStatement, ...]
    raw: Mapping[str, Any]

    @property
    def decision(self) -> DenialDecision:
        """The Denial decision vocabulary: implicit | explicit | unknown."""
        if self.explicit_deny:
            return "explicit"
        return "unknown" if self.allowed else "implicit"

    def markdown(self, max_conditions: int = 12) -> str:
        """The decoded request for a hover: who, what, on what, verdict, statements, context."""
        verdict = (
            "explicit deny"
            if self.explicit_deny
            else ("allowed" if self.allowed else "implicit deny (nothing allowed it)")
        )
        lines = [
            "**Decoded authorization message**",
            f"- principal: `{self.principal or '?'}`",
            f"- action: `{self.action or '?'}`",
            f"- resource: `{self.resource or '?'}`",
            f"- decision: {verdict}",
        ]
        for st in self.matched_statements:
            what = ", ".join(f"`{a}`" for a in st.actions[:4])
            lines.append(
                f"- matched {(st.effect or '?').title()} statement "
                f"`{st.statement_id or '(no Sid)'}`" + (f" on {what}" if what else "")
            )
        items = list(self.conditions.items())
        if items:
            lines.append("- request context:")
            for key, values in items[:max_conditions]:
                lines.append(f"  - `{key}` = `{', '.join(values)}`")
            if len(items) > max_conditions:
                lines.append(f"  - ... {len(items) - max_conditions} more")
        return "\n".join(lines)

    def summary(self) -> str:
        """Markdown-free one-paragraph summary for hovers and logs."""
        parts = [
            f"decoded: {self.principal or '?'} -> {self.action or '?'} on "
            f"{self.resource or '?'}: "
            + (
                "explicit deny"
                if self.explicit_deny
                else ("allowed" if self.allowed else "implicit deny")
            )
        ]
        for st in self.matched_statements:
            parts.append(
                f"matched {st.effect or '?'} statement {st.statement_id or '(no Sid)'}"
            )
        return "; ".join(parts)


@dataclass(frozen=True)
class Verdict:
    """One evaluator's answer to a request."""

    source: str  # "accessdenied" | "iam:SimulateCustomPolicy" | "iam:SimulatePrincipalPolicy"
    decision: (
        str | None
    )  # allowed | implicit_deny | explicit_deny | None (not available)
    detail: str = ""


@dataclass(frozen=True)
class CrossCheck:
    """Our verdict beside AWS's simulator verdicts for the same (fixed) request."""

    action: str
    resource: str
    ours: Verdict
    aws: tuple[Verdict, ...]
    findings: tuple[LiveFinding, ...] = ()

    @property
    def agree(self) -> bool | None:
        """None when AWS gave no verdict; else whether every AWS verdict matches ours."""
        known = [v for v in self.aws if v.decision is not None]
        if not known:
            return None
        return all(v.decision == self.ours.decision for v in known)


@dataclass(frozen=True)
class StatementDiff:
    """Semantic difference between deployed and workspace policies.

    `missing`: grants the workspace has and the account does not (not yet deployed);
    `extra`: grants the account has and the workspace does not (drift).
    Each entry reads `Allow s3:PutObject on arn:aws:s3:::b/*` (plus ` if <condition>`).
    """

    principal: str
    files: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def differs(self) -> bool:
        """Whether there is any difference."""
        return bool(self.missing or self.extra)

    def message(self) -> str:
        """`deployed policy differs from policies/app.json: missing s3:PutObject`."""
        where = ", ".join(self.files) or "the workspace"
        if not self.differs:
            return f"deployed policies of {self.principal} match {where}"
        bits: list[str] = []
        if self.missing:
            bits.append("missing " + ", ".join(self.missing))
        if self.extra:
            bits.append("extra in account " + ", ".join(self.extra))
        return f"deployed policy differs from {where}: " + "; ".join(bits)
