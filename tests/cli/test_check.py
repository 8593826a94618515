"""`accessdenied check`: JSON/SARIF/text contracts, exit codes, the managed-policy corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accessdenied.cli import main
from tests.paths import EXAMPLES, MANAGED_POLICIES, REPO

FMT = ("--format", "json")
BAD = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "allow",'
    ' "Action": "s3:GetObjekt", "Resource": "*"}]\n}\n'
)


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_json_contract_and_exit_1_on_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "bad.json"
    p.write_text(BAD, encoding="utf-8")
    assert main(["check", str(p), "--format", "json"]) == 1
    findings = _json(capsys)["findings"]
    assert isinstance(findings, list)
    assert findings
    keys = {
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "severity",
        "code",
        "message",
    }
    for f in findings:
        assert set(f) == keys
        assert f["file"] == str(p)
    by_code = {f["code"]: f for f in findings}
    effect = by_code["invalid-effect"]
    line3 = BAD.splitlines()[2]
    col = line3.index('"allow"') + 1
    assert (effect["line"], effect["column"]) == (3, col)
    assert effect["end_column"] == col + len('"allow"')
    assert by_code["unknown-action"]["severity"] == "error"


def test_examples_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLES), "--format", "json"]) == 0
    assert _json(capsys) == {"findings": []}


def test_sarif_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bad.json"
    p.write_text(BAD, encoding="utf-8")
    assert main(["check", str(p), "--format", "sarif"]) == 1
    log = _json(capsys)
    run = log["runs"][0]  # type: ignore[index]
    ids = {r["ruleId"] for r in run["results"]}
    assert {"invalid-effect", "unknown-action"} <= ids
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert ids <= rules
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1


def test_text_output_and_policy_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "p.json"
    p.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
                ],
            }
        ),
        encoding="utf-8",
    )
    assert main(["check", str(p)]) == 0
    out = capsys.readouterr().out
    assert "1 file checked: no findings" in out
    assert main(["check", str(p), "--policy-type", "resource"]) == 1
    out = capsys.readouterr().out
    assert f"{p}:1:" in out
    assert "[missing-principal]" in out


def test_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "/nonexistent/policy.json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_directory_walk_finds_templates_and_skips_other_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [{\n      Effect = "Allow"\n'
        '      Action = "s3:GetObjekt"\n      Resource = "*"\n    }]\n  })\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n"
        "        Statement:\n          - Effect: Allow\n"
        "            Principal: {Service: lambda.amazonaws.com}\n"
        "            Action: sts:AssumeRole\n            Resource: '*'\n",
        encoding="utf-8",
    )
    assert main(["check", str(tmp_path), "--format", "json"]) == 1
    findings = _json(capsys)["findings"]
    assert isinstance(findings, list)
    got = {(Path(f["file"]).name, f["code"], f["line"]) for f in findings}
    assert ("main.tf", "unknown-action", 6) in got
    assert ("t.yaml", "trust-policy-element", 11) in got
    assert not any(name == "package.json" for name, _c, _l in got)


@pytest.mark.skipif(not MANAGED_POLICIES.is_dir(), reason="shared corpus not present")
def test_managed_policy_corpus_has_zero_errors_in_one_process() -> None:
    # The speed target (whole process < 3 s) is measured by benchmarks/bench_check.py in
    # `make bench`; a timed assertion here fails on a loaded CI machine, not on slow code.
    proc = subprocess.run(
        [sys.executable, "-m", "accessdenied", "check", str(MANAGED_POLICIES), *FMT],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    findings = json.loads(proc.stdout)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert errors == []
    files = list(MANAGED_POLICIES.glob("*.json"))
    assert len(files) > 1000
    assert {Path(f["file"]).name for f in findings} <= {p.name for p in files}


SCP_WITH_PRINCIPAL = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",'
    ' "Action": "s3:DeleteBucket", "Resource": "*"}]}\n'
)


def test_folder_convention_from_config_sets_the_policy_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        '[policy_types]\n"org/scp/**" = "scp"\n', encoding="utf-8"
    )
    scp = tmp_path / "org" / "scp" / "deny.json"
    scp.parent.mkdir(parents=True)
    scp.write_text(SCP_WITH_PRINCIPAL, encoding="utf-8")
    # The content alone reads as a resource policy (it has a Principal) ...
    other = tmp_path / "other.json"
    other.write_text(SCP_WITH_PRINCIPAL, encoding="utf-8")
    assert main(["check", str(tmp_path), *FMT]) == 1
    findings = _json(capsys)["findings"]
    assert isinstance(findings, list)
    by_file = {(Path(f["file"]).name, f["code"]) for f in findings}
    # ... the folder convention makes deny.json an SCP, which has no Principal.
    assert ("deny.json", "principal-forbidden") in by_file
    assert ("other.json", "principal-forbidden") not in by_file


def test_config_named_trust_policy_and_scp_quota(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        '[organization]\nscps = [["scps/*.json"]]\n', encoding="utf-8"
    )
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [
                    f"arn:aws:s3:::bucket-number-{i:05d}/*" for i in range(300)
                ],
            }
        ],
    }
    path = tmp_path / "scps" / "big.json"
    path.parent.mkdir()
    path.write_text(json.dumps(big), encoding="utf-8")
    assert main(["check", str(tmp_path), *FMT]) == 1
    findings = _json(capsys)["findings"]
    assert isinstance(findings, list)
    assert [f["code"] for f in findings if f["severity"] == "error"] == [
        "policy-size-quota"
    ]


def test_terraform_file_reference_types_the_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket_policy" "b" {\n'
        '  bucket = "my-bucket"\n'
        '  policy = file("${path.module}/policies/bucket.json")\n'
        "}\n",
        encoding="utf-8",
    )
    pol = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "s3:GetObject",
                "Resource": "*",
            }
        ],
    }
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bucket.json").write_text(json.dumps(pol, indent=2))
    (tmp_path / "other.json").write_text(json.dumps(pol, indent=2))
    assert main(["check", str(tmp_path), *FMT]) == 1
    findings = _json(capsys)["findings"]
    assert isinstance(findings, list)
    hits = {(Path(f["file"]).name, f["code"]) for f in findings}
    # main.tf says bucket.json is an S3 bucket policy, where Resource "*" is rejected
    assert ("bucket.json", "bucket-policy-resource") in hits
    # the same document elsewhere is only known as "some resource policy"
    assert ("other.json", "bucket-policy-resource") not in hits
