"""Terraform managed policy attachments by ARN (scenario tf-managed-attachments).

AWS managed ARNs (a literal with `${data.aws_partition.current.partition}`, a
`data "aws_iam_policy"` with `arn`) are evaluated from the shipped documents and never
edited; a customer managed ARN in `managed_policy_arns` is found as the
`aws_iam_policy` of another module (by `name`) and fixed there.
"""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from accessdenied.containers import locate
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    copy_workspace,
    decisions,
    fix_write,
    oracle,
    single_insertion,
)

__all__ = ["oracle"]

S = "arn:aws:sts::111122223333:assumed-role"
EXPORTER, SCANNER = f"{S}/tf-exporter/export-fn", f"{S}/tf-scanner/scan-fn"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/exports"
SCAN = "arn:aws:s3:::acme-scans/in/1.bin"


def test_aws_managed_attachments_are_evaluated_not_editable() -> None:
    root = Path(__file__).parents[2] / "workspaces" / "tf-managed-attachments"
    text = (root / "main.tf").read_text()
    got = sorted(
        (b.reason.split(" (", 1)[0], b.document is not None, b.not_editable is None)
        for b in locate(root / "main.tf", text)
        if b.embed == "aws-managed"
    )
    assert got == [
        ("AWS managed policy AWSLambdaBasicExecutionRole", True, False),
        ("AWS managed policy AmazonDynamoDBReadOnlyAccess", True, False),
    ]


def test_aws_managed_read_allows_and_the_write_goes_to_the_role_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("tf-managed-attachments", tmp_path)
    assert decisions(
        root,
        [
            (EXPORTER, "dynamodb:GetItem", TABLE),
            (EXPORTER, "logs:CreateLogStream", "*"),
            (EXPORTER, "dynamodb:PutItem", TABLE),
        ],
    ) == ["allowed", "allowed", "implicit_deny"]
    # GetItem is already allowed by the AWS managed policy: nothing is written.
    out = fix_write(root, "logs/allowed.log", 1, "main.tf", capsys, monkeypatch)
    assert out.after == out.before
    assert "already allow" in out.err
    out = fix_write(root, "logs/denied.log", 1, "main.tf", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "aws_iam_role_policy.exporter" in out.err
    added = single_insertion(out.before, out.after)
    assert 'Action   = "dynamodb:PutItem"' in added
    hcl2.loads(out.after)
    assert decisions(
        root,
        [
            (EXPORTER, "dynamodb:PutItem", TABLE),
            (EXPORTER, "dynamodb:GetItem", TABLE),
            (EXPORTER, "dynamodb:DeleteItem", TABLE),
        ],
    ) == ["allowed", "allowed", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        EXPORTER,
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
    )


def test_customer_arn_in_managed_policy_arns_is_fixed_in_that_aws_iam_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("tf-managed-attachments", tmp_path)
    main_tf = (root / "main.tf").read_bytes()
    out = fix_write(root, "logs/denied.log", 2, "iam/policies.tf", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "written as aws_iam_policy.scanner_access" in out.err
    assert 'Action   = "s3:GetObject"' in single_insertion(out.before, out.after)
    hcl2.loads(out.after)
    assert (root / "main.tf").read_bytes() == main_tf
    assert decisions(
        root,
        [
            (SCANNER, "s3:GetObject", SCAN),
            (SCANNER, "s3:ListBucket", "arn:aws:s3:::acme-scans"),
            (SCANNER, "s3:GetObject", "arn:aws:s3:::acme-scans/in/2.bin"),
        ],
    ) == ["allowed", "allowed", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        SCANNER,
        ("s3:GetObject", SCAN),
        ("s3:PutObject", SCAN),
    )


def test_unknown_aws_managed_and_missing_customer_arns_grant_nothing(
    tmp_path: Path,
) -> None:
    from accessdenied.workspace import build_index

    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "main.tf").write_text(
        'resource "aws_iam_role" "r" {\n'
        '  name = "r"\n'
        '  assume_role_policy = "{}"\n'
        "  managed_policy_arns = [\n"
        '    "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere",\n'
        '    "arn:aws:iam::111122223333:policy/elsewhere",\n'
        "  ]\n"
        '  permissions_boundary = "arn:aws:iam::111122223333:policy/b/none"\n'
        "}\n"
    )
    role = "arn:aws:sts::111122223333:assumed-role/r/s"
    index = build_index(root)
    missing = sorted(r.reason for r in index.policies_for(role, "missing"))
    assert len(missing) == 2
    assert "policy/elsewhere" in missing[1] or "policy/elsewhere" in missing[0]
    assert any("evaluated without this boundary" in m for m in missing)
    assert decisions(root, [(role, "s3:GetObject", "arn:aws:s3:::b/k")]) == [
        "implicit_deny"
    ]
    (unknown,) = [r for r in index.policies_for(role) if r.embed == "aws-managed"]
    assert "assumed to grant nothing" in unknown.reason
