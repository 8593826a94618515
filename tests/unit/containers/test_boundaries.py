"""Permissions boundaries of CloudFormation roles: bound, evaluated, and fixed there.

Scenario workspaces `cfn-boundary-yaml` and `cfn-boundary-json` run through `fix
--write`, judged by the evaluator (fresh index of the edited workspace) and by the
iam-simulate oracle on the edited documents as evaluated (identity + boundary).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from accessdenied.containers import locate
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    oracle,
    single_insertion,
)

__all__ = ["oracle"]

INGEST = "arn:aws:sts::111122223333:assumed-role/ingest-worker/ingest-fn"
REPORT = "arn:aws:sts::111122223333:assumed-role/report-writer/report-fn"
AUDIT = "arn:aws:sts::111122223333:assumed-role/audit-reader/audit-fn"
CONSUMER = "arn:aws:sts::111122223333:assumed-role/jobs-consumer/consumer-fn"
INCOMING = "arn:aws:s3:::acme-ingest-data/incoming/2026-12-03.csv"
OLD_REPORT = "arn:aws:s3:::acme-ingest-data/reports/old.csv"
QUEUE = "arn:aws:sqs:eu-west-1:111122223333:jobs"


def _documents(root: Path, principal: str) -> tuple[list[Any], list[Any]]:
    """(identity documents, boundary documents) of a principal, as evaluated."""
    index = build_index(root)
    ps = index.policy_set_for(principal, "*", "sts:GetCallerIdentity")
    boundary = [dict(ps.boundary.document)] if ps.boundary is not None else []
    return [dict(p.document) for p in ps.identity], boundary


def _oracle(
    oracle: Oracle, root: Path, principal: str, requests: Sequence[tuple[str, str]]
) -> list[str]:
    """The oracle's decisions with the principal's identity policies and boundary."""
    identity, boundary = _documents(root, principal)
    assert boundary, "no boundary bound"
    out = []
    for action, resource in requests:
        account = "111122223333"
        answer = oracle.ask(
            {
                "request": {
                    "principal": principal,
                    "action": action,
                    "resource": {"arn": resource, "accountId": account},
                    "context": {},
                },
                "identityPolicies": [d for d in identity if d.get("Statement")],
                "permissionBoundaries": boundary,
                "engine": "raw",
            }
        )
        assert answer["normalized"] != "error", answer
        out.append(str(answer["normalized"]))
    return out


def test_boundary_ref_and_customer_arn_bind_the_template_managed_policy() -> None:
    root = Path(__file__).parents[2] / "workspaces" / "cfn-boundary-yaml"
    text = (root / "template.yaml").read_text()
    got = {
        b.target: (b.logical, b.embed, b.not_editable is None)
        for b in locate(root / "template.yaml", text)
        if b.kind == "boundary"
    }
    assert got == {
        # !Ref TeamBoundary and !Sub arn:...:policy/team-boundary: the same document.
        "arn:*:iam::*:role/ingest-worker": ("TeamBoundary", "cfn-yaml", True),
        "arn:*:iam::*:role/report-writer": ("TeamBoundary", "cfn-yaml", True),
        # An AWS managed policy: evaluated, never edited.
        "arn:*:iam::*:role/audit-reader": ("AuditRole", "aws-managed", False),
    }


def test_boundary_decides_before_the_fix_and_the_identity_policy_is_not_blamed(
    tmp_path: Path,
) -> None:
    root = copy_workspace("cfn-boundary-yaml", tmp_path)
    # The inline policy allows PutObject; the boundary does not: denied.
    assert decisions(
        root,
        [
            (INGEST, "s3:GetObject", INCOMING),
            (INGEST, "s3:PutObject", INCOMING),
            (AUDIT, "s3:GetObject", INCOMING),
            (AUDIT, "s3:PutObject", INCOMING),
        ],
    ) == ["allowed", "implicit_deny", "allowed", "implicit_deny"]


def test_yaml_boundary_denial_is_fixed_in_the_boundary_document(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-boundary-yaml", tmp_path)
    out = fix_write(root, "logs/worker.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "permissions boundary" in out.err
    assert "AWS::IAM::ManagedPolicy TeamBoundary" in out.err
    added = single_insertion(out.before, out.after)
    assert added == (
        "          - Sid: AllowS3PutObject\n"
        "            Effect: Allow\n"
        "            Action: s3:PutObject\n"
        '            Resource: !Sub "${DataBucket.Arn}/incoming/2026-12-03.csv"\n'
    )
    # Inserted into TeamBoundary's Statement list, after its last statement.
    assert out.after.index(added) < out.after.index("  IngestRole:")
    assert out.after.index(added) > out.after.index("          - Sid: Logs")
    requests = [
        (INGEST, "s3:PutObject", INCOMING),
        (INGEST, "s3:GetObject", INCOMING),
        (INGEST, "s3:PutObject", "arn:aws:s3:::acme-ingest-data/incoming/other.csv"),
        (INGEST, "s3:DeleteObject", INCOMING),
        # The boundary is shared, but it only caps: report-writer gains nothing.
        (REPORT, "s3:PutObject", INCOMING),
    ]
    assert decisions(root, requests) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
        "implicit_deny",
    ]
    assert _oracle(oracle, root, INGEST, [(a, r) for _, a, r in requests[:4]]) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert cfn_lint(root / "template.yaml") == []


def test_yaml_boundary_named_by_sub_arn_is_fixed_in_that_managed_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-boundary-yaml", tmp_path)
    out = fix_write(root, "logs/worker.log", 3, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "permissions boundary of AWS::IAM::Role ReportRole" in out.err
    added = single_insertion(out.before, out.after)
    assert "Action: s3:DeleteObject" in added
    assert out.after.index(added) < out.after.index("  IngestRole:")
    requests = [
        ("s3:DeleteObject", OLD_REPORT),
        ("s3:DeleteObject", "arn:aws:s3:::acme-ingest-data/reports/new.csv"),
        ("s3:PutObject", OLD_REPORT),
    ]
    assert decisions(root, [(REPORT, a, r) for a, r in requests]) == [
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert _oracle(oracle, root, REPORT, requests) == [
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert cfn_lint(root / "template.yaml") == []


def test_aws_managed_boundary_is_explained_and_nothing_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-boundary-yaml", tmp_path)
    out = fix_write(root, "logs/worker.log", 4, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert out.after == out.before
    assert "AWS managed policy ReadOnlyAccess" in out.err
    assert "nobody can edit" in out.err


def test_json_boundary_named_by_join_arn_with_path_is_fixed_there(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-boundary-json", tmp_path)
    out = fix_write(root, "logs/consumer.log", 1, "template.json", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "AWS::IAM::ManagedPolicy ConsumerBoundary" in out.err
    old = '"Action": ["sqs:ReceiveMessage", "sqs:GetQueueAttributes"],'
    new = (
        '"Action": ["sqs:ReceiveMessage", "sqs:GetQueueAttributes", '
        '"sqs:DeleteMessage"],'
    )
    assert out.after == out.before.replace(old, new)
    requests = [
        ("sqs:DeleteMessage", QUEUE),
        ("sqs:ReceiveMessage", QUEUE),
        ("sqs:SendMessage", QUEUE),
        ("sqs:DeleteMessage", "arn:aws:sqs:eu-west-1:111122223333:other"),
    ]
    assert decisions(root, [(CONSUMER, a, r) for a, r in requests]) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert _oracle(oracle, root, CONSUMER, requests) == [
        "allowed",
        "allowed",
        "implicit_deny",
        "implicit_deny",
    ]
    assert cfn_lint(root / "template.json") == []


def test_boundary_from_a_parameter_without_default_is_not_guessed(
    tmp_path: Path,
) -> None:
    text = (
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Parameters:\n"
        "  BoundaryName:\n"
        "    Type: String\n"
        "Resources:\n"
        "  Team:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      ManagedPolicyName: team\n"
        "      PolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Action: s3:GetObject\n"
        "            Resource: '*'\n"
        "  R:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: r\n"
        "      PermissionsBoundary: !Sub 'arn:aws:iam::${AWS::AccountId}:policy/"
        "${BoundaryName}'\n"
        "      AssumeRolePolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement: []\n"
    )
    (b,) = [x for x in locate(tmp_path / "t.yaml", text) if x.kind == "boundary"]
    assert b.document is None
    assert b.not_editable is not None
    assert "does not resolve to a policy ARN" in b.reason


def test_shared_boundary_says_whose_cap_a_fix_lifts() -> None:
    root = Path(__file__).parents[2] / "workspaces" / "cfn-boundary-yaml"
    text = (root / "template.yaml").read_text()
    reasons = {
        b.target.rsplit("/", 1)[-1]: b.reason
        for b in locate(root / "template.yaml", text)
        if b.kind == "boundary"
    }
    assert "also the boundary of report-writer" in reasons["ingest-worker"]
    assert "also the boundary of ingest-worker" in reasons["report-writer"]
    assert "also the boundary" not in reasons["audit-reader"]


def test_customer_boundary_not_in_the_workspace_is_an_assumption(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "logs").mkdir()
    template = (
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  R:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: capped\n"
        "      PermissionsBoundary: arn:aws:iam::111122223333:policy/org/cap\n"
        "      AssumeRolePolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement: []\n"
        "      Policies:\n"
        "        - PolicyName: p\n"
        "          PolicyDocument:\n"
        "            Version: '2012-10-17'\n"
        "            Statement:\n"
        "              - Effect: Allow\n"
        "                Action: s3:GetObject\n"
        "                Resource: arn:aws:s3:::b/*\n"
    )
    (root / "template.yaml").write_text(template)
    principal = "arn:aws:sts::111122223333:assumed-role/capped/s"
    (root / "logs" / "run.log").write_text(
        "An error occurred (AccessDenied) when calling the PutObject operation: "
        f"User: {principal} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject '
        "action\n"
    )
    out = fix_write(root, "logs/run.log", 1, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "Action: s3:PutObject" in single_insertion(out.before, out.after)
    # The boundary is not in the workspace: said, and never taken as an allow.
    assert "arn:aws:iam::111122223333:policy/org/cap" in out.err
    assert "evaluated without this boundary" in out.err
