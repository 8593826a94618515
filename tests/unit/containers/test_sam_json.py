"""SAM templates in JSON: the same three Policies fixes as YAML, written as JSON text."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    identity_documents,
    oracle,  # noqa: F401  (fixture)
)

ACCOUNT = "111122223333"
ORDERS_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-OrdersFunctionRole-"
    "1QW2E3R4T5Y6/orders-stack-OrdersFunction-AbCdEf"
)
REPORT_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-ReportFunctionRole-"
    "9Z8X7C6V5B4N/orders-stack-ReportFunction-QwErTy"
)
WORKER_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-WorkerRole-5T6Y7U8I9O0P/"
    "orders-stack-Worker-ZxCvBn"
)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
LOG = "logs/sam-local.log"


def _changes(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [
        (old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in sm.get_opcodes()
        if tag != "equal"
    ]


def test_new_statement_item_appended_to_policies(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("sam-json", tmp_path)
    lint_before = cfn_lint(root / "template.json")
    out = fix_write(root, LOG, 2, "template.json", capsys, monkeypatch)
    assert out.status == 0, out.err
    (changed,) = _changes(out.before, out.after)
    # The last item only gains its separating comma; the rest is inserted.
    assert changed[0] == [
        '          {"DynamoDBReadPolicy": {"TableName": {"Ref": "OrdersTable"}}}\n'
    ]
    assert changed[1][0] == changed[0][0].rstrip("\n") + ",\n"
    inserted = "".join(changed[1][1:])
    assert inserted.startswith('          {\n            "Statement": [\n')
    assert '"Fn::GetAtt": [' in inserted
    assert '"OrdersTable",' in inserted
    data = json.loads(out.after)
    policies = data["Resources"]["OrdersFunction"]["Properties"]["Policies"]
    assert policies[1]["Statement"][0]["Resource"] == {
        "Fn::GetAtt": ["OrdersTable", "Arn"]
    }
    assert cfn_lint(root / "template.json") == lint_before
    got = decisions(
        root,
        [
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
            (ORDERS_FN, "dynamodb:DeleteItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE + "-audit"),
            (WORKER_FN, "dynamodb:PutItem", TABLE),
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


def test_inline_statement_extended_in_the_files_style(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-json", tmp_path)
    out = fix_write(root, LOG, 3, "template.json", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert _changes(out.before, out.after) == [
        (
            ['                "Action": ["dynamodb:Query"],\n'],
            ['                "Action": ["dynamodb:Query", "dynamodb:GetItem"],\n'],
        )
    ]
    assert "existing statement #1" in out.err
    got = decisions(
        root,
        [
            (REPORT_FN, "dynamodb:GetItem", TABLE),
            (REPORT_FN, "dynamodb:PutItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert cfn_lint(root / "template.json") == []


def test_function_without_policies_gets_a_policies_property(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-json", tmp_path)
    out = fix_write(root, LOG, 4, "template.json", capsys, monkeypatch)
    assert out.status == 0, out.err
    (changed,) = _changes(out.before, out.after)
    assert changed[0] == ['        "CodeUri": "src/"\n']
    assert changed[1][0] == '        "CodeUri": "src/",\n'
    assert changed[1][1] == '        "Policies": [\n'
    data = json.loads(out.after)
    stmt = data["Resources"]["Worker"]["Properties"]["Policies"][0]["Statement"][0]
    assert stmt["Action"] == "dynamodb:PutItem"
    assert stmt["Resource"] == {"Fn::GetAtt": ["OrdersTable", "Arn"]}
    got = decisions(
        root,
        [
            (WORKER_FN, "dynamodb:PutItem", TABLE),
            (WORKER_FN, "dynamodb:GetItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    # Logs permissions from AWSLambdaBasicExecutionRole stay counted once.
    doc = identity_documents(root, WORKER_FN)
    assert json.dumps(doc).count("logs:PutLogEvents") == 1
    assert cfn_lint(root / "template.json") == []


def test_single_managed_policy_name_is_explained_nothing_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("sam-json", tmp_path)
    path = root / "template.json"
    data = json.loads(path.read_text())
    data["Resources"]["Worker"]["Properties"]["Policies"] = "AmazonS3ReadOnlyAccess"
    path.write_text(json.dumps(data, indent=2) + "\n")
    out = fix_write(root, LOG, 4, "template.json", capsys, monkeypatch)
    assert out.status != 0
    assert out.after == out.before
    assert "make it a list" in out.err
