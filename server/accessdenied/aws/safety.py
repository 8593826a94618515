"""Live-mode safety rails: the read-only operation allow-list and credential redaction.

Every boto3 client live mode uses is made by `accessdenied.aws.session.Clients`, which
registers `guard_operation` on the client's `before-parameter-build` event: an operation
outside `READ_ONLY_OPERATIONS` raises before any request is built or sent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

#: (botocore service name, operation name) pairs live mode may call. All are reads:
#: Get*/List*/Describe*/Lookup*, IAM's policy simulator and STS's message decoder (they
#: evaluate, they change nothing; the Service Authorization Reference files
#: sts:DecodeAuthorizationMessage under "Write" although it modifies nothing). Nothing
#: that writes is ever on this list.
READ_ONLY_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "GetCallerIdentity"),
        ("sts", "DecodeAuthorizationMessage"),
        ("iam", "GetRole"),
        ("iam", "GetUser"),
        ("iam", "GetGroup"),
        ("iam", "GetPolicy"),
        ("iam", "GetPolicyVersion"),
        ("iam", "GetRolePolicy"),
        ("iam", "GetUserPolicy"),
        ("iam", "GetGroupPolicy"),
        ("iam", "ListRolePolicies"),
        ("iam", "ListUserPolicies"),
        ("iam", "ListGroupPolicies"),
        ("iam", "ListAttachedRolePolicies"),
        ("iam", "ListAttachedUserPolicies"),
        ("iam", "ListAttachedGroupPolicies"),
        ("iam", "ListGroupsForUser"),
        ("iam", "SimulateCustomPolicy"),
        ("iam", "SimulatePrincipalPolicy"),
        ("organizations", "DescribeOrganization"),
        ("organizations", "ListRoots"),
        ("organizations", "ListParents"),
        ("organizations", "ListPoliciesForTarget"),
        ("organizations", "DescribePolicy"),
        ("s3", "GetBucketPolicy"),
        ("kms", "GetKeyPolicy"),
        ("kms", "DescribeKey"),
        ("sqs", "GetQueueUrl"),
        ("sqs", "GetQueueAttributes"),
        ("sns", "GetTopicAttributes"),
        ("secretsmanager", "GetResourcePolicy"),
        ("lambda", "GetPolicy"),
        ("cloudtrail", "LookupEvents"),
    }
)


def required_permissions() -> dict[str, Any]:
    """The IAM policy live mode needs (read-only; every action it may ever call)."""
    actions = sorted(
        {f"{service}:{operation}" for service, operation in READ_ONLY_OPERATIONS}
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccessDeniedLspLiveModeReadOnly",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            }
        ],
    }


class ReadOnlyViolation(RuntimeError):
    """An operation outside the read-only allow-list was attempted (a bug, never sent)."""


def is_read_only(service: str, operation: str) -> bool:
    """Whether live mode may call `operation` of `service` (botocore names)."""
    return (service, operation) in READ_ONLY_OPERATIONS


def guard_operation(model: Any = None, **_: Any) -> None:
    """Refuse anything not read-only (the botocore `before-parameter-build` hook)."""
    service = str(model.service_model.service_name)
    operation = str(model.name)
    if not is_read_only(service, operation):
        raise ReadOnlyViolation(
            f"live mode refused {service}:{operation}: not a read-only operation"
        )


# Access key ids: AKIA long-term, ASIA temporary, ABIA bearer, ACCA context-specific.
# (AROA/AIDA unique ids name principals in decoded messages; they are not secrets.)
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}\b")
# "secret=..." / "token: ..." style assignments, in any casing or quoting.
_ASSIGNED = re.compile(
    r"(?i)((?:aws_)?(?:secret(?:_access)?_?key|session_?token|security_?token|"
    r"x-amz-security-token|secretaccesskey|sessiontoken|credential|signature)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&]+)"
)
# A long base64-ish blob (40-char secrets, session tokens); encoded authorization
# messages are long too, but they are not secrets and they are never redacted here
# unless they look like a token (they contain '-' and '_' which secrets do not).
_SECRET_BLOB = re.compile(r"(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])")
_TOKEN_BLOB = re.compile(r"(?<![A-Za-z0-9/+=])(?:IQoJ|FwoG|FQoG)[A-Za-z0-9/+=]{20,}")

REDACTED = "<redacted>"

_known: set[str] = set()
_known_lock = threading.Lock()


def remember_secrets(values: Iterable[str | None]) -> None:
    """Register credential values (key id, secret, token) to be masked wherever they appear."""
    with _known_lock:
        for value in values:
            if value and len(value) >= 4:
                _known.add(value)


def redact(text: str) -> str:
    """`text` with access keys, secrets and session tokens masked."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _TOKEN_BLOB.sub(REDACTED, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _KEY_ID.sub(REDACTED, text)
    return _SECRET_BLOB.sub(REDACTED, text)
