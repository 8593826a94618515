"""`accessdenied fix --all`: one verified edit per document, diff per file, exit 0/1/2."""

from __future__ import annotations

import shutil
from pathlib import Path

import hcl2
import pytest

from accessdenied.cli import main
from accessdenied.denials import scan_text
from accessdenied.fixes.fix_all import dependent_denials, fix_all
from accessdenied.workspace import build_index
from tests.paths import REPO

WS = REPO / "tests" / "workspaces" / "tf-jsonencode"
ROLE = "arn:aws:sts::111122223333:assumed-role/app-role/dev"


def _denial(action: str, resource: str, principal: str = ROLE) -> str:
    op = action.split(":", 1)[1]
    return (
        f"An error occurred (AccessDeniedException) when calling the {op} operation: "
        f"User: {principal} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WS, root)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def test_fix_all_log_one_diff_per_file_and_exit_0(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (workspace / "main.tf").read_text()
    assert main(["fix", "--all", "--log", "denials.log"]) == 0
    out, err = capsys.readouterr()
    assert out.count("--- a/main.tf") == 1
    assert '+        Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]' in out
    assert '+        Resource = "${aws_s3_bucket.r.arn}/daily/report.csv"' in out
    assert err.count("fixed: ") == 2
    # reports-bkt is managed here without SSE-KMS: no kms:GenerateDataKey follow-up.
    assert "kms:GenerateDataKey" not in err
    assert (workspace / "main.tf").read_text() == before  # a diff only


def test_fix_all_write_applies_everything_verified(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix", "--all", "--log", "denials.log", "--write"]) == 0
    after = (workspace / "main.tf").read_text()
    hcl2.loads(after)
    assert "dynamodb:PutItem" in after
    assert "s3:PutObject" in after
    # Fixed: running again finds nothing left to do.
    index = build_index(workspace)
    denials = scan_text((workspace / "denials.log").read_text())
    again = fix_all(denials, index)
    assert again.changes == ()
    assert all(not o.fixed for o in again.outcomes)  # already allowed in the workspace


def test_fix_all_merges_same_resource_and_dedupes(workspace: Path) -> None:
    table = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    texts = [
        _denial("dynamodb:PutItem", table),
        _denial("dynamodb:PutItem", table),
        _denial("dynamodb:UpdateItem", table),
        _denial("dynamodb:DeleteItem", table),
    ]
    result = fix_all([d for t in texts for d in scan_text(t)], build_index(workspace))
    assert result.complete
    (change,) = result.changes
    assert (
        'Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", '
        '"dynamodb:DeleteItem"]'
    ) in change.after
    assert result.outcomes[0].duplicates == 1
    # One edit: bytes outside it are the original's.
    e = change.edit
    assert change.after[: e.start] == change.before[: e.start]
    assert change.after.endswith(change.before[e.end :])


def test_fix_all_partial_exit_1_with_reasons(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "arn:aws:sts::111122223333:assumed-role/unknown-role/x"
    code = main(
        [
            "fix",
            "--all",
            "--denial-text",
            _denial(
                "dynamodb:PutItem",
                "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            ),
            "--denial-text",
            _denial("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", other),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "--- a/main.tf" in out
    assert "NOT FIXED: " in err
    assert "unknown-role" in err


def test_fix_all_usage_errors_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix", "--all", "--denial-text", "hello"]) == 2
    assert main(["fix", "--all", "--log", "denials.log:2"]) == 2
    assert main(["fix", "--denial-text", "a", "--denial-text", "b"]) == 2
    capsys.readouterr()


def test_dependent_actions_variant(workspace: Path) -> None:
    (d,) = scan_text(
        _denial(
            "lambda:CreateFunction", "arn:aws:lambda:us-east-1:111122223333:function:f"
        )
    )
    deps = {x.action: x.resource for x, _why in dependent_denials(d)}
    assert deps["iam:PassRole"] == "arn:aws:iam::111122223333:role/*"
    (p,) = scan_text(_denial("s3:PutObject", "arn:aws:s3:::reports-bkt/k"))
    assert any(x.action == "kms:GenerateDataKey" for x, _ in dependent_denials(p))
    result = fix_all([d], build_index(workspace), variant="with-dependent-actions")
    labelled = [o for o in result.outcomes if o.dependent]
    assert {o.denial.action for o in labelled} >= {"iam:PassRole"}
    assert result.outcomes[0].fixed


def test_dependent_kms_follows_the_bucket_encryption(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "s3.tf").write_text(
        'resource "aws_kms_key" "data" {\n  description = "data"\n}\n\n'
        'resource "aws_s3_bucket" "enc" {\n  bucket = "enc-bkt"\n}\n\n'
        'resource "aws_s3_bucket_server_side_encryption_configuration" "enc" {\n'
        "  bucket = aws_s3_bucket.enc.id\n  rule {\n"
        "    apply_server_side_encryption_by_default {\n"
        '      sse_algorithm     = "aws:kms"\n'
        "      kms_master_key_id = aws_kms_key.data.arn\n    }\n  }\n}\n\n"
        'resource "aws_s3_bucket" "plain" {\n  bucket = "plain-bkt"\n}\n'
    )
    index = build_index(tmp_path)
    (enc,) = scan_text(_denial("s3:PutObject", "arn:aws:s3:::enc-bkt/k"))
    deps = {x.action: (x.resource, why) for x, why in dependent_denials(enc, index)}
    assert "kms:GenerateDataKey" in deps
    assert "s3.tf:9" in deps["kms:GenerateDataKey"][1]
    (plain,) = scan_text(_denial("s3:PutObject", "arn:aws:s3:::plain-bkt/k"))
    assert all(
        x.action != "kms:GenerateDataKey" for x, _ in dependent_denials(plain, index)
    )
