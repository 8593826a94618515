"""The trust policy of a SAM function's implicit role: its own, inherited or SAM's."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.containers import locate
from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from tests.unit.containers.scenario import (
    cfn_lint,
    copy_workspace,
    fix_write,
    single_insertion,
)

ACCOUNT = "111122223333"
DEBUGGER = f"arn:aws:sts::{ACCOUNT}:assumed-role/debugger/alice"
OTHER = f"arn:aws:sts::{ACCOUNT}:assumed-role/intruder/bob"
ORDERS_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/orders-stack-OrdersFunctionRole-1QW2E3R4T5Y6"
)
REPORT_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/orders-stack-ReportFunctionRole-9Z8X7C6V5B4N"
)
LOG = "logs/debug.log"


def _trust_decision(root: Path, principal: str, role: str) -> str:
    index = build_index(root)
    ps = index.policy_set_for(principal, role, "sts:AssumeRole")
    return evaluate(Request(principal, "sts:AssumeRole", role), ps).decision


def test_the_functions_own_trust_policy_is_edited(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-trust", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "          - Sid: AllowStsAssumeRole\n"
        "            Effect: Allow\n"
        "            Principal:\n"
        f"              AWS: arn:aws:iam::{ACCOUNT}:role/debugger\n"
        "            Action: sts:AssumeRole\n"
    )
    assert cfn_lint(root / "template.yaml") == lint_before
    assert _trust_decision(root, DEBUGGER, ORDERS_ROLE) == "allowed"
    assert _trust_decision(root, OTHER, ORDERS_ROLE) != "allowed"
    assert _trust_decision(root, DEBUGGER, REPORT_ROLE) != "allowed"


def test_sams_default_trust_is_explained_not_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-trust", tmp_path)
    out = fix_write(root, LOG, 5, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert "SAM writes this trust policy (lambda.amazonaws.com only)" in out.err
    assert "add AssumeRolePolicyDocument to ReportFunction" in out.err
    assert out.after == out.before
    # Lambda itself may assume the role, as SAM deploys it.
    index = build_index(root)
    (trust,) = index.policies_for(REPORT_ROLE, kind="trust")
    doc = index.document(trust)
    assert doc is not None
    assert doc["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}


INHERITED = """Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    AssumeRolePolicyDocument:
      Version: '2012-10-17'
      Statement:
        - Effect: Allow
          Principal: {Service: lambda.amazonaws.com}
          Action: sts:AssumeRole
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
  Merged:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: edgelambda.amazonaws.com}
            Action: sts:AssumeRole
"""


def test_an_inherited_trust_policy_is_evaluated_merged_and_not_edited() -> None:
    trusts = {
        b.logical: b
        for b in locate(Path("template.yaml"), INHERITED)
        if b.kind == "trust"
    }
    worker = trusts["Worker"]
    assert worker.not_editable is not None
    assert "inherited from Globals.Function" in worker.not_editable
    assert worker.document is not None
    assert worker.document["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    # Lists concatenate: the global statement, then the function's own.
    merged = trusts["Merged"]
    assert merged.not_editable is not None
    assert merged.document is not None
    assert [s["Principal"]["Service"] for s in merged.document["Statement"]] == [
        "lambda.amazonaws.com",
        "edgelambda.amazonaws.com",
    ]
