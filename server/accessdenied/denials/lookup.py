"""Catalog look-ups the scanner needs, loaded lazily.

Service hints, canonical action names, operation -> action: the IAM catalog is imported
and read only when a hit needs it.
"""

from __future__ import annotations

import functools
from typing import Any

# Service names as SDKs print them, for when the catalog cannot resolve a hint.
_SERVICE_HINTS = {
    "amazon s3": "s3",
    "amazons3": "s3",
    "s3": "s3",
    "amazonsqs": "sqs",
    "amazon sqs": "sqs",
    "sqs": "sqs",
    "amazonsns": "sns",
    "sns": "sns",
    "awssecuritytokenservice": "sts",
    "sts": "sts",
    "iam": "iam",
    "amazonidentitymanagement": "iam",
    "efs": "elasticfilesystem",
    "athena": "athena",
    "cloudwatch logs": "logs",
    "ec2": "ec2",
    "amazonec2": "ec2",
    "kms": "kms",
    "awskms": "kms",
    "dynamodb": "dynamodb",
    "amazondynamodbv2": "dynamodb",
    "lambda": "lambda",
    "awslambda": "lambda",
    "secrets manager": "secretsmanager",
    "secretsmanager": "secretsmanager",
    "ssm": "ssm",
    "bedrock": "bedrock",
    "bedrock runtime": "bedrock",
    "schemas": "schemas",
    "cloudformation": "cloudformation",
    "amazoncloudformation": "cloudformation",
}


@functools.cache
def catalog() -> Any:
    """The IAM catalog, or None while it is not available (never a fake mapping)."""
    try:
        from accessdenied.catalog import load_catalog

        return load_catalog()
    except Exception:
        return None


@functools.lru_cache(maxsize=4096)
def service_from_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    hint = hint.strip()
    cat = catalog()
    if cat is not None:
        try:
            prefix = cat.service_prefix(hint)
        except Exception:
            prefix = None
        if prefix:
            return str(prefix)
    return _SERVICE_HINTS.get(hint.lower())


@functools.lru_cache(maxsize=4096)
def canonical_action(action: str) -> str:
    prefix, _, name = action.partition(":")
    cat = catalog()
    if cat is not None:
        try:
            found = cat.action(action)
        except Exception:
            found = None
        if found is not None:
            return str(found.full_name)
    return f"{prefix.lower()}:{name}"


@functools.lru_cache(maxsize=4096)
def action_for_operation(operation: str, hint: str | None) -> str | None:
    cat = catalog()
    if cat is None:
        return None
    try:
        actions = cat.actions_for_operation(operation, hint)
        if not actions and hint:
            actions = cat.actions_for_operation(operation, None)
    except Exception:
        return None
    return str(actions[0]) if actions else None


@functools.lru_cache(maxsize=4096)
def known_action(action: str) -> bool | None:
    """Whether the catalog knows `action`; None when the catalog is unavailable."""
    cat = catalog()
    if cat is None:
        return None
    try:
        return cat.action(action) is not None
    except Exception:
        return None
