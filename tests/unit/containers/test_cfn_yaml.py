"""CloudFormation YAML: fixes land in the template, in its style, judged end to end."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from accessdenied.containers import Grant, Plan, Site, container_for, locate
from accessdenied.containers.base import NotEditable
from accessdenied.fixes import apply_edits, propose_fixes
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    identity_documents,
    oracle,  # noqa: F401  (fixture)
    oracle_decision,
    single_insertion,
)
from tests.unit.fixes.casekit import make_denial

SESSION = "arn:aws:sts::111122223333:assumed-role/orders-api/orders-fn"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
OBJECT = "arn:aws:s3:::orders-stack-reportsbucket-1a2b3c4d5e6f/2026/12/report.csv"


def test_cfn_yaml_role_extends_statement_that_references_the_table(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-yaml-role", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, "logs/denied.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    inserted = single_insertion(out.before, out.after)
    assert inserted == "                  - dynamodb:GetItem\n"
    assert "existing statement 'WriteOrders' (#1)" in out.err
    assert "# the table above" in out.after  # comments kept
    assert cfn_lint(root / "template.yaml") == lint_before
    got = decisions(
        root,
        [
            (SESSION, "dynamodb:GetItem", TABLE),
            (SESSION, "dynamodb:DeleteItem", TABLE),
            (SESSION, "dynamodb:GetItem", TABLE + "-archive"),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        SESSION,
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
    )


def test_cfn_yaml_new_statement_references_generated_bucket(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-yaml-role", tmp_path)
    out = fix_write(root, "logs/denied.log", 3, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    inserted = single_insertion(out.before, out.after)
    assert inserted == (
        "              - Sid: AllowS3GetObject\n"
        "                Effect: Allow\n"
        "                Action: s3:GetObject\n"
        '                Resource: !Sub "${ReportsBucket.Arn}/2026/12/report.csv"\n'
    )
    assert cfn_lint(root / "template.yaml") == []
    other = OBJECT.replace("reportsbucket", "otherbucket")
    got = decisions(
        root,
        [
            (SESSION, "s3:GetObject", OBJECT),
            (SESSION, "s3:PutObject", OBJECT),
            (SESSION, "s3:GetObject", other),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    # The oracle judges the document as it deploys (the Sub resolved to the bucket).
    docs = identity_documents(root, SESSION)
    resolved = json.loads(
        json.dumps(docs).replace(
            "*-reportsbucket-*", "orders-stack-reportsbucket-1a2b3c4d5e6f"
        )
    )
    other_object = OBJECT.replace("report.csv", "other.csv")
    assert (
        oracle_decision(oracle, SESSION, "s3:GetObject", other_object, resolved)
        != "allowed"
    )
    assert (
        oracle_decision(oracle, SESSION, "s3:GetObject", OBJECT, resolved) == "allowed"
    )
    assert (
        oracle_decision(oracle, SESSION, "s3:PutObject", OBJECT, resolved) != "allowed"
    )


def _plan(
    text: str,
    kind: str = "identity",
    resource: str = TABLE,
    action: str = "dynamodb:GetItem",
    principal: str | None = None,
) -> Plan:
    path = Path("t.yaml")
    bindings = [b for b in locate(path, text) if b.kind == kind]
    assert bindings, "no binding"
    b = bindings[0]
    container = container_for(b.embed)
    assert container is not None
    return container.plan_grant(
        text,
        Site(b.embed, kind, b.span, b.logical),
        Grant(kind, (action,), resource, principal),
    )


FLOW = """AWSTemplateFormatVersion: '2010-09-09'\r
Resources:\r
  Role:\r
    Type: AWS::IAM::Role\r
    Properties:\r
      RoleName: orders-api\r
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}\r
      Policies:\r
        - PolicyName: p\r
          PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: 's3:ListBucket', Resource: '*'}]}\r
