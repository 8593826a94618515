"""The workspace is a boundary: no edit lands outside it, mappings that point outside
are findings on the line that names them, a config above the workspace is not used."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from accessdenied.cli import main
from accessdenied.workspace import build_index, find_config

DENIAL = (
    "User: arn:aws:sts::111122223333:assumed-role/app-role/dev is not authorized to "
    'perform: s3:PutObject on resource: "arn:aws:s3:::acme/k" because no '
    "identity-based policy allows the s3:PutObject action"
)
EMPTY = '{"Version": "2012-10-17", "Statement": []}\n'


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(workspace, a foreign project next to it holding a policy)."""
    ws = tmp_path / "ws"
    other = tmp_path / "other"
    (ws / ".git").mkdir(parents=True)
    (other / "policies").mkdir(parents=True)
    (other / "policies" / "app-role.json").write_text(EMPTY, encoding="utf-8")
    monkeypatch.chdir(ws)
    return ws, other


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("spelling", ["relative", "absolute"])
def test_config_path_outside_is_a_finding_on_its_line_and_never_edited(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    ws, other = layout
    target = other / "policies" / "app-role.json"
    named = "../other/policies/app-role.json" if spelling == "relative" else str(target)
    (ws / ".accessdenied.toml").write_text(
        "# project config\n\n[[principals]]\n"
        'arn = "arn:aws:iam::111122223333:role/app-role"\n'
        f'identity_policies = ["{named}"]\n',
        encoding="utf-8",
    )
    before = _snapshot(other)
    index = build_index(ws)
    assert all(index.contains(r.path) for r in index.refs)
    (finding,) = index.boundary
    assert (finding.path, finding.line) == (ws / ".accessdenied.toml", 5)
    assert finding.code == "path-outside-workspace"
    assert str(target) in finding.message
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 1
    assert _snapshot(other) == before
    err = capsys.readouterr().err
    assert ".accessdenied.toml:5: config path" in err


def test_symlinked_folder_to_outside_is_not_walked_or_edited(
    layout: tuple[Path, Path],
) -> None:
    ws, other = layout
    os.symlink(other, ws / "rootlink")
    os.symlink(other / "policies" / "app-role.json", ws / "app-role-policy.json")
    before = _snapshot(other)
    index = build_index(ws)
    assert index.files == {}
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 1
    assert _snapshot(other) == before


def test_symlink_to_root_is_not_walked(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    os.symlink("/", tmp_path / "ws" / "rootlink")
    (tmp_path / "ws" / "p.json").write_text(EMPTY, encoding="utf-8")
    index = build_index(tmp_path / "ws")
    assert list(index.files) == [tmp_path / "ws" / "p.json"]


def test_terraform_file_outside_is_a_finding_not_a_ref(
    layout: tuple[Path, Path],
) -> None:
    ws, other = layout
    (ws / "infra").mkdir()
    (ws / "infra" / "main.tf").write_text(
        'resource "aws_iam_role" "app" {\n  name = "app-role"\n}\n'
        'resource "aws_iam_role_policy" "p" {\n'
        "  role   = aws_iam_role.app.id\n"
        '  policy = file("../../other/policies/app-role.json")\n'
        "}\n",
        encoding="utf-8",
    )
    before = _snapshot(other)
    index = build_index(ws)
    assert [r for r in index.refs if not index.contains(r.path)] == []
    (finding,) = index.boundary
    assert (finding.path, finding.line) == (ws / "infra" / "main.tf", 6)
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 1
    assert _snapshot(other) == before


def test_allow_outside_reads_but_refs_are_marked(layout: tuple[Path, Path]) -> None:
    ws, _other = layout
    (ws / ".accessdenied.toml").write_text(
        '[[principals]]\narn = "arn:aws:iam::111122223333:role/app-role"\n'
        'identity_policies = ["../other/policies/app-role.json"]\n',
        encoding="utf-8",
    )
    index = build_index(ws, allow_outside=True)
    (ref,) = index.refs
    assert ref.outside
    assert index.document(ref) == json.loads(EMPTY)


def test_config_above_the_workspace_is_not_used(tmp_path: Path) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        '[[principals]]\narn = "arn:aws:iam::111122223333:role/x"\n'
        'identity_policies = ["ws/p.json"]\n',
        encoding="utf-8",
    )
    (tmp_path / "ws").mkdir()
    assert find_config(tmp_path / "ws") is None
    assert build_index(tmp_path / "ws").config.source is None


def test_fix_write_of_explicit_policy_outside_the_workspace_is_refused(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, other = layout
    target = other / "policies" / "app-role.json"
    before = _snapshot(other)
    assert (
        main(["fix", "--denial-text", DENIAL, "--policy", str(target), "--write"]) == 2
    )
    assert _snapshot(other) == before
    assert capsys.readouterr().err.endswith(
        f"accessdenied fix: {target} is outside the workspace {ws}; not modified "
        "(pass --root to widen the workspace)\n"
    )


def test_fix_diff_header_never_glues_a_slash_onto_an_absolute_path(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _ws, other = layout
    target = other / "policies" / "app-role.json"
    assert main(["fix", "--denial-text", DENIAL, "--policy", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- {target}\n+++ {target}\n")
    assert "a//" not in out


def test_fix_diff_header_is_workspace_relative(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    (ws / "policies" / "app-role.json").write_text(EMPTY, encoding="utf-8")
    assert main(["fix", "--denial-text", DENIAL]) == 0
    assert capsys.readouterr().out.startswith(
        "--- a/policies/app-role.json\n+++ b/policies/app-role.json\n"
    )


def test_fix_write_through_an_inside_symlink_keeps_the_link(
    layout: tuple[Path, Path],
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    real = ws / "real.json"
    real.write_text(EMPTY, encoding="utf-8")
    os.symlink("../real.json", ws / "policies" / "app-role.json")
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 0
    assert os.path.islink(ws / "policies" / "app-role.json")
    assert json.loads(real.read_text(encoding="utf-8"))["Statement"][0]["Action"] == (
        "s3:PutObject"
    )


def test_fix_refuses_to_write_a_credential_into_a_policy(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    policy = ws / "policies" / "app-role.json"
    policy.write_text(EMPTY, encoding="utf-8")
    denial = DENIAL.replace("acme/k", "acme/AKIAIOSFODNN7EXAMPLE")
    assert main(["fix", "--denial-text", denial, "--write"]) == 2
    assert policy.read_text(encoding="utf-8") == EMPTY
    err = capsys.readouterr().err
    assert "would contain a credential" in err
    assert "AKIAIOSFODNN7EXAMPLE" not in err


def test_fix_allow_outside_reads_evaluates_but_never_writes_outside(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, other = layout
    (ws / ".accessdenied.toml").write_text(
        '[[principals]]\narn = "arn:aws:iam::111122223333:role/app-role"\n'
        'identity_policies = ["../other/policies/app-role.json"]\n',
        encoding="utf-8",
    )
    before = _snapshot(other)
    argv = ["fix", "--denial-text", DENIAL, "--allow-outside-reads", "--write"]
    assert main(argv) == 2
    assert _snapshot(other) == before
    assert "is outside the workspace" in capsys.readouterr().err


def test_utf8_bom_policy_is_indexed_and_fixed_through_the_index(
    layout: tuple[Path, Path],
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    policy = ws / "policies" / "app-role.json"
    policy.write_bytes(b"\xef\xbb\xbf" + EMPTY.encode())
    info = build_index(ws).file_info(policy)
    assert info is not None
    assert info.document == json.loads(EMPTY)
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 0
    data = policy.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf{")
    assert json.loads(data[3:])["Statement"][0]["Action"] == "s3:PutObject"


def test_fix_refuses_a_policy_with_two_statement_keys(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    policy = ws / "policies" / "app-role.json"
    text = (
        '{"Version": "2012-10-17", "Statement": [], "Statement": '
        '[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}\n'
    )
    policy.write_text(text, encoding="utf-8")
    assert main(["fix", "--denial-text", DENIAL, "--write"]) == 1
    assert policy.read_text(encoding="utf-8") == text
    assert "not applied" in capsys.readouterr().err


def test_fix_stderr_has_no_terminal_escapes(
    layout: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _other = layout
    (ws / "policies").mkdir()
    (ws / "policies" / "app-role.json").write_text(EMPTY, encoding="utf-8")
    denial = DENIAL.replace("acme/k", "acme/k\x1b]0;pwned\x07\x1b[2J")
    main(["fix", "--denial-text", denial])
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
