"""Opt-in live AWS access through boto3: decode, fetch deployed policies, simulate, pull.

The only package that imports boto3/botocore (lazily: importing it never needs boto3).
Every call is read-only (`safety.READ_ONLY_OPERATIONS`, enforced on each client), has
connect/read timeouts and bounded retries, and reports failures as `LiveFinding`s.
"""

from __future__ import annotations

from accessdenied.aws.account import LiveAccount, TTLCache
from accessdenied.aws.cloudtrail import lookup_denials, record_to_denial
from accessdenied.aws.decode import decoded_denial, parse_decoded_message
from accessdenied.aws.diff import diff_documents, grants
from accessdenied.aws.model import (
    CrossCheck,
    DecodedAuthorization,
    LiveFinding,
    MatchedStatement,
    NamedPolicy,
    OrgPolicies,
    PrincipalPolicies,
    ResourcePolicy,
    StatementDiff,
    Verdict,
)
from accessdenied.aws.principals import entity_of
from accessdenied.aws.safety import (
    READ_ONLY_OPERATIONS,
    ReadOnlyViolation,
    redact,
    required_permissions,
)
from accessdenied.aws.session import (
    UNAVAILABLE_MESSAGE,
    BotoUnavailable,
    Clients,
    LiveConfig,
    boto3_available,
)

__all__ = [
    "READ_ONLY_OPERATIONS",
    "UNAVAILABLE_MESSAGE",
    "BotoUnavailable",
    "Clients",
    "CrossCheck",
    "DecodedAuthorization",
    "LiveAccount",
    "LiveConfig",
    "LiveFinding",
    "MatchedStatement",
    "NamedPolicy",
    "OrgPolicies",
    "PrincipalPolicies",
    "ReadOnlyViolation",
    "ResourcePolicy",
    "StatementDiff",
    "TTLCache",
    "Verdict",
    "boto3_available",
    "decoded_denial",
    "diff_documents",
    "entity_of",
    "grants",
    "lookup_denials",
    "parse_decoded_message",
    "record_to_denial",
    "redact",
    "required_permissions",
]
