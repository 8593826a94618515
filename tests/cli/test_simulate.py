"""`accessdenied simulate`: the JSON contract of DESIGN.md, --scenarios, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accessdenied.cli import main
from tests.paths import EXAMPLES, ORACLE_CASES

APP_ROLE = str(EXAMPLES / "policies" / "app-role.json")
SESSION = "arn:aws:sts::111122223333:assumed-role/app-role/dev"


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out, _ = capsys.readouterr()
    result: dict[str, Any] = json.loads(out)
    return result


def test_simulate_allowed_json_has_reason_with_file_line_sid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["simulate", "--policy", APP_ROLE, "--action", "s3:GetObject",
         "--resource", "arn:aws:s3:::acme-reports/2026/x.csv", "--principal", SESSION,
         "--format", "json"]
    )  # fmt: skip
    assert code == 0
    result = _json(capsys)
    assert result["decision"] == "allowed"
    assert result["reasons"][0]["file"] == APP_ROLE
    assert result["reasons"][0]["line"] == 4  # the statement's opening brace
    assert result["reasons"][0]["sid"] == "ReadReports"
    assert result["reasons"][0]["effect"] == "Allow"


def test_simulate_implicit_deny_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["simulate", "--policy", APP_ROLE, "--action", "s3:PutObject",
         "--resource", "arn:aws:s3:::acme-reports/x", "--format", "json"]
    )  # fmt: skip
    assert code == 1
    result = _json(capsys)
    assert result == {**result, "decision": "implicit_deny", "reasons": []}
    assert result["blocked_by"] == ["identity"]


def test_simulate_explicit_deny_names_deny_statement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scp = tmp_path / "scp.json"
    scp.write_text(
        '{"Version": "2012-10-17",\n "Statement": [\n  {"Effect": "Allow", "Action": "*",'
        ' "Resource": "*"},\n  {"Sid": "NoDelete", "Effect": "Deny",\n'
        '   "Action": "s3:DeleteObject", "Resource": "*"}\n ]\n}\n'
    )
    code = main(
        ["simulate", "--policy", APP_ROLE, "--scp", str(scp), "--action",
         "s3:DeleteObject", "--resource", "arn:aws:s3:::acme-reports/x",
         "--format", "json"]
    )  # fmt: skip
    assert code == 1
    result = _json(capsys)
    assert result["decision"] == "explicit_deny"
    assert result["reasons"] == [
        {"file": str(scp), "line": 4, "sid": "NoDelete", "effect": "Deny",
         "policy_type": "scp", "policy": "scp.json", "statement": 1}
    ]  # fmt: skip


def test_simulate_context_and_text_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                    }
                ],
            }
        )
    )
    args = ["simulate", "--policy", str(policy), "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::b/k"]  # fmt: skip
    assert main([*args, "--context", "aws:SourceIp=203.0.113.9"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("allowed:")
    assert main([*args, "--context", "aws:SourceIp=198.51.100.1"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("implicit_deny:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--action", "s3:GetObject"], "--action and --resource are required"),
        (
            [
                "--policy",
                "/nonexistent.json",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
            ],
            "cannot read",
        ),
        (["--action", "GetObject", "--resource", "*"], "is not service:Action"),
        (
            ["--action", "s3:GetObject", "--resource", "*", "--context", "novalue"],
            "KEY=VALUE",
        ),
    ],
)
def test_simulate_bad_input_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", *argv]) == 2
    _, err = capsys.readouterr()
    assert message in err


def test_simulate_invalid_json_policy_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17",\n "Statement": [}\n')
    code = main(["simulate", "--policy", str(bad), "--action", "s3:GetObject",
                 "--resource", "*"])  # fmt: skip
    assert code == 2
    _, err = capsys.readouterr()
    assert f"{bad}:2:" in err
    assert "not valid JSON" in err


def test_simulate_scenarios_reads_oracle_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--scenarios", str(ORACLE_CASES)]) == 0
    out, _ = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    cases = [json.loads(line) for line in ORACLE_CASES.read_text().splitlines()]
    assert [line["id"] for line in lines] == [c["id"] for c in cases]
    assert all(set(line) >= {"id", "decision", "reasons"} for line in lines)
    by_id = {line["id"]: line["decision"] for line in lines}
    assert by_id["basic-allow"] == "allowed"
    assert by_id["deny-beats-allow-same-policy"] == "explicit_deny"


def test_simulate_scenarios_bad_line_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {
        "id": "ok",
        "request": {
            "principal": "anonymous",
            "action": "s3:GetObject",
            "resource": {"arn": "arn:aws:s3:::b/k", "accountId": "111122223333"},
        },
    }
    path = tmp_path / "s.jsonl"
    path.write_text("not json\n\n" + json.dumps(good) + '\n{"id": 7}\n')
    assert main(["simulate", "--scenarios", str(path)]) == 1
    out, _ = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["id"], line["decision"]) for line in lines] == [
        (None, "error"),
        ("ok", "implicit_deny"),
        (7, "error"),
    ]
    assert "line 1" in lines[0]["error"]


def test_simulate_derive_context_fills_username(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "home.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::home/${aws:username}/*",
                    }
                ],
            }
        )
    )
    args = ["simulate", "--policy", str(policy), "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::home/alice/x",
            "--principal", "arn:aws:iam::111122223333:user/alice"]  # fmt: skip
    assert main(args) == 1  # nothing is derived unless asked
    assert main([*args, "--derive-context"]) == 0
    capsys.readouterr()
