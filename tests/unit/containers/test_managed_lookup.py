"""Customer managed policy ARNs looked up in the workspace (scenario cfn-managed-lookup).

Roles in `app/` attach customer managed policies by ARN: an `AWS::IAM::ManagedPolicy`
of another stack (`iam/policies.yaml`, by ManagedPolicyName), files mapped in
`[[managed_policies]]`, and one ARN the repository does not hold. Each denial is run
through `fix --write` and judged by the evaluator (fresh index) and the oracle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.cli import main
from accessdenied.workspace import build_index
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

S = "arn:aws:sts::111122223333:assumed-role"
REPORTER, BATCH = f"{S}/reporter/rep-fn", f"{S}/batch/task-1"
AUDITOR, ARCHIVER = f"{S}/auditor/audit-fn", f"{S}/archiver/arch-fn"
LEGACY, INGEST = f"{S}/legacy/legacy-fn", f"{S}/ingest/ingest-fn"
REPORT = "arn:aws:s3:::acme-reports/2026/q4.csv"
JOBS = "arn:aws:sqs:us-east-1:111122223333:batch-jobs"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:audit-key-AbCdEf"
TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"
INGESTED = "arn:aws:s3:::acme-ingest/in/a.csv"


def test_attached_arns_are_evaluated_from_the_documents_they_name(
    tmp_path: Path,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    assert decisions(
        root,
        [
            # reports-read (another stack, by ManagedPolicyName) allows ListBucket.
            (REPORTER, "s3:ListBucket", "arn:aws:s3:::acme-reports"),
            (REPORTER, "s3:GetObject", REPORT),
            # batch-policy.json (mapped in [[managed_policies]]).
            (BATCH, "sqs:ReceiveMessage", JOBS),
            (BATCH, "sqs:DeleteMessage", JOBS),
            # shared-logs, attached by !Sub and by a literal ARN.
            (AUDITOR, "logs:PutLogEvents", "*"),
            (ARCHIVER, "logs:PutLogEvents", "*"),
            # A missing ARN grants nothing.
            (LEGACY, "sns:Publish", TOPIC),
            # The mapped boundary caps the inline policy.
            (INGEST, "s3:GetObject", INGESTED),
            (INGEST, "s3:PutObject", INGESTED),
        ],
    ) == [
        "allowed",
        "implicit_deny",
        "allowed",
        "implicit_deny",
        "allowed",
        "allowed",
        "implicit_deny",
        "allowed",
        "implicit_deny",
    ]


def test_exclusive_managed_policy_of_another_stack_takes_the_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    app = (root / "app" / "template.json").read_bytes()
    out = fix_write(root, "logs/app.log", 1, "iam/policies.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "written as AWS::IAM::ManagedPolicy ReportsRead" in out.err
    assert "attached to this principal only" in out.err
    added = single_insertion(out.before, out.after)
    assert "Action: s3:GetObject" in added
    assert out.after.index(added) < out.after.index("  SharedLogs:")
    # The role's own template is not touched (no new inline policy beside it).
    assert (root / "app" / "template.json").read_bytes() == app
    assert decisions(
        root,
        [
            (REPORTER, "s3:GetObject", REPORT),
            (REPORTER, "s3:GetObject", "arn:aws:s3:::acme-reports/2026/q3.csv"),
            (REPORTER, "s3:PutObject", REPORT),
        ],
    ) == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle, root, REPORTER, ("s3:GetObject", REPORT), ("s3:PutObject", REPORT)
    )
    assert cfn_lint(root / "iam" / "policies.yaml") == []


def test_config_mapped_managed_policy_file_takes_the_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    out = fix_write(
        root, "logs/app.log", 2, "policies/batch-policy.json", capsys, monkeypatch
    )
    assert out.status == 0, out.err
    assert out.after == out.before.replace(
        '"Action": "sqs:ReceiveMessage",',
        '"Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],',
    )
    assert decisions(
        root,
        [
            (BATCH, "sqs:DeleteMessage", JOBS),
            (BATCH, "sqs:SendMessage", JOBS),
            (BATCH, "sqs:DeleteMessage", JOBS + "-other"),
        ],
    ) == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle, root, BATCH, ("sqs:DeleteMessage", JOBS), ("sqs:SendMessage", JOBS)
    )


def test_shared_managed_policy_is_left_alone_and_the_role_gets_an_inline_policy(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    shared = (root / "iam" / "policies.yaml").read_bytes()
    out = fix_write(root, "logs/app.log", 3, "app/workers.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "not in the shared customer managed policy" in out.err
    assert "also attached to archiver" in out.err
    added = single_insertion(out.before, out.after)
    assert added.startswith(
        "      Policies:\n        - PolicyName: AuditorRole-granted\n"
    )
    assert (root / "iam" / "policies.yaml").read_bytes() == shared
    assert decisions(
        root,
        [
            (AUDITOR, "secretsmanager:GetSecretValue", SECRET),
            (ARCHIVER, "secretsmanager:GetSecretValue", SECRET),
            (AUDITOR, "logs:PutLogEvents", "*"),
            (AUDITOR, "secretsmanager:PutSecretValue", SECRET),
        ],
    ) == ["allowed", "implicit_deny", "allowed", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        AUDITOR,
        ("secretsmanager:GetSecretValue", SECRET),
        ("secretsmanager:PutSecretValue", SECRET),
    )
    assert cfn_lint(root / "app" / "workers.yaml") == []


def test_missing_managed_policy_is_an_assumption_never_an_allow(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["fix", "--log", "logs/app.log:4"]) == 0
    _, err = capsys.readouterr()
    assert (
        "customer managed policy arn:aws:iam::111122223333:policy/not-in-this-repo"
    ) in err
    assert "not in the workspace" in err
    assert "assumed to grant nothing" in err
    index = build_index(root)
    (missing,) = index.policies_for(LEGACY, "missing")
    assert missing.attached is not None
    assert index.document(missing) is None
    out = fix_write(root, "logs/app.log", 4, "app/workers.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "Action: sns:Publish" in single_insertion(out.before, out.after)


def test_mapped_boundary_file_takes_the_boundary_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-managed-lookup", tmp_path)
    template = (root / "app" / "workers.yaml").read_bytes()
    out = fix_write(
        root, "logs/app.log", 5, "policies/dev-boundary.json", capsys, monkeypatch
    )
    assert out.status == 0, out.err
    assert "permissions boundary of AWS::IAM::Role IngestRole" in out.err
    statements = json.loads(out.after)["Statement"]
    assert statements[-1]["Action"] == "s3:PutObject"
    assert statements[-1]["Resource"] == INGESTED
    assert (root / "app" / "workers.yaml").read_bytes() == template
    assert decisions(
        root,
        [
            (INGEST, "s3:PutObject", INGESTED),
            (INGEST, "s3:PutObject", "arn:aws:s3:::acme-ingest/in/b.csv"),
            (INGEST, "s3:DeleteObject", INGESTED),
        ],
    ) == ["allowed", "implicit_deny", "implicit_deny"]


def test_invalid_managed_policies_table_is_a_config_error(tmp_path: Path) -> None:
    from accessdenied.workspace.config import ConfigError, load_config

    (tmp_path / ".accessdenied.toml").write_text(
        '[[managed_policies]]\narn = "arn:aws:iam::1:policy/x"\n'
    )
    with pytest.raises(ConfigError, match="policy"):
        load_config(tmp_path)
