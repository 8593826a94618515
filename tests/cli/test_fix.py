"""`accessdenied fix`: diff/--write against the examples workspace, exit codes 0/1/2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accessdenied.cli import main
from tests.paths import EXAMPLES

PUT_DENIAL = (
    "An error occurred (AccessDenied) when calling the PutObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/app-role/dev-session is not authorized to "
    'perform: s3:PutObject on resource: "arn:aws:s3:::acme-reports/2026/11/report.csv" '
    "because no identity-based policy allows the s3:PutObject action"
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of examples/ as the current directory."""
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def test_fix_log_line_prints_diff_for_examples_putobject(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (workspace / "policies" / "app-role.json").read_bytes()
    assert main(["fix", "--log", "logs/terminal.log:2"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        "--- a/policies/app-role.json\n+++ b/policies/app-role.json\n"
    )
    added = [
        line[1:]
        for line in out.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == [
        "    },",
        "    {",
        '      "Sid": "AllowS3PutObject",',
        '      "Effect": "Allow",',
        '      "Action": "s3:PutObject",',
        '      "Resource": "arn:aws:s3:::acme-reports/2026/11/report.csv"',
    ]
    assert "@@ -18,6 +18,12 @@" in out
    assert "policies/app-role.json" in err
    assert ".accessdenied.toml" in err  # says why this file
    assert (workspace / "policies" / "app-role.json").read_bytes() == before


def test_fix_write_updates_file_in_place(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = workspace / "policies" / "app-role.json"
    original = json.loads(policy.read_text())
    assert main(["fix", "--log", "logs/terminal.log:2", "--write"]) == 0
    doc = json.loads(policy.read_text())
    assert doc["Statement"][:2] == original["Statement"]
    assert doc["Statement"][2] == {
        "Sid": "AllowS3PutObject",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::acme-reports/2026/11/report.csv",
    }
    assert [p.name for p in policy.parent.iterdir() if p.name.startswith(".")] == []
    # Fixed now: a second run finds the workspace already allows it.
    capsys.readouterr()
    assert main(["fix", "--log", "logs/terminal.log:2"]) == 1
    assert "already allow" in capsys.readouterr().err


def test_fix_explicit_deny_exits_1_naming_the_statement(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (workspace / "policies" / "ci-deployer.json").read_bytes()
    assert main(["fix", "--log", "logs/terminal.log:4", "--write"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "policies/ci-deployer.json:13:NeverTouchProdSecrets" in err
    assert (workspace / "policies" / "ci-deployer.json").read_bytes() == before


def test_fix_denial_text_with_policy_file_keeps_crlf_and_tabs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    policy = tmp_path / "role.json"
    policy.write_bytes(b'{\r\n\t"Version": "2012-10-17",\r\n\t"Statement": []\r\n}\r\n')
    assert (
        main(["fix", "--denial-text", PUT_DENIAL, "--policy", str(policy), "--write"])
        == 0
    )
    assert policy.read_bytes() == (
        b'{\r\n\t"Version": "2012-10-17",\r\n\t"Statement": [\r\n\t\t{\r\n'
        b'\t\t\t"Sid": "AllowS3PutObject",\r\n\t\t\t"Effect": "Allow",\r\n'
        b'\t\t\t"Action": "s3:PutObject",\r\n'
        b'\t\t\t"Resource": "arn:aws:s3:::acme-reports/2026/11/report.csv"\r\n'
        b"\t\t}\r\n\t]\r\n}\r\n"
    )


def test_fix_invalid_policy_exits_2_and_leaves_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "broken.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [\n')
    assert (
        main(["fix", "--denial-text", PUT_DENIAL, "--policy", str(policy), "--write"])
        == 2
    )
    assert "does not parse" in capsys.readouterr().err
    assert policy.read_text() == '{"Version": "2012-10-17", "Statement": [\n'


@pytest.mark.parametrize(
    "argv",
    [
        ["fix", "--log", "missing.log"],
        ["fix", "--log", "logs/terminal.log:5"],
        ["fix", "--denial-text", "all good here"],
        ["fix", "--denial-text", PUT_DENIAL, "--policy", "nope.json"],
    ],
)
def test_fix_bad_input_exits_2(
    workspace: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_fix_without_denial_source_is_a_usage_error(workspace: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fix"])
    assert info.value.code == 2


def test_fix_no_policy_for_principal_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    assert main(["fix", "--denial-text", PUT_DENIAL]) == 1
    assert "no identity policy" in capsys.readouterr().err


def test_fix_workspace_policy_that_does_not_parse_exits_2_unchanged(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = workspace / "policies" / "app-role.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [}')
    assert main(["fix", "--log", "logs/terminal.log:2", "--write"]) == 2
    assert "app-role.json" in capsys.readouterr().err
    assert policy.read_text() == '{"Version": "2012-10-17", "Statement": [}'


def test_fix_policy_not_an_object_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "list.json"
    policy.write_text("[1, 2]\n")
    assert main(["fix", "--denial-text", PUT_DENIAL, "--policy", str(policy)]) == 2
    assert "not a policy" in capsys.readouterr().err


def test_fix_from_repo_root_finds_examples_config_next_to_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo / "examples")
    (repo / ".git").mkdir()
    monkeypatch.chdir(repo)
    assert main(["fix", "--log", "examples/logs/terminal.log:2"]) == 0
    out, err = capsys.readouterr()
    # Paths relative to cwd: the diff applies with `git apply` from here.
    assert out.startswith("--- a/examples/policies/app-role.json\n")
    assert "why this file: .accessdenied.toml" in err


def test_fix_variant_with_dependent_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    policy = tmp_path / "role.json"
    policy.write_text('{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n')
    text = (
        "User: arn:aws:sts::111122223333:assumed-role/app-role/dev is not authorized to "
        "perform: access-analyzer:StartPolicyGeneration on resource: "
        "arn:aws:access-analyzer:us-east-1:111122223333:* because no identity-based "
        "policy allows the access-analyzer:StartPolicyGeneration action"
    )
    argv = ["fix", "--denial-text", text, "--policy", "role.json", "--write"]
    assert main([*argv, "--variant", "with-dependent-actions"]) == 0
    stmt = json.loads(policy.read_text())["Statement"][0]
    assert stmt["Action"] == ["access-analyzer:StartPolicyGeneration", "iam:PassRole"]
    assert (
        stmt["Resource"] == "*"
    )  # StartPolicyGeneration has no resource-level permissions
    assert "supports no resource-level permissions" in capsys.readouterr().err
