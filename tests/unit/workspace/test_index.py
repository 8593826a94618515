"""WorkspaceIndex: config, IaC and naming refs; incremental updates; robustness."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from accessdenied.workspace.discovery import discover
from tests.paths import EXAMPLES

SESSION = "arn:aws:sts::111122223333:assumed-role/app-role/dev-session"
DOC = {"Version": "2012-10-17", "Statement": []}


def _write(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value) if not isinstance(value, str) else value)
    return path


def test_policies_for_session_maps_to_configured_role_policy() -> None:
    index = build_index(EXAMPLES)
    refs = index.policies_for(SESSION)
    assert [r.path.name for r in refs] == ["app-role.json"]
    assert refs[0].origin == "config"
    assert refs[0].confidence == "configured"
    assert ".accessdenied.toml" in refs[0].reason


def test_resource_policies_for_matches_config_pattern() -> None:
    index = build_index(EXAMPLES)
    refs = index.resource_policies_for("arn:aws:s3:::acme-reports/2026/x.csv")
    assert [r.path.name for r in refs] == ["reports-bucket-policy.json"]
    assert index.resource_policies_for("arn:aws:s3:::other-bucket/x") == ()


def test_policy_set_for_evaluates_example_denial_as_identity_implicit_deny() -> None:
    index = build_index(EXAMPLES)
    resource = "arn:aws:s3:::acme-reports/2026/11/report.csv"
    ps = index.policy_set_for(SESSION, resource, "s3:PutObject")
    assert len(ps.identity) == 1
    assert ps.resource is not None
    decision = evaluate(Request(SESSION, "s3:PutObject", resource), ps)
    assert decision.decision == "implicit_deny"
    ok = evaluate(Request(SESSION, "s3:GetObject", resource), ps)
    assert ok.allowed


def test_cloudformation_yaml_bindings_resolve_role_name_and_spans() -> None:
    index = build_index(EXAMPLES)
    role = "arn:aws:sts::111122223333:assumed-role/report-worker/job"
    refs = index.policies_for(role)
    assert len(refs) == 1
    ref = refs[0]
    assert (ref.origin, ref.embed, ref.confidence) == (
        "cloudformation",
        "cfn-yaml",
        "inferred",
    )
    assert ref.span_in_file is not None
    assert ref.span_in_file.start_line == 18
    doc = index.document(ref)
    assert doc is not None
    assert doc["Statement"][0]["Sid"] == "ReadJobs"
    # !Sub with pseudo parameters resolves to a wildcard pattern.
    assert doc["Statement"][0]["Resource"] == "arn:aws:sqs:*:*:report-jobs"
    policy = index.policy(ref)
    assert policy is not None
    assert policy.statement_lines == (20,)  # via policy.find_policies
    trust = index.trust_policies_for("arn:aws:iam::111122223333:role/report-worker")
    assert [t.kind for t in trust] == ["trust"]
    keys = index.resource_policies_for("arn:aws:kms:us-east-1:111122223333:key/abcd")
    assert keys[0].kind == "kms"
    assert keys[0].confidence == "guess"


def test_terraform_file_and_heredoc_bindings() -> None:
    index = build_index(EXAMPLES)
    role = "arn:aws:iam::111122223333:role/ingest-lambda"
    refs = index.policies_for(role)
    assert [r.path.name for r in refs] == ["ingest-policy.json"]
    assert refs[0].origin == "terraform"
    assert "aws_iam_role_policy_attachment.ingest" in refs[0].reason
    trust = index.trust_policies_for(role)
    assert trust[0].embed == "terraform-heredoc"
    text = trust[0].path.read_text()
    span = trust[0].span_in_file
    assert span is not None
    assert (
        json.loads(text[span.start : span.end])["Statement"][0]["Action"]
        == "sts:AssumeRole"
    )
    ps = index.policy_set_for(
        "arn:aws:sts::111122223333:assumed-role/ingest-lambda/s",
        "arn:aws:dynamodb:us-east-1:111122223333:table/report-index",
        "dynamodb:PutItem",
    )
    assert ps.identity[0].document["Statement"][0]["Sid"] == "WriteIndex"


def test_cloudformation_json_template_and_generated_role_names(tmp_path: Path) -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Worker": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": DOC},
            },
            "WorkerPolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "p",
                    "PolicyDocument": DOC,
                    "Roles": [{"Ref": "Worker"}],
                },
            },
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": "data-b"},
            },
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": DOC},
            },
        },
    }
    _write(tmp_path / "stack.json", template)
    index = build_index(tmp_path)
    # CloudFormation names the role <stack>-Worker-<suffix>: a labelled guess.
    refs = index.policies_for("arn:aws:iam::1:role/mystack-Worker-ABC123")
    assert [(r.name, r.confidence) for r in refs] == [("WorkerPolicy", "guess")]
    assert refs[0].embed == "cfn-json"
    bucket = index.resource_policies_for("arn:aws:s3:::data-b/key")
    assert [(r.name, r.confidence) for r in bucket] == [("BucketPolicy", "inferred")]


def test_naming_convention_is_a_labelled_guess(tmp_path: Path) -> None:
    _write(tmp_path / "policies" / "billing.json", DOC)
    _write(tmp_path / "policies" / "other.json", DOC)
    index = build_index(tmp_path)
    refs = index.policies_for("arn:aws:sts::1:assumed-role/billing/s")
    assert [r.path.name for r in refs] == ["billing.json"]
    assert (refs[0].origin, refs[0].confidence) == ("naming", "guess")
    assert "naming convention" in refs[0].reason


def test_config_wins_over_naming(tmp_path: Path) -> None:
    _write(tmp_path / "policies" / "billing.json", DOC)
    _write(tmp_path / "iam" / "billing-main.json", DOC)
    _write(
        tmp_path / ".accessdenied.toml",
        '[[principals]]\narn = "arn:aws:iam::1:role/billing"\nidentity_policies = ["iam/*.json"]\n',
    )
    refs = build_index(tmp_path).policies_for("arn:aws:iam::1:role/billing")
    assert [(r.path.name, r.confidence) for r in refs] == [
        ("billing-main.json", "configured"),
        ("billing.json", "guess"),
    ]


def test_updated_rereads_only_changed_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "policies" / "a.json", DOC)
    b = _write(tmp_path / "policies" / "b.json", DOC)
    index = build_index(tmp_path)
    info_b = index.file_info(b)
    _write(
        a,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        },
    )
    c = _write(tmp_path / "policies" / "c.json", DOC)
    new = index.updated([a, c])
    assert new is not index
    assert new.file_info(b) is info_b  # untouched
    info_a = new.file_info(a)
    assert info_a is not None
    assert info_a.document is not None
    assert info_a.document["Statement"][0]["Action"] == "s3:*"
    assert new.file_info(c) is not None
    assert index.file_info(c) is None  # the old snapshot is unchanged
    a.unlink()
    assert new.updated([a]).file_info(a) is None


def test_updated_config_change_rebuilds_refs(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", DOC)
    index = build_index(tmp_path)
    assert index.policies_for("arn:aws:iam::1:role/r") == ()
    cfg = _write(
        tmp_path / ".accessdenied.toml",
        '[[principals]]\narn = "arn:aws:iam::1:role/r"\nidentity_policies = "x.json"\n',
    )
    new = index.updated([cfg])
    assert [r.path.name for r in new.policies_for("arn:aws:iam::1:role/r")] == [
        "x.json"
    ]


def test_invalid_config_is_reported_not_raised(tmp_path: Path) -> None:
    _write(tmp_path / ".accessdenied.toml", "principals = 3\n")
    index = build_index(tmp_path)
    assert index.config_error is not None
    assert index.config_error.line == 1


def test_discovery_skips_ignored_dirs_symlink_loops_and_bad_files(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "ok.json", DOC)
    for skipped in ("node_modules", ".git", ".venv", "build"):
        _write(tmp_path / skipped / "p.json", DOC)
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path, tmp_path / "loop" / "back")
    os.symlink(tmp_path / "missing.json", tmp_path / "dangling.json")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    _write(tmp_path / "notes.txt", "x")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in discover(tmp_path))
    assert found == ["binary.json", "ok.json"]
    index = build_index(tmp_path)
    info = index.file_info(tmp_path / "binary.json")
    assert info is not None
    assert info.error == "unreadable"


def test_build_index_thousands_of_files_is_fast(tmp_path: Path) -> None:
    for i in range(2000):
        _write(tmp_path / f"d{i % 40}" / f"p{i}.json", DOC)
    _write(tmp_path / "node_modules" / "big" / "x.json", DOC)
    start = time.perf_counter()
    index = build_index(tmp_path)
    elapsed = time.perf_counter() - start
    assert len(index.files) == 2000
    start = time.perf_counter()
    for _ in range(100):
        index.policies_for("arn:aws:iam::1:role/p7")
    query = (time.perf_counter() - start) / 100
    assert elapsed < 10, elapsed
    assert query < 0.1, query


def test_terraform_inline_policy_and_role_policy_literal_role(tmp_path: Path) -> None:
    _write(
        tmp_path / "main.tf",
        'resource "aws_iam_role" "r" {\n  name = "worker"\n'
        '  assume_role_policy = jsonencode({ Version = "2012-10-17" })\n'
        '  inline_policy {\n    name = "inline"\n    policy = <<JSON\n'
        '{"Version": "2012-10-17", "Statement": []}\nJSON\n  }\n}\n\n'
        'resource "aws_iam_role_policy" "extra" {\n  role = "worker"\n'
        '  policy = jsonencode({ Version = "2012-10-17" })\n}\n',
    )
    index = build_index(tmp_path)
    refs = index.policies_for("arn:aws:iam::1:role/worker")
    assert sorted((r.name, r.embed) for r in refs) == [
        ("aws_iam_role.r", "terraform-heredoc"),
        ("aws_iam_role_policy.extra", "terraform-jsonencode"),
    ]
    trust = index.trust_policies_for("arn:aws:iam::1:role/worker")
    assert trust[0].embed == "terraform-jsonencode"
    # jsonencode() objects are evaluated through python-hcl2 (issue 15).
    assert index.document(trust[0]) == {"Version": "2012-10-17"}
