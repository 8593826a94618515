"""Hypothesis strategies: random policies and requests in the oracle harness input format."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

A = "111122223333"
B = "444455556666"

PRINCIPALS = [
    f"arn:aws:iam::{A}:user/alice",
    f"arn:aws:iam::{A}:user/bob",
    f"arn:aws:iam::{B}:user/carol",
    f"arn:aws:iam::{A}:role/app-role",
    f"arn:aws:sts::{A}:assumed-role/app-role/dev",
    f"arn:aws:sts::{B}:assumed-role/ops/s1",
    f"arn:aws:sts::{A}:federated-user/bob",
    "anonymous",
    "sns.amazonaws.com",
]
SESSION_CAPABLE = ("role/", "assumed-role/", "federated-user/")

ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "sqs:SendMessage",
    "dynamodb:GetItem",
    "ec2:RunInstances",
    "kms:Decrypt",
    "sts:AssumeRole",
]
ACTION_PATTERNS = [
    "kms:*",
    "sts:AssumeRole",
    *ACTIONS,
    "s3:*",
    "s3:Get*",
    "s3:GetObjec?",
    "S3:getobject",
    "*",
    "sqs:*",
    "dynamodb:Get*",
    "ec2:Run*",
    "s3:*Object",
    "iam:*",
]

# (arn, owning account)
RESOURCES = [
    ("arn:aws:s3:::corp-bucket/reports/q1.csv", A),
    ("arn:aws:s3:::corp-bucket/home/alice/notes.txt", A),
    ("arn:aws:s3:::corp-bucket", A),
    ("arn:aws:s3:::other-bucket/x.txt", B),
    (f"arn:aws:sqs:us-east-1:{A}:jobs", A),
    (f"arn:aws:sqs:us-east-1:{B}:jobs", B),
    (f"arn:aws:dynamodb:us-east-1:{A}:table/orders", A),
    (f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc", A),
    (f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab", A),
    (f"arn:aws:kms:us-east-1:{B}:key/9999abcd-12ab", B),
    (f"arn:aws:iam::{A}:role/app-role", A),
    (f"arn:aws:iam::{B}:role/ops", B),
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::corp-bucket/*",
    "arn:aws:s3:::corp-bucket",
    "arn:aws:s3:::corp-bucket/reports/*",
    "arn:aws:s3:::corp-bucket/Reports/*",
    "arn:aws:s3:::corp-bucket/*/q?.csv",
    "arn:aws:s3:::corp-bucket/home/${aws:username}/*",
    "arn:aws:s3:::corp-bucket/home/${aws:PrincipalTag/team, 'alice'}/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::other-bucket/*",
    f"arn:aws:sqs:us-east-1:{A}:jobs",
    f"arn:aws:sqs:*:{A}:*",
    "arn:aws:sqs:*:*:jobs",
    f"arn:aws:dynamodb:us-east-1:{A}:table/*",
    f"arn:aws:ec2:*:{A}:instance/*",
    "arn:aws:*:*:*:*",
    f"arn:aws:kms:us-east-1:{A}:key/*",
    "arn:aws:iam::*:role/*",
    "arn:AWS:S3:::corp-bucket/*",
    f"arn:aws:SQS:us-east-1:{A}:jobs",
]

PRINCIPAL_VALUES: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": f"arn:aws:iam::{A}:user/alice"},
    {"AWS": f"arn:aws:iam::{A}:root"},
    {"AWS": A},
    {"AWS": f"arn:aws:iam::{B}:root"},
    {"AWS": f"arn:aws:iam::{B}:user/carol"},
    {"AWS": f"arn:aws:iam::{A}:role/app-role"},
    {"AWS": f"arn:aws:sts::{A}:assumed-role/app-role/dev"},
    {"AWS": [f"arn:aws:iam::{A}:user/bob", f"arn:aws:sts::{B}:assumed-role/ops/s1"]},
    {"Service": "sns.amazonaws.com"},
    {"Service": "lambda.amazonaws.com"},
    {"AWS": f"arn:aws:iam::{A}:user/bob"},
    {"AWS": f"arn:aws:sts::{A}:federated-user/bob"},
]

# key -> (operators that make sense, policy values, request values)
CONDITION_KEYS: dict[str, tuple[list[str], list[Any], list[Any]]] = {
    "aws:username": (
        ["StringEquals", "StringNotEquals", "StringLike", "StringEqualsIgnoreCase"],
        ["alice", "bob", "Alice", "a*", "${aws:username}"],
        ["alice", "bob", "ALICE"],
    ),
    "aws:PrincipalTag/team": (
        ["StringEquals", "StringNotEquals", "StringNotEqualsIgnoreCase", "StringLike"],
        ["blue", "red", ["red", "blue"], "b?ue"],
        ["blue", "Blue", "red"],
    ),
    "aws:SourceIp": (
        ["IpAddress", "NotIpAddress"],
        [
            "203.0.113.0/24",
            "10.0.0.0/8",
            ["198.51.100.0/24", "2001:db8::/32"],
            "203.0.113.9",
        ],
        ["203.0.113.9", "198.51.100.7", "2001:db8::1", "10.1.2.3"],
    ),
    "aws:SecureTransport": (["Bool"], ["true", "false", True, False], [True, False]),
    "aws:MultiFactorAuthAge": (
        [
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericEquals",
            "NumericNotEquals",
        ],
        ["3600", 3600, "300", "0.5"],
        ["300", "3600", "7200", "300abc"],
    ),
    "aws:CurrentTime": (
        [
            "DateGreaterThan",
            "DateLessThan",
            "DateEquals",
            "DateNotEquals",
            "DateLessThanEquals",
        ],
        ["2024-01-01T00:00:00Z", "2024-01-01", "2025-06-01T00:00:00Z"],
        ["2025-06-01T00:00:00Z", "2023-06-01T12:00:00Z", "2024-01-01T00:00:00Z"],
    ),
    "aws:TagKeys": (
        [
            "ForAnyValue:StringEquals",
            "ForAllValues:StringEquals",
            "ForAnyValue:StringLike",
            "ForAllValues:StringNotEquals",
            "ForAnyValue:StringNotEquals",
        ],
        [["env", "cost-center"], "env", "own*"],
        [["env", "owner"], ["env"], ["owner"], ["cost-center", "env"]],
    ),
    "aws:SourceArn": (
        ["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"],
        [
            f"arn:aws:sns:us-east-1:{A}:*",
            f"arn:aws:sns:*:{A}:topic",
            "arn:aws:sns:*:*:*",
        ],
        [f"arn:aws:sns:us-east-1:{A}:topic", f"arn:aws:sns:us-east-1:{B}:topic"],
    ),
    "aws:PrincipalOrgID": (
        [
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIfExists",
            "StringNotEqualsIfExists",
        ],
        ["o-abc123"],
        ["o-abc123", "o-zzz999"],
    ),
    "s3:prefix": (
        ["StringLike", "StringNotLike", "StringEquals"],
        ["home/${aws:username}/*", "home/*", "secret/"],
        ["home/alice/", "secret/", "home/bob/x"],
    ),
}
NULL_KEYS = ["aws:PrincipalTag/team", "aws:MultiFactorAuthAge", "aws:SourceIp"]


_S_NULL_KEYS = st.sampled_from(NULL_KEYS)
_S_TRUE_FALSE_TRUE = st.sampled_from(["true", "false", True])
_S_SORTED_CONDITION_KEYS = st.sampled_from(sorted(CONDITION_KEYS))
_S_ALLOW_DENY = st.sampled_from(["Allow", "Deny"])
_S_S1_READALL_DENYALL_X = st.sampled_from(["S1", "ReadAll", "DenyAll", "X"])
_S_PRINCIPAL_VALUES_2 = st.sampled_from(PRINCIPAL_VALUES[2:])
_S_PRINCIPAL_VALUES = st.sampled_from(PRINCIPAL_VALUES)
_S_ACTION_PATTERNS = st.sampled_from(ACTION_PATTERNS)
_S_RESOURCE_PATTERNS = st.sampled_from(RESOURCE_PATTERNS)
_S_2012_10_17_8_2008_10_17_NONE = st.sampled_from(
    ["2012-10-17"] * 8 + ["2008-10-17", None]
)
_S_PRINCIPALS = st.sampled_from(PRINCIPALS)
_S_RESOURCES = st.sampled_from(RESOURCES)
_I_0_4 = st.integers(0, 4)
_I_0_1 = st.integers(0, 1)
_I_0_6 = st.integers(0, 6)
_I_0_9 = st.integers(0, 9)
_I_0_5 = st.integers(0, 5)
_I_0_3 = st.integers(0, 3)
_I_1_3 = st.integers(1, 3)
_I_0_2 = st.integers(0, 2)
_BOOL = st.booleans()
_OPS = {k: st.sampled_from(v[0]) for k, v in CONDITION_KEYS.items()}
_POLICY_VALUES = {k: st.sampled_from(v[1]) for k, v in CONDITION_KEYS.items()}
_REQUEST_VALUES = {k: st.sampled_from(v[2]) for k, v in CONDITION_KEYS.items()}
_PLAIN_ACTIONS = st.sampled_from([a for a in ACTIONS if a[:4] not in ("sts:", "kms:")])
_ACTION_LISTS = st.lists(_S_ACTION_PATTERNS, min_size=1, max_size=3)
_RESOURCE_LISTS = st.lists(_S_RESOURCE_PATTERNS, min_size=1, max_size=3)
_CONTEXT_KEYS = st.lists(_S_SORTED_CONDITION_KEYS, max_size=5, unique=True)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """A Condition block with one to three operator/key pairs."""
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(_I_1_3)):
        if draw(_I_0_9) == 0:
            op, key = "Null", draw(_S_NULL_KEYS)
            value: Any = draw(_S_TRUE_FALSE_TRUE)
        else:
            key = draw(_S_SORTED_CONDITION_KEYS)
            op = draw(_OPS[key])
            if draw(_BOOL) and not op.endswith("IfExists") and op != "Bool":
                op = op + "IfExists"
            value = draw(_POLICY_VALUES[key])
        block.setdefault(op, {})[key] = value
    return block


@st.composite
def statements(draw: st.DrawFn, resource_policy: bool = False) -> dict[str, Any]:
    """One statement; Principal only in resource policies."""
    stmt: dict[str, Any] = {"Effect": draw(_S_ALLOW_DENY)}
    if draw(_BOOL):
        stmt["Sid"] = draw(_S_S1_READALL_DENYALL_X)
    if resource_policy:
        if stmt["Effect"] == "Deny" and draw(_I_0_4) == 0:
            stmt["NotPrincipal"] = draw(_S_PRINCIPAL_VALUES_2)
        else:
            stmt["Principal"] = draw(_S_PRINCIPAL_VALUES)
    actions = draw(_ACTION_LISTS)
    key = "NotAction" if draw(_I_0_5) == 0 else "Action"
    stmt[key] = actions[0] if len(actions) == 1 else actions
    resources = draw(_RESOURCE_LISTS)
    rkey = "NotResource" if draw(_I_0_6) == 0 else "Resource"
    stmt[rkey] = resources[0] if len(resources) == 1 else resources
    if draw(_I_0_2) == 0:
        stmt["Condition"] = draw(conditions())
    return stmt


@st.composite
def policies(
    draw: st.DrawFn, resource_policy: bool = False, max_statements: int = 3
) -> dict[str, Any]:
    """A policy document; mostly Version 2012-10-17."""
    doc: dict[str, Any] = {}
    version = draw(_S_2012_10_17_8_2008_10_17_NONE)
    if version is not None:
        doc["Version"] = version
    doc["Statement"] = draw(_statement_lists(resource_policy, max_statements))
    return doc


@functools.cache
def _statement_lists(resource_policy: bool, size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(statements(resource_policy), min_size=1, max_size=size)


@st.composite
def guardrail(draw: st.DrawFn) -> dict[str, Any]:
    """An SCP/RCP-like policy: allow-lists or denies (Principal "*" for RCPs added later)."""
    return draw(policies(max_statements=2))


FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


_IDENTITY_LISTS = st.lists(policies(), max_size=2)
_LEVELS = st.lists(st.lists(guardrail(), max_size=2), min_size=1, max_size=2)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A whole harness input line for the raw engine."""
    principal = draw(_S_PRINCIPALS)
    arn, account = draw(_S_RESOURCES)
    # sts: and kms: actions only on roles and keys (both engines have service rules there).
    if ":role/" in arn:
        action = "sts:AssumeRole"
    elif ":key/" in arn:
        action = "kms:Decrypt"
    else:
        action = draw(_PLAIN_ACTIONS)
    context: dict[str, Any] = {}
    for key in draw(_CONTEXT_KEYS):
        context[key] = draw(_REQUEST_VALUES[key])
    iam = principal.startswith("arn:")
    case: dict[str, Any] = {
        "id": "fuzz",
        "engine": "raw",
        "request": {
            "principal": principal,
            "action": action,
            "resource": {"arn": arn, "accountId": account},
            "context": context,
        },
    }
    if iam:
        case["identityPolicies"] = draw(_IDENTITY_LISTS)
        if draw(_I_0_3) == 0:
            case["permissionBoundaries"] = [draw(policies())]
        if draw(_I_0_3) == 0:
            levels = draw(_LEVELS)
            if draw(_BOOL):
                levels = [[FULL_ACCESS, *level] for level in levels]
            case["scps"] = levels
        if any(s in principal for s in SESSION_CAPABLE) and draw(_I_0_3) == 0:
            case["sessionPolicy"] = draw(policies())
    if draw(_I_0_1) == 0:
        case["resourcePolicy"] = draw(policies(resource_policy=True))
    if draw(_I_0_6) == 0:
        case["vpcEndpointPolicies"] = [draw(policies(resource_policy=True))]
    if draw(_I_0_5) == 0:
        rcp = draw(guardrail())
        for s in rcp["Statement"]:
            s["Principal"] = "*"
        case["rcps"] = [[rcp]]
    return case