"""


def test_flow_style_crlf_and_single_quotes_are_kept() -> None:
    plan = _plan(FLOW)
    new = apply_edits(FLOW, plan.edits)
    assert "\r\n" in new
    assert "\n" not in new.replace("\r\n", "")
    assert plan.edits[0].new_text == (
        ", {Sid: AllowDynamodbGetItem, Effect: Allow, Action: 'dynamodb:GetItem', "
        "Resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders'}"
    )
    assert plan.after["Statement"][-1]["Action"] == "dynamodb:GetItem"


LONG = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Statement:
        - Effect: Allow
          Principal: {Service: lambda.amazonaws.com}
          Action: sts:AssumeRole
      Policies:
      - PolicyName: p
        PolicyDocument:
          Statement:
          - Effect: Allow
            Action: sqs:ReceiveMessage
            Resource:
              Fn::GetAtt: [Jobs, Arn]
"""


def test_long_forms_and_indentless_sequences() -> None:
    queue = "arn:aws:sqs:eu-west-1:111122223333:jobs"
    plan = _plan(LONG, resource=queue, action="sqs:DeleteMessage")
    assert plan.fix_kind == "extend-statement"
    new = apply_edits(LONG, plan.edits)
    assert "Action: [sqs:ReceiveMessage, sqs:DeleteMessage]" in new
    plan2 = _plan(LONG, resource=queue + "-dlq", action="sqs:SendMessage")
    assert plan2.fix_kind == "insert-statement"
    text = plan2.edits[0].new_text
    assert text.startswith(
        "\n          - Sid: AllowSqsSendMessage\n            Effect: Allow"
    )
    assert plan2.after["Statement"][-1]["Resource"] == queue + "-dlq"


def test_trust_policy_in_yaml_gets_the_service_principal() -> None:
    text = LONG
    plan = _plan(
        text,
        kind="trust",
        resource="arn:aws:iam::111122223333:role/worker",
        action="sts:AssumeRole",
        principal="arn:aws:sts::111122223333:assumed-role/ci/build",
    )
    new = apply_edits(text, plan.edits)
    assert "AWS: arn:aws:iam::111122223333:role/ci" in new
    assert plan.after["Statement"][-1]["Principal"] == {
        "AWS": "arn:aws:iam::111122223333:role/ci"
    }


BAD_IF = """AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  Prod: !Equals [!Ref AWS::StackName, prod]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-api
      AssumeRolePolicyDocument: {Statement: []}
      Policies:
        - PolicyName: p
          PolicyDocument: !If
            - Prod
            - {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: '*'}]}
            - {Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: '*'}]}
"""


def _one_fix(tmp_path: Path, name: str, text: str) -> list[object]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / name).write_text(text)
    denial = make_denial(
        {
            "principal": SESSION,
            "action": "dynamodb:GetItem",
            "resource": TABLE,
            "decision": "implicit",
            "policy_type": "identity",
        }
    )
    return list(propose_fixes(denial, build_index(tmp_path), variants=("exact",)))


def test_policy_built_with_a_condition_is_explained_not_edited(tmp_path: Path) -> None:
    fixes = _one_fix(tmp_path, "t.yaml", BAD_IF)
    assert fixes
    fix = fixes[0]
    assert fix.kind == "explain-only"  # type: ignore[attr-defined]
    assert not fix.edits  # type: ignore[attr-defined]
    assert "Fn::If" in fix.explanation  # type: ignore[attr-defined]


def test_unresolvable_sub_document_is_not_editable() -> None:
    text = BAD_IF.replace(
        "PolicyDocument: !If\n            - Prod\n            - {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: '*'}]}\n            - {Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: '*'}]}",
        "PolicyDocument: !Sub '${PolicyJson}'",
    )
    b = next(x for x in locate(Path("t.yaml"), text) if x.kind == "identity")
    assert b.document is None or b.not_editable
    with pytest.raises(NotEditable):
        _plan(text)


def test_unparsable_template_is_bad_input_and_not_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-yaml-role", tmp_path)
    broken = (root / "template.yaml").read_text() + "  Oops: [unclosed\n"
    (root / "template.yaml").write_text(broken)
    out = fix_write(root, "logs/denied.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 2
    assert out.after == broken
    assert "template.yaml: the template does not parse (line 54" in out.err
    assert "nothing was written" in out.err


def test_read_only_template_is_not_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-yaml-role", tmp_path)
    path = root / "template.yaml"
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)
    try:
        out = fix_write(
            root, "logs/denied.log", 2, "template.yaml", capsys, monkeypatch
        )
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert out.status == 2
    assert out.after == out.before
    assert "read-only" in out.err


