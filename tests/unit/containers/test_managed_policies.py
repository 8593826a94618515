"""AWS managed policies named in templates are evaluated from the shipped documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accessdenied.containers.managed import managed_policy, managed_policy_name
from tests.paths import REPO
from tests.unit.containers.scenario import decisions, fix_write

CORPUS = Path("/work/shared/corpus/aws-managed-policies")
FN = (
    "arn:aws:sts::111122223333:assumed-role/orders-stack-ReaderRole-1QW2E3R4T5Y6/"
    "orders-stack-Reader-AbCdEf"
)
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Policies:
        - AmazonDynamoDBReadOnlyAccess
        - NoSuchManagedPolicyAnywhere
"""

LOG = (
    "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling the "
    f"PutItem operation: User: {FN} is not authorized to perform: dynamodb:PutItem on "
    f"resource: {TABLE} because no identity-based policy allows the dynamodb:PutItem "
    "action\n"
)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="managed policy corpus not present")
def test_shipped_managed_policies_equal_a_rebuild_of_the_corpus() -> None:
    status = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_managed_policies.py"),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr


def test_names_and_aws_managed_arns_resolve_customer_arns_do_not() -> None:
    doc = managed_policy("AmazonS3ReadOnlyAccess")
    assert doc is not None
    assert "s3:Get*" in doc["Statement"][0]["Action"]
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert managed_policy_name(arn) == "AWSLambdaBasicExecutionRole"
    assert managed_policy(arn) is not None
    assert managed_policy("arn:aws:iam::111122223333:policy/Mine") is None
    assert managed_policy("NoSuchManagedPolicyAnywhere") is None


def test_sam_managed_policy_allows_reads_and_the_write_gets_the_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "logs" / "run.log").write_text(LOG)
    from accessdenied.containers import locate

    (binding,) = [
        b for b in locate(root / "template.yaml", TEMPLATE) if b.origin == "sam"
    ]
    assert (
        "AWS managed policy AmazonDynamoDBReadOnlyAccess (evaluated)" in binding.reason
    )
    assert (
        "NoSuchManagedPolicyAnywhere (unknown to the shipped AWS managed policies: "
        "assumed to grant nothing)"
    ) in binding.reason
    # Reads come from AmazonDynamoDBReadOnlyAccess (no redundant fix needed).
    assert decisions(
        root,
        [(FN, "dynamodb:GetItem", TABLE), (FN, "dynamodb:PutItem", TABLE)],
    ) == ["allowed", "implicit_deny"]
    out = fix_write(root, "logs/run.log", 1, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "Action: dynamodb:PutItem" in out.after
    got = decisions(
        root,
        [
            (FN, "dynamodb:PutItem", TABLE),
            (FN, "dynamodb:GetItem", TABLE),
            (FN, "dynamodb:DeleteItem", TABLE),
        ],
    )
    assert got == ["allowed", "allowed", "implicit_deny"]


ROLE_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      RoleName: reader
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonDynamoDBReadOnlyAccess
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: arn:aws:sqs:eu-west-1:111122223333:q
"""
ROLE = "arn:aws:sts::111122223333:assumed-role/reader/s1"


def _denial_line(principal: str, action: str) -> str:
    op = action.split(":")[1]
    return (
        "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling "
        f"the {op} operation: User: {principal} is not authorized to perform: "
        f"{action} on resource: {TABLE} because no identity-based policy allows the "
        f"{action} action\n"
    )


def test_role_managed_policy_arns_evaluated_no_redundant_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / "template.yaml").write_text(ROLE_TEMPLATE)
    (root / "logs" / "run.log").write_text(
        _denial_line(ROLE, "dynamodb:GetItem") + _denial_line(ROLE, "dynamodb:PutItem")
    )
    # GetItem is allowed by the attached AWS managed policy: nothing is written.
    out = fix_write(root, "logs/run.log", 1, "template.yaml", capsys, monkeypatch)
    assert out.after == out.before
    assert "already allow" in out.err
    # PutItem is not: the inline policy gets the statement.
    out = fix_write(root, "logs/run.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "inline policy inline" in out.err
    assert "Action: dynamodb:PutItem" in out.after
    assert "ManagedPolicyArns:\n        - !Sub arn:${AWS::Partition}" in out.after
    got = decisions(
        root,
        [
            (ROLE, "dynamodb:PutItem", TABLE),
            (ROLE, "dynamodb:GetItem", TABLE),
            (ROLE, "dynamodb:DeleteItem", TABLE),
        ],
    )
    assert got == ["allowed", "allowed", "implicit_deny"]


BOUNDARY_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: [dynamodb:GetItem, logs:*]
            Resource: '*'
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      PermissionsBoundary: !Ref Boundary
      Policies:
        - AmazonDynamoDBFullAccess
"""


def test_sam_permissions_boundary_is_bound_as_boundary(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "template.yaml").write_text(BOUNDARY_TEMPLATE)
    got = decisions(
        root,
        [(FN, "dynamodb:GetItem", TABLE), (FN, "dynamodb:PutItem", TABLE)],
    )
    assert got == ["allowed", "implicit_deny"]
