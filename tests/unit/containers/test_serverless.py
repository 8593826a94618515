"""Serverless Framework: generated role names, statements, fixes in serverless.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accessdenied.containers import Grant, Site, container_for, locate
from accessdenied.fixes import apply_edits
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    copy_workspace,
    decisions,
    fix_write,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

ROLE = (
    "arn:aws:sts::111122223333:assumed-role/orders-prod-eu-west-1-lambdaRole/"
    "orders-prod-api"
)
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders-prod"
OBJECT = "arn:aws:s3:::orders-prod-exportsbucket-9k8j7h6g5f4d/exports/2026-12-03.csv"


def test_serverless_provider_statement_extended(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("serverless-provider", tmp_path)
    out = fix_write(root, "logs/invoke.log", 2, "serverless.yml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == "            - dynamodb:Query\n"
    assert "orders-prod-eu-west-1-lambdaRole" in out.err
    got = decisions(
        root,
        [
            (ROLE, "dynamodb:Query", TABLE),
            (ROLE, "dynamodb:DeleteItem", TABLE),
            (ROLE, "dynamodb:Query", TABLE + "-archive"),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle, root, ROLE, ("dynamodb:Query", TABLE), ("dynamodb:DeleteItem", TABLE)
    )


def test_serverless_new_statement_references_bucket_without_sub(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("serverless-provider", tmp_path)
    out = fix_write(root, "logs/invoke.log", 3, "serverless.yml", capsys, monkeypatch)
    assert out.status == 0, out.err
    inserted = single_insertion(out.before, out.after)
    assert "Fn::Sub" not in inserted
    assert "${" not in inserted
    assert "Fn::GetAtt: [ExportsBucket, Arn]" in inserted
    yaml.compose(out.after, Loader=yaml.SafeLoader)
    got = decisions(
        root,
        [
            (ROLE, "s3:PutObject", OBJECT),
            (ROLE, "s3:PutObject", OBJECT.replace("2026-12-03", "other")),
            (ROLE, "s3:DeleteObject", OBJECT),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]


PER_FUNCTION = """service: billing
plugins:
  - serverless-iam-roles-per-function
provider:
  name: aws
  stage: dev
  iamRoleStatements:
    - Effect: Allow
      Action: sqs:SendMessage
      Resource: arn:aws:sqs:us-east-1:111122223333:billing-events
functions:
  charge:
    handler: charge.handler
    iamRoleStatementsInherit: true
    iamRoleStatements:
      - Effect: Allow
        Action: ["dynamodb:PutItem"]
        Resource: "arn:aws:dynamodb:${aws:region}:${aws:accountId}:table/${self:service}-charges"
"""


def test_per_function_role_and_legacy_provider_statements() -> None:
    bindings = locate(Path("serverless.yml"), PER_FUNCTION)
    targets = {b.logical: b.target for b in bindings}
    assert targets == {
        "provider": "arn:*:iam::*:role/billing-dev-us-east-1-lambdaRole",
        "functions.charge": "arn:*:iam::*:role/billing-dev-charge-us-east-1-lambdaRole",
    }
    charge = next(b for b in bindings if b.logical == "functions.charge")
    assert charge.document is not None
    resources = [s["Resource"] for s in charge.document["Statement"]]
    assert "arn:aws:dynamodb:*:*:table/billing-charges" in resources
    # iamRoleStatementsInherit: the provider's statements are the function role's too.
    assert "arn:aws:sqs:us-east-1:111122223333:billing-events" in resources
    container = container_for(charge.embed)
    assert container is not None
    plan = container.plan_grant(
        PER_FUNCTION,
        Site(charge.embed, "identity", charge.span, charge.logical),
        Grant(
            "identity",
            ("dynamodb:GetItem",),
            "arn:aws:dynamodb:us-east-1:111122223333:table/billing-charges",
            None,
        ),
    )
    new = apply_edits(PER_FUNCTION, plan.edits)
    assert '        Action: ["dynamodb:PutItem"]' in new  # the flow list kept
    assert any(s["Action"] == "dynamodb:GetItem" for s in plan.after["Statement"])
    assert not any(s["Action"] == "dynamodb:GetItem" for s in plan.before["Statement"])


NO_IAM = """service: tiny
provider:
  name: aws
  runtime: nodejs20.x
functions:
  f:
    handler: f.handler
"""


def test_provider_without_iam_gets_role_statements() -> None:
    b = next(
        x for x in locate(Path("serverless.yml"), NO_IAM) if x.logical == "provider"
    )
    assert b.embed == "serverless-provider"
    assert b.target == "arn:*:iam::*:role/tiny-dev-us-east-1-lambdaRole"
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        NO_IAM,
        Site(b.embed, "identity", b.span, b.logical),
        Grant("identity", ("sns:Publish",), "arn:aws:sns:us-east-1:1:alerts", None),
    )
    new = apply_edits(NO_IAM, plan.edits)
    assert new == NO_IAM.replace(
        "  runtime: nodejs20.x\n",
        "  runtime: nodejs20.x\n"
        "  iam:\n"
        "    role:\n"
        "      statements:\n"
        "        - Sid: AllowSnsPublish\n"
        "          Effect: Allow\n"
        "          Action: sns:Publish\n"
        "          Resource: arn:aws:sns:us-east-1:1:alerts\n",
    )


def test_unparsable_serverless_file_is_recorded() -> None:
    [b] = locate(Path("serverless.yml"), "service: x\nprovider: [unclosed\n")
    assert b.kind == "unparsable"
    assert "does not parse" in b.reason


WITH_ROLE = """service: jobs
provider:
  name: aws
  iam:
    role: WorkerRole
functions:
  work:
    handler: w.handler
resources:
  Resources:
    JobsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: jobs
    WorkerRole:
      Type: AWS::IAM::Role
      Properties:
        RoleName: jobs-worker
        AssumeRolePolicyDocument:
          Statement:
            - Effect: Allow
              Principal: {Service: lambda.amazonaws.com}
              Action: sts:AssumeRole
        Policies:
          - PolicyName: jobs
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: dynamodb:GetItem
                  Resource: !GetAtt JobsTable.Arn
"""


def test_roles_declared_in_resources_are_cloudformation_documents() -> None:
    bindings = locate(Path("serverless.yml"), WITH_ROLE)
    role = next(b for b in bindings if b.kind == "identity")
    assert role.target == "arn:*:iam::*:role/jobs-worker"
    assert role.embed == "cfn-yaml"
    assert role.document is not None
    assert (
        role.document["Statement"][0]["Resource"] == "arn:aws:dynamodb:*:*:table/jobs"
    )
    container = container_for(role.embed)
    assert container is not None
    plan = container.plan_grant(
        WITH_ROLE,
        Site(role.embed, "identity", role.span, role.logical),
        Grant(
            "identity",
            ("dynamodb:PutItem",),
            "arn:aws:dynamodb:us-east-1:111122223333:table/jobs",
            None,
        ),
    )
    assert plan.fix_kind == "extend-statement"
    assert "Action: [dynamodb:GetItem, dynamodb:PutItem]" in apply_edits(
        WITH_ROLE, plan.edits
    )
