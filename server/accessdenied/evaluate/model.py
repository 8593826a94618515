"""Policies, policy sets and decisions: the evaluator's inputs and outputs (plain data)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DecisionValue = Literal["allowed", "implicit_deny", "explicit_deny"]
#: Per policy type: "allowed" | "implicit_deny" | "explicit_deny" | "not_applicable".
TypeResult = str

#: Policy type names, the same vocabulary as `Denial.policy_type`.
IDENTITY = "identity"
RESOURCE = "resource"
SCP = "scp"
RCP = "rcp"
BOUNDARY = "permissions_boundary"
SESSION = "session"
VPC_ENDPOINT = "vpc_endpoint"
POLICY_TYPES = (IDENTITY, RESOURCE, SCP, RCP, BOUNDARY, SESSION, VPC_ENDPOINT)

#: Services RCPs applied to at launch (the list grows; see "List of AWS services that
#: support RCPs" in https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
RCP_SERVICES_AT_LAUNCH = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})


@dataclass(frozen=True)
class Policy:
    """A policy document as a plain JSON value, with where it came from.

    `statement_lines[i]` is the 1-based line of statement i in `file` (reasons carry it).
    """

    document: Mapping[str, Any]
    name: str | None = None
    file: str | None = None
    statement_lines: tuple[int, ...] | None = None
    # Compiled form, filled on first use (not part of equality).
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # The document is a dict; hash what identifies the policy (equal policies share
        # name, file and lines, so this agrees with ==).
        return hash((self.name, self.file, self.statement_lines))

    def line_of(self, index: int) -> int | None:
        """The 1-based line of statement `index`, if known."""
        lines = self.statement_lines
        if lines is not None and 0 <= index < len(lines):
            return lines[index]
        return None


def as_policy(value: Policy | Mapping[str, Any]) -> Policy:
    """Accept a Policy or a bare document."""
    return value if isinstance(value, Policy) else Policy(document=value)


def _policies(values: Iterable[Any] | None) -> tuple[Policy, ...]:
    if values is None:
        return ()
    if isinstance(values, Policy | Mapping):
        return (as_policy(values),)
    return tuple(as_policy(v) for v in values)


def _levels(values: Iterable[Any] | None) -> tuple[tuple[Policy, ...], ...]:
    if values is None:
        return ()
    if isinstance(values, Policy | Mapping):
        return ((as_policy(values),),)
    levels: list[tuple[Policy, ...]] = []
    for level in values:
        if isinstance(level, Policy | Mapping):
            levels.append((as_policy(level),))
        else:
            levels.append(_policies(level))
    return tuple(levels)


@dataclass(frozen=True)
class PolicySet:
    """Every policy that applies to one request, by type.

    `scps`/`rcps` are organisation levels, root first and account last; each level is a
    tuple of policies and every level must allow. `rcp_full_access` adds the
    undetachable RCPFullAWSAccess to every RCP level (as AWS does). SCPs do not apply to
    principals of `management_account`, and RCPs not to its resources. `resource_kind`
    ("resource" | "trust" | "kms") is inferred from the action/resource when None.
    """

    identity: tuple[Policy, ...] = ()
    resource: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    vpc_endpoint: tuple[Policy, ...] = ()
    resource_kind: str | None = None
    management_account: str | None = None
    rcp_full_access: bool = True
    #: Service prefixes RCPs apply to; None = every service (pass RCPs only when they
    #: apply). `RCP_SERVICES_AT_LAUNCH` is the documented list at launch.
    rcp_services: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # Be lenient with callers: lists, bare documents and flat SCP lists are fine.
        object.__setattr__(self, "identity", _policies(self.identity))
        object.__setattr__(self, "vpc_endpoint", _policies(self.vpc_endpoint))
        object.__setattr__(self, "scps", _levels(self.scps))
        object.__setattr__(self, "rcps", _levels(self.rcps))
        for name in ("resource", "boundary", "session"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, as_policy(value))


@dataclass(frozen=True, slots=True)
class Reason:
    """A statement that took part in a decision."""

    policy_type: str
    policy_name: str | None
    file: str | None
    line: int | None
    sid: str | None
    effect: str
    statement_index: int
    #: SCP/RCP organisation level (0 = root).
    org_level: int | None = None
    #: For resource-based policies: how the Principal named the caller
    #: ("direct" | "role" | "user" | "account").
    principal_match: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's reason object."""
        return {
            "file": self.file,
            "line": self.line,
            "sid": self.sid,
            "effect": self.effect,
            "policy_type": self.policy_type,
            "policy": self.policy_name,
            "statement": self.statement_index,
        }

    def describe(self) -> str:
        """`Deny statement "Sid" (#2) of identity policy app.json:12`."""
        where = self.policy_name or self.policy_type
        if self.file:
            where = f"{self.file}:{self.line}" if self.line else self.file
        sid = f' "{self.sid}"' if self.sid else ""
        level = f" (org level {self.org_level})" if self.org_level is not None else ""
        return (
            f"{self.effect} statement{sid} #{self.statement_index} of "
            f"{self.policy_type} policy {where}{level}"
        )


@dataclass(frozen=True)
class Decision:
    """The outcome of `evaluate`, with the reasons behind it.

    `reasons`: for explicit_deny the matching Deny statements; for allowed the Allow
    statements that granted (identity and/or resource policy); for implicit_deny empty,
    with `blocked_by` naming the policy types that did not allow.
    `per_type`: every policy type -> allowed | implicit_deny | explicit_deny |
    not_applicable. `matched`: every statement that applied.
    """

    decision: DecisionValue
    reasons: tuple[Reason, ...] = ()
    per_type: Mapping[str, TypeResult] = field(default_factory=dict)
    matched: tuple[Reason, ...] = ()
    blocked_by: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    same_account: bool = True
    resource_match: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.decision == "allowed"

    def explain(self) -> str:
        """A short human explanation, one line per fact."""
        from accessdenied.evaluate.explain import explain_decision

        return explain_decision(self)
