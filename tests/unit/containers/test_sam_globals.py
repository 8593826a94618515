"""SAM Globals: functions inherit PermissionsBoundary as the SAM translator merges it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accessdenied.containers.sam import inherited_properties, merge_globals
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.paths import REPO
from tests.unit.containers.scenario import (
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    identity_documents,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

ACCOUNT = "111122223333"
ORDERS_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-OrdersFunctionRole-"
    "1QW2E3R4T5Y6/orders-stack-OrdersFunction-AbCdEf"
)
AUDIT_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-AuditFunctionRole-"
    "8H7G6F5D4S3A/orders-stack-AuditFunction-QwErTy"
)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
LOG = "logs/sam-local.log"
WS = REPO / "tests" / "workspaces" / "sam-globals"


def test_merge_follows_the_sam_translator_rules() -> None:
    # Scalars and intrinsics: the function's value replaces the global one.
    assert merge_globals({"Ref": "A"}, {"Ref": "B"}) == {"Ref": "B"}
    assert merge_globals("arn:g", {"Fn::Sub": "arn:l"}) == {"Fn::Sub": "arn:l"}
    # Maps merge key by key (the function wins on conflicts), lists append.
    assert merge_globals(
        {"Variables": {"A": "1", "B": "2"}}, {"Variables": {"B": "3", "C": "4"}}
    ) == {"Variables": {"A": "1", "B": "3", "C": "4"}}
    assert merge_globals(["g1", "g2"], ["l1"]) == ["g1", "g2", "l1"]
    # Differing types: the function's value.
    assert merge_globals(["g"], {"k": "v"}) == {"k": "v"}


def test_policies_and_role_are_never_inherited() -> None:
    data: dict[str, Any] = {
        "Globals": {
            "Function": {
                "Policies": ["AmazonS3FullAccess"],
                "Role": "arn:aws:iam::1:role/x",
                "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
                "RolePath": "/svc/",
            }
        }
    }
    props, inherited = inherited_properties(data, "AWS::Serverless::Function", {})
    assert props == {
        "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
        "RolePath": "/svc/",
    }
    assert inherited == ("PermissionsBoundary", "RolePath")
    # State machines' Globals carry no role property.
    assert inherited_properties(data, "AWS::Serverless::StateMachine", {}) == ({}, ())


def test_function_inherits_the_global_boundary_and_overrides_it() -> None:
    index = build_index(WS)
    (orders,) = index.policies_for(ORDERS_FN, kind="boundary")
    assert "inherited from Globals.Function" in orders.reason
    assert "TeamBoundary" in orders.reason
    (audit,) = index.policies_for(AUDIT_FN, kind="boundary")
    assert "AuditBoundary" in audit.reason
    assert "Globals" not in audit.reason
    got = decisions(
        WS,
        [
            (ORDERS_FN, "dynamodb:GetItem", TABLE),  # policy template, in boundary
            (AUDIT_FN, "dynamodb:GetItem", TABLE),
        ],
    )
    assert got == ["allowed", "allowed"]


def test_fix_inside_the_inherited_boundary_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("sam-globals", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "        - Statement:\n"
        "            - Sid: AllowDynamodbPutItem\n"
        "              Effect: Allow\n"
        "              Action: dynamodb:PutItem\n"
        "              Resource: !GetAtt OrdersTable.Arn\n"
    )
    assert cfn_lint(root / "template.yaml") == lint_before
    got = decisions(
        root,
        [
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
            (ORDERS_FN, "dynamodb:DeleteItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE + "-archive"),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    # The oracle, given the identity documents and the inherited boundary.
    index = build_index(root)
    (boundary,) = index.policies_for(ORDERS_FN, kind="boundary")
    bdoc = index.document(boundary)
    docs = [d for d in identity_documents(root, ORDERS_FN) if d.get("Statement")]
    for action, resource, want in (
        ("dynamodb:PutItem", TABLE, "allowed"),
        ("dynamodb:DeleteItem", TABLE, "implicit_deny"),
    ):
        answer = oracle.ask(
            {
                "request": {
                    "principal": ORDERS_FN,
                    "action": action,
                    "resource": {"arn": resource, "accountId": ACCOUNT},
                    "context": {},
                },
                "identityPolicies": docs,
                "permissionBoundaries": [bdoc],
                "engine": "raw",
            }
        )
        assert answer["normalized"] == want, answer


def test_fix_outside_the_inherited_boundary_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-globals", tmp_path)
    out = fix_write(root, LOG, 3, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert "blocked by permissions_boundary" in out.err
    assert out.after == out.before


def test_function_with_its_own_boundary_is_fixed_within_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-globals", tmp_path)
    out = fix_write(root, LOG, 4, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "dynamodb:DeleteItem" in single_insertion(out.before, out.after)
    got = decisions(
        root,
        [
            (AUDIT_FN, "dynamodb:DeleteItem", TABLE),
            (ORDERS_FN, "dynamodb:DeleteItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny"]


JSON_TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Globals": {
        "Function": {
            "PermissionsBoundary": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
        }
    },
    "Resources": {
        "Reader": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "app.handler",
                "Runtime": "python3.12",
                "CodeUri": "src/",
                "Policies": ["AmazonDynamoDBFullAccess"],
            },
        }
    },
}
READER = f"arn:aws:sts::{ACCOUNT}:assumed-role/s-ReaderRole-1A2B3C4D5E6F/s-Reader-x"


def test_json_template_globals_boundary_is_inherited(tmp_path: Path) -> None:
    import json

    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "template.json").write_text(json.dumps(JSON_TEMPLATE, indent=2))
    got = decisions(
        root,
        [(READER, "dynamodb:GetItem", TABLE), (READER, "dynamodb:PutItem", TABLE)],
    )
    # Full access by policy, read-only by the inherited AWS managed boundary.
    assert got == ["allowed", "implicit_deny"]


@pytest.mark.parametrize(
    "globals_",
    ["text", ["Function"], {"Function": "x"}, {"Function": {"PermissionsBoundary": 3}}],
)
def test_odd_globals_are_ignored(tmp_path: Path, globals_: Any) -> None:
    import json

    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    data = dict(JSON_TEMPLATE, Globals=globals_)
    (root / "template.json").write_text(json.dumps(data, indent=2))
    got = decisions(root, [(READER, "dynamodb:PutItem", TABLE)])
    assert got == ["allowed"]  # no boundary known: the policy alone decides
