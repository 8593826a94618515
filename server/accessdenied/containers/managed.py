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

__all__ = ["managed_policy", "managed_policy_name"]

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
