"""`accessdenied check` on hostile files: invalid UTF-8, NUL, a BOM, random bytes and a
directory with symlink loops; exact messages and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from accessdenied.cli import main


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_invalid_utf8_policy_is_a_usage_error(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "bad.json").write_bytes(
        b'{"Version": "2012-10-17", "Statement": [{"Sid": "\xff\xfe"}]}'
    )
    assert main(["check", "bad.json", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"findings": []}
    assert err == (
        "accessdenied check: bad.json: cannot read: 'utf-8' codec can't decode byte "
        "0xff in position 49: invalid start byte\n"
    )


def test_nul_byte_in_policy_is_a_json_syntax_finding(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "nul.json").write_bytes(b'{"Version": "2012-10-17",\x00 "Statement": []}')
    assert main(["check", "nul.json", "--format", "json"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert (f["line"], f["column"], f["code"], f["severity"]) == (
        1,
        26,
        "json-syntax",
        "error",
    )
    assert f["message"] == "expected a property name in double quotes"


def test_utf8_bom_policy_is_accepted(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "bom.json").write_bytes(
        b'\xef\xbb\xbf{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
        b'"Action": "s3:*", "Resource": "*"}]}\n'
    )
    assert main(["check", "bom.json"]) == 0
    assert capsys.readouterr().out == "1 file checked: no findings\n"


def test_directory_with_symlink_loops_terminates_and_names_them(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "sub").mkdir()
    os.symlink("..", here / "sub" / "up")
    os.symlink("y.json", here / "x.json")
    os.symlink("x.json", here / "y.json")
    (here / "sub" / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "s3:GetObjekt", "Resource": "*"}]}',
        encoding="utf-8",
    )
    # An error finding wins over the unreadable links (exit 1, not 2).
    assert main(["check", ".", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    (f,) = json.loads(out)["findings"]
    assert (Path(f["file"]).as_posix(), f["code"]) == ("sub/p.json", "unknown-action")
    for name in ("x.json", "y.json"):
        assert (
            f"{name}: cannot read: [Errno 40] Too many levels of symbolic links" in err
        )


def test_check_text_output_has_no_terminal_escapes_or_bidi(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "esc.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        '"s3:Get\\u001b]0;pwned\\u0007Object\\u202e", "Resource": "*"}]}',
        encoding="utf-8",
    )
    assert main(["check", "esc.json"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\u202e" not in out
    assert '"s3:GetObject<U+202E>" is not an action' in out
