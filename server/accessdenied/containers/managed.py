"""AWS managed policy documents (package data built by scripts/build_managed_policies.py).

Loaded lazily, on the first lookup (only when a template names a managed policy).
`managed_policy` takes a name (`AmazonS3ReadOnlyAccess`) or an AWS managed ARN
(`arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`); customer
managed ARNs and unknown names give None (the caller states the assumption).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "managed_policy",
    "managed_policy_name",
    "policy_path_name",
    "same_policy_arn",
]

_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)")
_NAME = re.compile(r"[\w+=,.@-]{1,128}")


@cache
def _policies() -> Mapping[str, Any]:
    ref = (
        resources.files("accessdenied.containers")
        / "data"
        / "aws_managed_policies.json.gz"
    )
    data = json.loads(gzip.decompress(ref.read_bytes()).decode("utf-8"))
    policies = data.get("policies", {}) if isinstance(data, dict) else {}
    return policies if isinstance(policies, dict) else {}


def managed_policy_name(value: str) -> str | None:
    """The AWS managed policy name a SAM name or an AWS managed ARN denotes."""
    m = _ARN.fullmatch(value)
    if m:
        return m.group(1)
    if value.startswith("arn:"):
        return None  # a customer managed policy: not AWS's
    return value if _NAME.fullmatch(value) else None


def managed_policy(value: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy (None when unknown)."""
    name = managed_policy_name(value)
    if name is None:
        return None
    doc = _policies().get(name)
    return json.loads(json.dumps(doc)) if isinstance(doc, dict) else None


_POLICY_ARN = re.compile(r"arn:([^:]*):iam::([^:]*):policy/(.+)")


def policy_path_name(arn: str) -> str | None:
    """The `path/Name` part of a managed policy ARN (None when it is not one)."""
    m = _POLICY_ARN.fullmatch(arn)
    return m.group(3) if m else None


def same_policy_arn(a: str, b: str) -> bool:
    """Whether two managed policy ARN patterns (IAM wildcards) can name one policy.

    Partition and account match when equal or either is a wildcard (`*` stands for
    a deploy-time value); the path and name must match as patterns either way.
    """
    from accessdenied.containers.base import wildcard_match

    ma, mb = _POLICY_ARN.fullmatch(a), _POLICY_ARN.fullmatch(b)
    if ma is None or mb is None:
        return False
    for x, y in zip(ma.groups()[:2], mb.groups()[:2], strict=True):
        if x != y and not (wildcard_match(x, y) or wildcard_match(y, x)):
            return False
    na, nb = ma.group(3), mb.group(3)
    return wildcard_match(na, nb) or wildcard_match(nb, na)
