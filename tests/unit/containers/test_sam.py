"""SAM: implicit function roles, policy templates, fixes in Policies, judged end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accessdenied.containers import Grant, Site, container_for, locate
from accessdenied.containers.base import NotEditable
from accessdenied.containers.sam import policy_templates
from accessdenied.fixes import apply_edits
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.paths import REPO
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

ORDERS_FN = (
    "arn:aws:sts::111122223333:assumed-role/orders-stack-OrdersFunctionRole-"
    "1QW2E3R4T5Y6/orders-stack-OrdersFunction-AbCdEf"
)
REPORT_FN = (
    "arn:aws:sts::111122223333:assumed-role/orders-stack-ReportFunctionRole-"
    "9Z8X7C6V5B4N/orders-stack-ReportFunction-QwErTy"
)
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
QUEUE = "arn:aws:sqs:eu-west-1:111122223333:reports"


def test_shipped_policy_templates_equal_the_pinned_aws_sam_translator() -> None:
    status = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_sam_templates.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    notice = (
        REPO / "server/accessdenied/containers/data/SAM_POLICY_TEMPLATES_LICENSE.txt"
    )
    assert "Apache License" in notice.read_text()
    assert {"DynamoDBReadPolicy", "S3CrudPolicy", "SQSSendMessagePolicy"} <= set(
        policy_templates()
    )


def test_deployed_role_name_maps_to_the_function_and_templates_expand() -> None:
    index = build_index(REPO / "tests" / "workspaces" / "sam-function")
    refs = index.policies_for(ORDERS_FN)
    assert [(r.origin, r.name, r.embed) for r in refs] == [
        ("sam", "OrdersFunction", "sam-policies")
    ]
    doc = index.document(refs[0])
    assert doc is not None
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert "dynamodb:GetItem" in actions  # DynamoDBReadPolicy, expanded
    assert "logs:PutLogEvents" in actions  # AWSLambdaBasicExecutionRole
    read = next(s for s in doc["Statement"] if "dynamodb:GetItem" in s["Action"])
    assert read["Resource"][0] == "arn:aws:dynamodb:*:*:table/orders"
    got = decisions(
        REPO / "tests" / "workspaces" / "sam-function",
        [
            (ORDERS_FN, "dynamodb:GetItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny"]
    # Another function's role is not this one.
    assert [r.name for r in index.policies_for(REPORT_FN)] == ["ReportFunction"]


def test_sam_template_function_gets_new_inline_statement_item(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("sam-function", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, "logs/sam-local.log", 2, "template.yaml", capsys, monkeypatch)
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
            (ORDERS_FN, "dynamodb:PutItem", TABLE + "-audit"),
            (REPORT_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        ORDERS_FN,
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
    )


def test_sam_inline_statement_is_extended(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-function", tmp_path)
    out = fix_write(root, "logs/sam-local.log", 3, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "                - sqs:GetQueueAttributes\n"
    )
    assert "existing statement #1" in out.err
    got = decisions(
        root,
        [
            (REPORT_FN, "sqs:GetQueueAttributes", QUEUE),
            (REPORT_FN, "sqs:DeleteMessage", QUEUE),
        ],
    )
    assert got == ["allowed", "implicit_deny"]
    assert cfn_lint(root / "template.yaml") == []


NO_POLICIES = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
"""


def _plan(text: str, principal: str, action: str, resource: str) -> object:
    b = next(x for x in locate(Path("t.yaml"), text) if x.origin == "sam")
    container = container_for(b.embed)
    assert container is not None
    return container.plan_grant(
        text,
        Site(b.embed, "identity", b.span, b.logical),
        Grant("identity", (action,), resource, principal),
    )


def test_function_without_policies_gets_a_policies_property() -> None:
    obj = "arn:aws:s3:::stack-bucket-1abc/in/x.json"
    plan = _plan(
        NO_POLICIES, "arn:aws:sts::1:assumed-role/s-WorkerRole-X/y", "s3:GetObject", obj
    )
    new = apply_edits(NO_POLICIES, plan.edits)  # type: ignore[attr-defined]
    assert new == NO_POLICIES + (
        "      Policies:\n"
        "        - Statement:\n"
        "            - Sid: AllowS3GetObject\n"
        "              Effect: Allow\n"
        "              Action: s3:GetObject\n"
        '              Resource: !Sub "${Bucket.Arn}/in/x.json"\n'
    )
    after = plan.after  # type: ignore[attr-defined]
    assert after["Statement"][-1]["Resource"] == obj
    assert json.dumps(after).count("logs:PutLogEvents") == 1


def test_single_managed_policy_name_is_explained() -> None:
    text = NO_POLICIES + "      Policies: AmazonS3ReadOnlyAccess\n"
    with pytest.raises(NotEditable, match="make it a list"):
        _plan(
            text,
            "arn:aws:sts::1:assumed-role/s-WorkerRole-X/y",
            "s3:PutObject",
            "arn:aws:s3:::b/k",
        )
