"""The container registry, references and the CloudFormation JSON container."""

from __future__ import annotations

import json
from pathlib import Path

from accessdenied.containers import (
    Reference,
    container_for,
    editable_kinds,
    locate,
    wildcard_match,
)
from accessdenied.fixes import apply_edits, propose_fixes
from accessdenied.workspace import build_index
from tests.unit.fixes.casekit import make_denial

SESSION = "arn:aws:sts::111122223333:assumed-role/orders-api/session"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"


def test_registry_knows_json_and_cloudformation_json() -> None:
    kinds = editable_kinds()
    assert {"json", "cfn-json", "terraform-heredoc"} <= set(kinds)
    assert container_for("json") is not None
    assert container_for("no-such-container") is None


def test_reference_matches_literal_and_suffix() -> None:
    ref = Reference("arn:aws:s3:::*-reportsbucket-*", "ReportsBucket")
    assert ref.matches("arn:aws:s3:::stack-reportsbucket-1ab2")
    assert not ref.matches("arn:aws:s3:::stack-reportsbucket-1ab2/key")
    assert ref.with_suffix("/*").matches("arn:aws:s3:::stack-reportsbucket-1ab2/key")
    assert wildcard_match("a?c", "abc")
    assert not wildcard_match("a?c", "abbc")


def _template() -> dict[str, object]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "OrdersTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {"TableName": "orders"},
            },
            "Api": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "orders-api",
                    "AssumeRolePolicyDocument": {"Statement": []},
                    "Policies": [
                        {
                            "PolicyName": "main",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "dynamodb:PutItem",
                                        "Resource": {
                                            "Fn::GetAtt": ["OrdersTable", "Arn"]
                                        },
                                    }
                                ],
                            },
                        }
                    ],
                },
            },
        },
    }


def test_locate_resolves_getatt_to_the_table_arn_pattern(tmp_path: Path) -> None:
    text = json.dumps(_template(), indent=2)
    found = locate(tmp_path / "stack.json", text)
    identity = [b for b in found if b.kind == "identity"]
    assert len(identity) == 1
    doc = identity[0].document
    assert doc is not None
    assert doc["Statement"][0]["Resource"] == "arn:aws:dynamodb:*:*:table/orders"
    assert any(r.logical == "OrdersTable" for r in identity[0].references)


def test_cfn_json_fix_extends_the_statement_that_references_the_table(
    tmp_path: Path,
) -> None:
    text = json.dumps(_template(), indent=2) + "\n"
    (tmp_path / ".git").mkdir()
    (tmp_path / "stack.json").write_text(text)
    denial = make_denial(
        {
            "principal": SESSION,
            "action": "dynamodb:GetItem",
            "resource": TABLE,
            "decision": "implicit",
            "policy_type": "identity",
        }
    )
    fixes = propose_fixes(denial, build_index(tmp_path), variants=("exact",))
    fix = fixes[0]
    assert fix.verified, fix.explanation
    assert fix.kind == "extend-statement"
    assert "existing statement #1" in fix.explanation
    after = json.loads(apply_edits(text, fix.edits))
    stmt = after["Resources"]["Api"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ][0]
    assert stmt["Action"] == ["dynamodb:PutItem", "dynamodb:GetItem"]
    assert stmt["Resource"] == {"Fn::GetAtt": ["OrdersTable", "Arn"]}


def test_cfn_json_new_statement_references_the_bucket(tmp_path: Path) -> None:
    template = _template()
    resources = template["Resources"]
    assert isinstance(resources, dict)
    resources["ReportsBucket"] = {"Type": "AWS::S3::Bucket"}
    text = json.dumps(template, indent=2) + "\n"
    (tmp_path / ".git").mkdir()
    (tmp_path / "stack.json").write_text(text)
    denial = make_denial(
        {
            "principal": SESSION,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::mystack-reportsbucket-1x2y3z/2026/r.csv",
            "decision": "implicit",
            "policy_type": "identity",
        }
    )
    fixes = propose_fixes(denial, build_index(tmp_path), variants=("exact",))
    fix = fixes[0]
    assert fix.verified, fix.explanation
    assert fix.kind == "insert-statement"
    after = json.loads(apply_edits(text, fix.edits))
    stmts = after["Resources"]["Api"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    assert stmts[-1]["Resource"] == {"Fn::Sub": "${ReportsBucket.Arn}/2026/r.csv"}
    assert stmts[-1]["Action"] == "s3:GetObject"
