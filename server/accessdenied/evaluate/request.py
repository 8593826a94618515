"""The request being authorised: who calls, which action on which resource, with what context.

The principal's kind is inferred from its ARN (or service name), because AWS's decision depends
on it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

PrincipalKind = Literal[
    "user",
    "role",
    "assumed_role",
    "federated_user",
    "root",
    "service",
    "federated",
    "canonical_user",
    "anonymous",
    "unknown",
]

ContextValue = str | tuple[str, ...]

_ARN_RE = re.compile(r"^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$", re.DOTALL)
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_CANONICAL_RE = re.compile(r"^[0-9a-f]{64}$")
_WEB_IDENTITY = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "accounts.google.com",
        "graph.facebook.com",
        "www.amazon.com",
    }
)


@dataclass(frozen=True, slots=True)
class Arn:
    """The six colon-separated parts of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def text(self) -> str:
        """The ARN as a string."""
        return (
            f"arn:{self.partition}:{self.service}:{self.region}:"
            f"{self.account}:{self.resource}"
        )


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its parts; None when `text` is not an ARN."""
    m = _ARN_RE.match(text)
    if m is None:
        return None
    return Arn(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    """What the evaluator needs to know about the caller."""

    text: str
    kind: PrincipalKind
    account: str | None = None
    partition: str = "aws"
    name: str | None = None
    #: For an assumed-role session: the role's ARN without path (trust and resource
    #: policies that name the role match sessions of it).
    role_arn: str | None = None
    #: For a session: its own ARN (assumed-role or federated-user).
    session_arn: str | None = None
    service_linked: bool = False

    @property
    def is_iam(self) -> bool:
        """An IAM principal of some account (user, role, session, root)."""
        return self.kind in ("user", "role", "assumed_role", "federated_user", "root")

    @property
    def is_session_capable(self) -> bool:
        """Principals that can carry a session policy (roles and their sessions)."""
        return self.kind in ("role", "assumed_role", "federated_user")

    @property
    def account_root(self) -> str | None:
        """`arn:<partition>:iam::<account>:root` for IAM principals."""
        if self.account is None:
            return None
        return f"arn:{self.partition}:iam::{self.account}:root"


@functools.lru_cache(maxsize=4096)
def parse_principal(text: str) -> PrincipalInfo:
    """Infer the kind, account and related ARNs of a principal string."""
    t = text.strip()
    if t == "" or t.lower() in ("anonymous", "*"):
        return PrincipalInfo(text=t or "anonymous", kind="anonymous")
    if _ACCOUNT_RE.match(t):
        return PrincipalInfo(
            text=f"arn:aws:iam::{t}:root", kind="root", account=t, name=None
        )
    if _CANONICAL_RE.match(t):
        return PrincipalInfo(text=t, kind="canonical_user")
    arn = parse_arn(t)
    if arn is None:
        if t.lower() in _WEB_IDENTITY:
            return PrincipalInfo(text=t, kind="federated")
        if t.endswith(".amazonaws.com") or t.endswith(".amazonaws.com.cn"):
            return PrincipalInfo(text=t, kind="service")
        return PrincipalInfo(text=t, kind="unknown")
    acct = arn.account or None
    res = arn.resource
    if arn.service == "iam":
        if res == "root":
            return PrincipalInfo(t, "root", acct, arn.partition)
        if res.startswith("user/"):
            return PrincipalInfo(t, "user", acct, arn.partition, res.rsplit("/", 1)[-1])
        if res.startswith("role/"):
            name = res.rsplit("/", 1)[-1]
            linked = res.startswith("role/aws-service-role/")
            bare = f"arn:{arn.partition}:iam::{arn.account}:role/{name}"
            return PrincipalInfo(
                t,
                "role",
                acct,
                arn.partition,
                name,
                role_arn=bare,
                service_linked=linked,
            )
        if ":saml-provider/" in t or ":oidc-provider/" in t:
            return PrincipalInfo(t, "federated", acct, arn.partition)
    if arn.service == "sts":
        if res.startswith("assumed-role/"):
            parts = res.split("/")
            role = parts[1] if len(parts) > 1 else ""
            role_arn = f"arn:{arn.partition}:iam::{arn.account}:role/{role}"
            return PrincipalInfo(
                t,
                "assumed_role",
                acct,
                arn.partition,
                role,
                role_arn=role_arn,
                session_arn=t,
                service_linked=role.startswith("AWSServiceRoleFor"),
            )
        if res.startswith("federated-user/"):
            return PrincipalInfo(
                t,
                "federated_user",
                acct,
                arn.partition,
                res.split("/", 1)[1],
                session_arn=t,
            )
    return PrincipalInfo(t, "unknown", acct, arn.partition)


def _norm_value(value: object) -> ContextValue:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Sequence):
        return tuple(_norm_scalar(v) for v in value)
    return str(value)


def _norm_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Request:
    """One authorisation request: principal, action, resource, resource owner, context.

    `resource_account` decides same-account vs cross-account; when None it is taken from
    the resource ARN, and when that has no account field (S3) the principal's account is
    assumed. Context keys are case-insensitive; values are strings or lists of strings
    (booleans and numbers are turned into strings, as AWS does).
    """

    principal: str
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    #: Override the service-linked-role inference (SCPs/RCPs do not apply to them).
    service_linked_role: bool | None = None

    @property
    def principal_info(self) -> PrincipalInfo:
        """The parsed principal."""
        return parse_principal(self.principal)

    @property
    def principal_type(self) -> PrincipalKind:
        """The principal kind inferred from the ARN."""
        return self.principal_info.kind

    def normalized_context(self) -> dict[str, ContextValue]:
        """Context with lower-cased keys and string (or tuple-of-string) values."""
        return {k.lower(): _norm_value(v) for k, v in self.context.items()}

    def effective_resource_account(self) -> str | None:
        """The account that owns the resource (explicit, from the ARN, or the caller's)."""
        if self.resource_account:
            return self.resource_account
        arn = parse_arn(self.resource)
        if arn is not None and arn.account and _ACCOUNT_RE.match(arn.account):
            return arn.account
        return self.principal_info.account


def principal_context(principal: str) -> dict[str, str]:
    """Global keys AWS derives from the caller (aws:PrincipalArn, aws:username, ...).

    The evaluator never adds these by itself (a request context is what the caller says
    it is); use this to fill them in. Values follow
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    """
    p = parse_principal(principal)
    out: dict[str, str] = {}
    if not p.is_iam:
        return out
    kinds = {
        "user": "User",
        "role": "AssumedRole",
        "assumed_role": "AssumedRole",
        "federated_user": "FederatedUser",
        "root": "Account",
    }
    out["aws:PrincipalType"] = kinds[p.kind]
    if p.account:
        out["aws:PrincipalAccount"] = p.account
    # For a role session aws:PrincipalArn is the role's ARN, not the session's.
    out["aws:PrincipalArn"] = (
        p.role_arn if p.kind == "assumed_role" and p.role_arn else p.text
    )
    if p.kind == "user" and p.name:
        out["aws:username"] = p.name
    return out
