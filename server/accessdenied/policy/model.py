"""Findings, statements and policy documents (frozen, with 1-based spans)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from accessdenied.text import Span

if TYPE_CHECKING:
    from accessdenied.policy.jsonpos import JsonNode, JsonObject

Severity = Literal["error", "warning", "info", "hint"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info", "hint")

# Canonical policy types and the names people (and other modules) use for them.
POLICY_TYPES: tuple[str, ...] = (
    "identity",
    "resource",
    "trust",
    "scp",
    "rcp",
    "permissions-boundary",
)
POLICY_TYPE_ALIASES: Mapping[str, str] = {
    "identity": "identity",
    "resource": "resource",
    "trust": "trust",
    "scp": "scp",
    "rcp": "rcp",
    "boundary": "permissions-boundary",
    "permissions-boundary": "permissions-boundary",
    "permissions_boundary": "permissions-boundary",
    "session": "identity",
    "kms": "resource",
    "vpc_endpoint": "resource",
    "vpc-endpoint": "resource",
    "assume-role": "trust",
}


class PolicyKind(StrEnum):
    """The one vocabulary of policy kinds (values are the workspace's `PolicyRef.kind`).

    Denials, the evaluator, the checks and the workspace spell some kinds differently
    (`permissions_boundary`, `permissions-boundary`, `boundary`): `PolicyKind.parse`
    takes any of them, and `POLICY_KIND_LABELS` is the one table of words for them.
    """

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    KMS = "kms"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"
    VPC_ENDPOINT = "vpc_endpoint"

    @classmethod
    def parse(cls, name: str | None) -> PolicyKind | None:
        """The kind for any spelling of it (None for None or an unknown name)."""
        if name is None:
            return None
        key = name.strip().lower().replace("-", "_")
        return _KIND_ALIASES.get(key)

    @property
    def label(self) -> str:
        """Short words for titles: `trust policy`, `key policy`, `SCP`."""
        return POLICY_KIND_LABELS[self][0]

    @property
    def described(self) -> str:
        """With an article, for sentences: `a permissions boundary`."""
        return POLICY_KIND_LABELS[self][1]


#: PolicyKind -> (short label, with an article).
POLICY_KIND_LABELS: Mapping[PolicyKind, tuple[str, str]] = {
    PolicyKind.IDENTITY: ("identity policy", "an identity-based policy"),
    PolicyKind.RESOURCE: ("resource policy", "a resource-based policy"),
    PolicyKind.TRUST: ("trust policy", "a role trust policy"),
    PolicyKind.KMS: ("key policy", "a KMS key policy"),
    PolicyKind.BOUNDARY: ("permissions boundary", "a permissions boundary"),
    PolicyKind.SESSION: ("session policy", "a session policy"),
    PolicyKind.SCP: ("SCP", "a service control policy"),
    PolicyKind.RCP: ("RCP", "a resource control policy"),
    PolicyKind.VPC_ENDPOINT: ("VPC endpoint policy", "a VPC endpoint policy"),
}

_KIND_ALIASES: Mapping[str, PolicyKind] = {
    **{k.value: k for k in PolicyKind},
    "permissions_boundary": PolicyKind.BOUNDARY,
    "key": PolicyKind.KMS,
    "key_policy": PolicyKind.KMS,
    "assume_role": PolicyKind.TRUST,
    "service_control_policy": PolicyKind.SCP,
    "resource_control_policy": PolicyKind.RCP,
}


def normalize_policy_type(policy_type: str | None) -> str | None:
    """The canonical policy type for a name or alias (None for unknown or None)."""
    if policy_type is None:
        return None
    return POLICY_TYPE_ALIASES.get(policy_type.strip().lower())


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a document: stable kebab-case `code`, severity, exact span."""

    code: str
    severity: Severity
    span: Span
    message: str
    data: Mapping[str, Any] | None = None

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if file is not None:
            out["file"] = file
        out.update(
            line=self.span.start_line,
            column=self.span.start_column,
            end_line=self.span.end_line,
            end_column=self.span.end_column,
            severity=self.severity,
            code=self.code,
            message=self.message,
        )
        return out


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement; element values are plain Python values (None when absent)."""

    index: int
    node: JsonObject
    span: Span
    sid: str | None
    effect: str | None
    action: Any = None
    not_action: Any = None
    resource: Any = None
    not_resource: Any = None
    principal: Any = None
    not_principal: Any = None
    condition: Any = None
    # Element name -> node (the last one wins, as in JSON parsers); built once.
    elements: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Scratch space for derived values the checks share (per statement object).
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def element(self, key: str) -> JsonNode | None:
        """The parsed node of element `key` ("Action", "Resource", ...), if present."""
        return self.node.get(key)

    def to_python(self) -> dict[str, Any]:
        return self.node.to_python()


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A parsed policy: the tree, its statements and its syntax errors.

    Offsets and positions refer to `text` (the whole file for embedded documents).
    """

    text: str = field(repr=False)
    root: JsonObject | None
    version: str | None
    statements: tuple[Statement, ...]
    statement_node: JsonNode | None
    syntax_errors: tuple[Finding, ...]
    policy_type: str | None = None
    source: str = "json"  # "json" | "yaml" | "hcl": YAML/HCL documents have no brackets
    extra_findings: tuple[Finding, ...] = ()
    # Where `policy_type` came from, for hovers and reports: "given" (caller, CLI
    # --type), "cloudformation: AWS::S3::BucketPolicy.PolicyDocument", "terraform:
    # aws_iam_role.assume_role_policy", "config: <pattern>", "folder: <pattern>", or
    # "content" (guessed from the statements and the file name); None when unknown.
    type_source: str | None = None
    # What the document is attached to or as, when the container says so: identity
    # "managed" | "inline-user" | "inline-group" | "inline-role" | "inline"; trust
    # "role-trust"; resource "s3-bucket" | "sqs-queue" | "sns-topic" | "kms-key" |
    # "ecr-repository" | "secretsmanager-secret"; None when unknown. Drives the size
    # quota and the per-service resource-policy rules.
    attachment: str | None = None

    def to_python(self) -> dict[str, Any]:
        return self.root.to_python() if self.root is not None else {}
