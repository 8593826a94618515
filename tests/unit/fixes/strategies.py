"""Hypothesis strategies: random policy texts in random styles, and denials to fix."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

ACCOUNT = "111122223333"
PRINCIPALS = [
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:iam::{ACCOUNT}:role/app-role",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/dev",
]
# (action, resources it applies to)
REQUESTS: list[tuple[str, list[str]]] = [
    (
        "s3:GetObject",
        ["arn:aws:s3:::corp-bucket/reports/q1.csv", "arn:aws:s3:::corp-bucket/x"],
    ),
    (
        "s3:PutObject",
        ["arn:aws:s3:::corp-bucket/reports/q1.csv", "arn:aws:s3:::logs/a.txt"],
    ),
    ("s3:ListBucket", ["arn:aws:s3:::corp-bucket"]),
    ("sqs:SendMessage", [f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"]),
    ("dynamodb:GetItem", [f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"]),
]
ACTION_PATTERNS = [a for a, _ in REQUESTS] + [
    "s3:Get*",
    "s3:*",
    "sqs:*",
    "dynamodb:Get*",
]
RESOURCE_PATTERNS = [r for _, rs in REQUESTS for r in rs] + [
    "arn:aws:s3:::corp-bucket/*",
    "arn:aws:s3:::corp-bucket/reports/*",
    f"arn:aws:sqs:us-east-1:{ACCOUNT}:*",
]
SIDS = ["Read", "AllowS3PutObject", "AllowS3GetObject", "Stmt1", None]


def _one_or_many(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(values),
        st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True),
    )


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {}
    sid = draw(st.sampled_from(SIDS))
    if sid is not None:
        stmt["Sid"] = sid
    stmt["Effect"] = draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"]))
    stmt["Action"] = draw(_one_or_many(ACTION_PATTERNS))
    stmt["Resource"] = draw(_one_or_many(RESOURCE_PATTERNS))
    if draw(st.integers(0, 4)) == 0:
        stmt["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    if draw(st.booleans()):
        stmt = dict(reversed(list(stmt.items())))  # other key orders
    return stmt


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    """A valid policy document as text: random shape, indentation and line endings."""
    stmts = draw(st.lists(statements(), max_size=4))
    shape = draw(st.sampled_from(["array", "array", "object", "missing", "empty"]))
    doc: dict[str, Any] = {"Version": "2012-10-17"}
    if shape == "array":
        doc["Statement"] = stmts
    elif shape == "object" and stmts:
        doc["Statement"] = stmts[0]
    elif shape == "empty":
        doc["Statement"] = []
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    if indent is None:
        seps = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
        text = json.dumps(doc, separators=seps)
    else:
        text = json.dumps(doc, indent=indent)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text + draw(st.sampled_from(["", "\n", "\r\n", "\n\n  "]))


@st.composite
def denials(draw: st.DrawFn) -> tuple[str, str, str]:
    """(principal, action, resource) of an identity-policy denial."""
    action, resources = draw(st.sampled_from(REQUESTS))
    return draw(st.sampled_from(PRINCIPALS)), action, draw(st.sampled_from(resources))


def sample_requests() -> list[tuple[str, str]]:
    """Every (action, concrete resource) pair the strategies know."""
    resources = sorted({r for _, rs in REQUESTS for r in rs})
    return [(a, r) for a, _ in REQUESTS for r in resources]