CYCLE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Root
            Effect: Allow
            Principal:
              AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"
            Action: kms:*
            Resource: "*"
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: kms:Encrypt
                Resource: !GetAtt Key.Arn
"""


def test_principal_reference_avoids_a_circular_dependency() -> None:
    # The role references the key: the key policy names the role by its literal ARN.
    b = next(x for x in locate(Path("t.yaml"), CYCLE) if x.kind == "kms")
    container = container_for(b.embed)
    assert container is not None
    grant = Grant(
        "kms",
        ("kms:Decrypt",),
        "arn:aws:kms:us-east-1:111122223333:key/k",
        "arn:aws:sts::111122223333:assumed-role/worker/s",
    )
    plan = container.plan_grant(CYCLE, Site(b.embed, "kms", b.span, b.logical), grant)
    assert "AWS: arn:aws:iam::111122223333:role/worker" in plan.edits[0].new_text
    # Without the back-reference the role is named by !GetAtt.
    plain = CYCLE.replace("Resource: !GetAtt Key.Arn", 'Resource: "*"')
    b = next(x for x in locate(Path("t.yaml"), plain) if x.kind == "kms")
    plan = container.plan_grant(plain, Site(b.embed, "kms", b.span, b.logical), grant)
    assert "AWS: !GetAtt Worker.Arn" in plan.edits[0].new_text
    assert plan.after["Statement"][-1]["Principal"] == {
        "AWS": "arn:aws:iam::111122223333:role/worker"
    }


JSON_IN_YAML = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: es-logs
      PolicyDocument: |
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Principal": {"Service": "es.amazonaws.com"},
              "Action": "logs:PutLogEvents",
              "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/es/*"
            }
          ]
        }
  Api:
    Type: AWS::IAM::Role
    Properties:
      RoleName: api
      AssumeRolePolicyDocument: '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
"""


def test_policy_in_a_literal_block_json_string_is_edited_in_place() -> None:
    b = next(x for x in locate(Path("t.yaml"), JSON_IN_YAML) if x.kind == "resource")
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        JSON_IN_YAML,
        Site(b.embed, "resource", b.span, b.logical),
        Grant(
            "resource",
            ("logs:CreateLogStream",),
            "arn:aws:logs:us-east-1:111122223333:log-group:/es/app",
            "es.amazonaws.com",
        ),
    )
    new = apply_edits(JSON_IN_YAML, plan.edits)
    assert (
        "            },\n"
        "            {\n"
        '              "Sid": "AllowLogsCreateLogStream",\n'
        '              "Effect": "Allow",\n'
    ) in new
    assert plan.after["Statement"][-1]["Action"] == "logs:CreateLogStream"
    import yaml as _yaml

    loaded = _yaml.safe_load(new)
    doc = json.loads(loaded["Resources"]["Logs"]["Properties"]["PolicyDocument"])
    assert doc == plan.after


def test_trust_policy_in_a_one_line_json_string_is_edited_in_place() -> None:
    b = next(x for x in locate(Path("t.yaml"), JSON_IN_YAML) if x.kind == "trust")
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        JSON_IN_YAML,
        Site(b.embed, "trust", b.span, b.logical),
        Grant(
            "trust",
            ("sts:AssumeRole",),
            "arn:aws:iam::111122223333:role/api",
            "arn:aws:sts::111122223333:assumed-role/ci/run",
        ),
    )
    new = apply_edits(JSON_IN_YAML, plan.edits)
    import yaml as _yaml

    loaded = _yaml.safe_load(new)
    doc = json.loads(
        loaded["Resources"]["Api"]["Properties"]["AssumeRolePolicyDocument"]
    )
    assert doc == plan.after
    assert doc["Statement"][-1]["Principal"] == {
        "AWS": "arn:aws:iam::111122223333:role/ci"
    }


SINGLE = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-api
      AssumeRolePolicyDocument:
        Statement:
          Effect: Allow
          Principal:
            Service: ec2.amazonaws.com
          Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              Effect: Allow
              Action: s3:ListBucket
              Resource: '*'
