"""Roles with only AWS managed policies get a new inline policy (CFN JSON and YAML).

Scenario workspaces `cfn-managed-json` and `cfn-managed-yaml`: the AWS managed
policies are evaluated (reads allowed, no redundant fix), the denied write gets a new
inline `Policies` entry with the least-privilege statement, the AWS policies are never
edited; judged by the evaluator and the iam-simulate oracle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.containers import Grant, NotEditable, Site, container_for, locate
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    oracle,
    single_insertion,
)

__all__ = ["oracle"]

ROLE = "arn:aws:sts::111122223333:assumed-role/exporter/exporter-fn"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/exports"
REQUESTS = [
    (ROLE, "dynamodb:PutItem", TABLE),
    (ROLE, "dynamodb:GetItem", TABLE),
    (ROLE, "dynamodb:DeleteItem", TABLE),
    (ROLE, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/other"),
]


def _inserted(before: str, after: str) -> str:
    """The text inserted (asserted: nothing of `before` removed or changed)."""
    start = 0
    while start < len(before) and before[start] == after[start]:
        start += 1
    end = 0
    while end < len(before) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    assert start + end == len(before), "existing text was changed"
    return after[start : len(after) - end]


def test_json_role_with_only_aws_managed_policies_gets_an_inline_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-managed-json", tmp_path)
    # AmazonDynamoDBReadOnlyAccess allows the read before any fix.
    assert decisions(root, REQUESTS) == [
        "implicit_deny",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    out = fix_write(root, "logs/export.log", 2, "template.json", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "new inline policy ExporterRole-granted" in out.err
    assert "AWS managed policies (AWSLambdaBasicExecutionRole" in out.err
    added = _inserted(out.before, out.after)
    assert added.startswith(',\n        "Policies": [\n')
    # The AWS managed ARNs are untouched; the new statement references the table.
    data = json.loads(out.after)
    props = data["Resources"]["ExporterRole"]["Properties"]
    assert (
        props["ManagedPolicyArns"]
        == json.loads(out.before)["Resources"]["ExporterRole"]["Properties"][
            "ManagedPolicyArns"
        ]
    )
    assert props["Policies"] == [
        {
            "PolicyName": "ExporterRole-granted",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowDynamodbPutItem",
                        "Effect": "Allow",
                        "Action": "dynamodb:PutItem",
                        "Resource": {"Fn::GetAtt": ["ExportTable", "Arn"]},
                    }
                ],
            },
        }
    ]
    assert decisions(root, REQUESTS) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert_oracle_agrees(
        oracle, root, ROLE, ("dynamodb:PutItem", TABLE), ("dynamodb:DeleteItem", TABLE)
    )
    assert cfn_lint(root / "template.json") == []


def test_yaml_role_with_only_aws_managed_policies_gets_an_inline_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-managed-yaml", tmp_path)
    out = fix_write(root, "logs/export.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "      Policies:\n"
        "        - PolicyName: ExporterRole-granted\n"
        "          PolicyDocument:\n"
        '            Version: "2012-10-17"\n'
        "            Statement:\n"
        "              - Sid: AllowDynamodbPutItem\n"
        "                Effect: Allow\n"
        "                Action: dynamodb:PutItem\n"
        "                Resource: !GetAtt ExportTable.Arn\n"
    )
    assert decisions(root, REQUESTS) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert_oracle_agrees(
        oracle, root, ROLE, ("dynamodb:PutItem", TABLE), ("dynamodb:DeleteItem", TABLE)
    )
    assert cfn_lint(root / "template.yaml") == []


def test_aws_managed_binding_is_never_the_place_of_the_fix() -> None:
    root = Path(__file__).parents[2] / "workspaces" / "cfn-managed-json"
    text = (root / "template.json").read_text()
    got = sorted(
        (b.embed, b.not_editable is None)
        for b in locate(root / "template.json", text)
        if b.kind == "identity"
    )
    assert got == [("aws-managed", False), ("cfn-json-new-inline-policy", True)]


ONE_LINE = (
    '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"R": {"Type": '
    '"AWS::IAM::Role", "Properties": {"RoleName": "r", "AssumeRolePolicyDocument": '
    '{"Version": "2012-10-17", "Statement": []}, "Policies": []}}}}'
)


def test_json_empty_policies_list_is_filled_and_one_line_style_kept() -> None:
    (b,) = [
        x
        for x in locate(Path("t.json"), ONE_LINE)
        if x.embed == "cfn-json-new-inline-policy"
    ]
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        ONE_LINE,
        Site(b.embed, "identity", b.span, b.logical),
        Grant("identity", ("sqs:SendMessage",), "arn:aws:sqs:*:*:q", None),
    )
    from accessdenied.fixes.edits import apply_edits

    new = apply_edits(ONE_LINE, plan.edits)
    policies = json.loads(new)["Resources"]["R"]["Properties"]["Policies"]
    assert policies[0]["PolicyDocument"]["Statement"][0]["Action"] == "sqs:SendMessage"
    assert plan.after["Statement"][0]["Resource"] == "arn:aws:sqs:*:*:q"


def test_json_role_that_gained_policies_is_not_edited_as_new() -> None:
    text = ONE_LINE.replace('"Policies": []', '"Policies": [{"PolicyName": "p"}]')
    container = container_for("cfn-json-new-inline-policy")
    assert container is not None
    with pytest.raises(NotEditable):
        container.plan_grant(
            text,
            Site("cfn-json-new-inline-policy", "identity", (0, len(text)), "R"),
            Grant("identity", ("sqs:SendMessage",), "*", None),
        )


def test_json_one_line_properties_get_policies_on_the_same_line() -> None:
    text = ONE_LINE.replace(', "Policies": []', "")
    (b,) = [
        x
        for x in locate(Path("t.json"), text)
        if x.embed == "cfn-json-new-inline-policy"
    ]
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        text,
        Site(b.embed, "identity", b.span, b.logical),
        Grant("identity", ("sqs:SendMessage",), "arn:aws:sqs:*:*:q", None),
    )
    from accessdenied.fixes.edits import apply_edits

    new = apply_edits(text, plan.edits)
    assert "\n" not in new
    assert json.loads(new)["Resources"]["R"]["Properties"]["Policies"][0][
        "PolicyName"
    ] == ("R-granted")
