"""`accessdenied fix` on hostile input: exit 2, a clear message, and the file unchanged."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest

from accessdenied.cli import main

DENIAL = (
    "User: arn:aws:sts::111122223333:assumed-role/app-role/dev is not authorized to "
    'perform: s3:PutObject on resource: "arn:aws:s3:::acme/k" because no '
    "identity-based policy allows the s3:PutObject action"
)
EMPTY = b'{"Version": "2012-10-17", "Statement": []}\n'


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fix(policy: Path, *extra: str, denial: str = DENIAL) -> int:
    return main(["fix", "--denial-text", denial, "--policy", policy.name, *extra])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "invalid.json",
            b'{"Version": "2012-10-17", "Statement": [',
            "accessdenied fix: invalid.json:1:40: the policy does not parse "
            "(unclosed array: expected ']'); not modified\n",
        ),
        (
            "array.json",
            b'[{"Version": "2012-10-17", "Statement": []}]\n',
            "accessdenied fix: array.json: not a policy (the top level is not an object)\n",
        ),
    ],
    ids=["invalid-json", "json-array"],
)
def test_fix_write_refuses_hostile_policy_and_keeps_bytes(
    here: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    message: str,
) -> None:
    policy = here / name
    policy.write_bytes(content)
    assert _fix(policy, "--write") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == message
    assert policy.read_bytes() == content
    assert sorted(p.name for p in here.iterdir()) == [".git", name]  # no temp left


def test_fix_write_keeps_utf8_bom_and_yields_valid_json(here: Path) -> None:
    """Issue 18: a UTF-8 BOM policy is fixed like any other, and keeps its BOM."""
    policy = here / "bom.json"
    policy.write_bytes(b"\xef\xbb\xbf" + EMPTY)
    assert _fix(policy, "--write") == 0
    data = policy.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert not data[3:].startswith(b"\xef\xbb\xbf")
    doc = json.loads(data[3:])
    assert doc["Statement"] == [
        {
            "Sid": "AllowS3PutObject",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::acme/k",
        }
    ]


def test_fix_write_on_read_only_policy_exits_2_unchanged(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = here / "ro.json"
    policy.write_bytes(EMPTY)
    policy.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        assert _fix(policy, "--write") == 2
    finally:
        policy.chmod(0o644)
    err = capsys.readouterr().err
    assert err.endswith(
        "accessdenied fix: cannot write ro.json: read-only file; not modified\n"
    )
    assert policy.read_bytes() == EMPTY


def test_fix_write_failure_is_a_clear_error_not_a_traceback(
    here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that refuses new files (what mkstemp meets there) is exit 2, no crash."""
    policy = here / "role.json"
    policy.write_bytes(EMPTY)

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert _fix(policy, "--write") == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "accessdenied fix: cannot write role.json: Permission denied; not modified\n"
    )
    assert policy.read_bytes() == EMPTY


def test_fix_denial_text_without_a_denial_changes_nothing(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = here / "role.json"
    policy.write_bytes(EMPTY)
    before = os.stat(policy).st_mtime_ns
    assert _fix(policy, "--write", denial="HTTP 200 OK, all good") == 2
    assert capsys.readouterr().err == (
        "accessdenied fix: no AccessDenied message found in --denial-text\n"
    )
    assert policy.read_bytes() == EMPTY
    assert os.stat(policy).st_mtime_ns == before