"""


def test_single_block_mapping_statement_becomes_a_list() -> None:
    plan = _plan(SINGLE)
    new = apply_edits(SINGLE, plan.edits)
    assert new == SINGLE.replace(
        "              Effect: Allow\n              Action: s3:ListBucket\n"
        "              Resource: '*'\n",
        "            - Effect: Allow\n              Action: s3:ListBucket\n"
        "              Resource: '*'\n"
        "            - Sid: AllowDynamodbGetItem\n"
        "              Effect: Allow\n"
        "              Action: dynamodb:GetItem\n"
        "              Resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders\n",
    )
    assert len(plan.after["Statement"]) == 2


def test_fix_policy_option_accepts_the_template(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from accessdenied.cli import main

    root = copy_workspace("cfn-yaml-role", tmp_path)
    monkeypatch.chdir(root)
    capsys.readouterr()
    status = main(
        ["fix", "--log", "logs/denied.log:2", "--policy", "template.yaml", "--write"]
    )
    _, err = capsys.readouterr()
    assert status == 0, err
    assert "the template given with --policy" in err
    assert "- dynamodb:GetItem" in (root / "template.yaml").read_text()


def test_block_style_crlf_and_no_final_newline() -> None:
    text = (
        (Path(__file__).parents[2] / "workspaces/cfn-yaml-role/template.yaml")
        .read_text()
        .replace("\n", "\r\n")
    )
    plan = _plan(text, resource=TABLE + "-history")
    new = apply_edits(text, plan.edits)
    assert "\n" not in new.replace("\r\n", "")
    assert "              - Sid: AllowDynamodbGetItem\r\n" in new
    # A template whose last line has no line break.
    tail = LONG.rstrip("\n")
    plan = _plan(
        tail, resource="arn:aws:sqs:eu-west-1:1:jobs-dlq", action="sqs:SendMessage"
    )
    new = apply_edits(tail, plan.edits)
    assert new.startswith(tail)
    assert new.endswith("Resource: arn:aws:sqs:eu-west-1:1:jobs-dlq")


def test_policy_from_a_parameter_is_explained_not_edited(tmp_path: Path) -> None:
    text = (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Parameters:\n"
        "  PolicyJson:\n"
        "    Type: String\n"
        "Resources:\n"
        "  Role:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: orders-api\n"
        "      AssumeRolePolicyDocument: {Statement: []}\n"
        "      Policies:\n"
        "        - PolicyName: p\n"
        "          PolicyDocument: !Ref PolicyJson\n"
    )
    [fix] = _one_fix(tmp_path, "t.yaml", text)
    assert fix.kind == "explain-only"  # type: ignore[attr-defined]
    assert not fix.edits  # type: ignore[attr-defined]
    assert "built with Ref (from parameters or conditions)" in fix.explanation  # type: ignore[attr-defined]
    assert (tmp_path / "t.yaml").read_text() == text


def test_s3_source_gets_source_account_too() -> None:
    from accessdenied.fixes.context import source_condition

    cond = source_condition(
        "s3.amazonaws.com",
        {"aws:SourceArn": "arn:aws:s3:::uploads", "aws:SourceAccount": "111122223333"},
        "resource",
    )
    assert cond == {
        "ArnEquals": {"aws:SourceArn": "arn:aws:s3:::uploads"},
        "StringEquals": {"aws:SourceAccount": "111122223333"},
    }
    assert (
        source_condition("arn:aws:iam::1:role/r", {"aws:SourceArn": "x"}, "resource")
        is None
    )


NO_DOCS = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-api
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
"""


def test_role_without_policy_documents_gets_an_inline_policy(tmp_path: Path) -> None:
    [fix] = _one_fix(tmp_path, "t.yaml", NO_DOCS)
    assert fix.verified, fix.explanation  # type: ignore[attr-defined]
    new = apply_edits(NO_DOCS, fix.edits)  # type: ignore[attr-defined]
    assert new == NO_DOCS + (
        "      Policies:\n"
        "        - PolicyName: Worker-granted\n"
        "          PolicyDocument:\n"
        '            Version: "2012-10-17"\n'
        "            Statement:\n"
        "              - Sid: AllowDynamodbGetItem\n"
        "                Effect: Allow\n"
        "                Action: dynamodb:GetItem\n"
        "                Resource: !GetAtt Table.Arn\n"
    )
