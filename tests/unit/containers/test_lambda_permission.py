"""Lambda function policies: a new AWS::Lambda::Permission, pinned to the source rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from tests.unit.containers.scenario import (
    cfn_lint,
    copy_workspace,
    fix_write,
    single_insertion,
)

FUNCTION = "arn:aws:lambda:us-east-1:111122223333:function:orders-report"
RULE = "arn:aws:events:us-east-1:111122223333:rule/orders-nightly"


def _decide(root: Path, source: str | None) -> str:
    index = build_index(root)
    ps = index.policy_set_for("events.amazonaws.com", FUNCTION, "lambda:InvokeFunction")
    ctx = {"aws:SourceArn": source} if source else {}
    request = Request(
        "events.amazonaws.com", "lambda:InvokeFunction", FUNCTION, context=ctx
    )
    return evaluate(request, ps).decision


def test_eventbridge_rule_gets_a_lambda_permission_resource(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-events-lambda", tmp_path)
    assert _decide(root, RULE) == "implicit_deny"
    out = fix_write(
        root, "logs/dead-letter.log", 4, "template.yaml", capsys, monkeypatch
    )
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "  OrdersReportEventsInvokePermission:\n"
        "    Type: AWS::Lambda::Permission\n"
        "    Properties:\n"
        "      FunctionName: !GetAtt OrdersReport.Arn\n"
        "      Action: lambda:InvokeFunction\n"
        "      Principal: events.amazonaws.com\n"
        "      SourceArn: !GetAtt NightlyRule.Arn\n"
        "\n"
    )
    assert cfn_lint(root / "template.yaml") == []
    assert _decide(root, RULE) == "allowed"
    assert _decide(root, RULE.replace("orders-nightly", "someone-elses")) == (
        "implicit_deny"
    )
    assert _decide(root, None) == "implicit_deny"


def test_json_template_gets_a_lambda_permission_resource_as_json(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    root = copy_workspace("cfn-events-lambda-json", tmp_path)
    assert _decide(root, RULE) == "implicit_deny"
    out = fix_write(
        root, "logs/dead-letter.log", 4, "template.json", capsys, monkeypatch
    )
    assert out.status == 0, out.err
    inserted = single_insertion(out.before, out.after).splitlines()
    # Whole lines after the function's closing "}" (its comma now ends the new one).
    assert inserted[0] == '        "OrdersReportEventsInvokePermission": {'
    assert inserted[1] == '            "Type": "AWS::Lambda::Permission",'
    assert inserted[-1] == "        },"
    data = json.loads(out.after)
    props = data["Resources"]["OrdersReportEventsInvokePermission"]["Properties"]
    assert props == {
        "FunctionName": {"Fn::GetAtt": ["OrdersReport", "Arn"]},
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": ["NightlyRule", "Arn"]},
    }
    assert cfn_lint(root / "template.json") == []
    assert _decide(root, RULE) == "allowed"
    assert _decide(root, RULE.replace("orders-nightly", "someone-elses")) == (
        "implicit_deny"
    )
    assert _decide(root, None) == "implicit_deny"
