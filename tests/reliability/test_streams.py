"""Terminal-safe `scan` output, redaction in every spelling, rewrites beyond the first
64 bytes, copytruncate, and UTF-16 logs (with and without a BOM)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accessdenied.denials import LogTail, redact, scan_file
from accessdenied.text import neutralize_bidi, strip_controls
from tests.reliability.helpers import DENIAL, cli

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEBYaDHVzLWVhc3QtMSJHMEUCIQDexampleTokenValue1234567890"
ODD_TOKEN = "QWxhZGRpbjpvcGVuIHNlc2FtZQexampletoken0123456789"
SIG = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


def _denial(resource: str) -> str:
    return DENIAL.replace('"arn:aws:s3:::b/k"', f'"{resource}"')


@pytest.mark.parametrize(
    "spelling",
    [
        f"aws-secret-access-key={SECRET}",
        f"aws --aws-secret-access-key {SECRET} s3 ls",
        f"secret-access-key: {SECRET}",
        f"AWS_SECRET_ACCESS_KEY={SECRET}",
        f'"SecretAccessKey": "{SECRET}"',
        f"aws-session-token={TOKEN}",
        f"security-token: {ODD_TOKEN}",
        f"X-Amz-Security-Token={ODD_TOKEN}&X-Amz-Date=20260101T000000Z",
        f"X-Amz-Security-Token: {ODD_TOKEN}",
        f"X-Amz-Credential=x&X-Amz-Signature={SIG}",
        f"Authorization: AWS4-HMAC-SHA256 Credential=x, Signature={SIG}",
    ],
)
def test_redact_every_spelling(spelling: str) -> None:
    out = redact(spelling)
    for secret in (SECRET, TOKEN, ODD_TOKEN, SIG):
        assert secret not in out
    assert "<redacted>" in out


def test_redaction_keeps_ordinary_words() -> None:
    text = "the secret key is rotated; session token expired"
    assert redact(text) == text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_scan_never_prints_a_secret_in_any_spelling(tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "creds.log"
    log.write_text(
        f"aws --aws-secret-access-key {SECRET} s3 cp x s3://b/k\n"
        f"{_denial(f'arn:aws:s3:::b/k?X-Amz-Security-Token={ODD_TOKEN}')}\n"
        f"{_denial(f'arn:aws:s3:::b/k?X-Amz-Signature={SIG}')}\n",
        encoding="utf-8",
    )
    p = cli("scan", str(log), "--format", fmt)
    assert p.returncode == 1, p.stderr
    for secret in (SECRET, ODD_TOKEN, SIG):
        assert secret.encode() not in p.stdout


HOSTILE_RESOURCE = (
    "arn:aws:s3:::b/\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
    "\x1b[2J\x1b[31mred\x1bP+q\x1b\\\x9b31m\x07\x08\u202etxt.exe"
)


def test_scan_text_output_has_no_control_bytes(tmp_path: Path) -> None:
    log = tmp_path / "esc.log"
    log.write_text(_denial(HOSTILE_RESOURCE) + "\n", encoding="utf-8")
    p = cli("scan", str(log))
    assert p.returncode == 1, p.stderr
    out = p.stdout.decode()
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "resource: arn:aws:s3:::b/clickredtxt.exe" not in out
    assert "arn:aws:s3:::b/clickred<U+202E>txt.exe" in out


def test_strip_controls_and_bidi_exact() -> None:
    assert strip_controls("a\x1b[1;31mb\x1b[0m\x1b]0;title\x07c\x9b2Jd\x00e") == "abcde"
    assert neutralize_bidi("x\u202ey\u2066z") == "x<U+202E>y<U+2066>z"


def test_rewrite_beyond_the_first_64_bytes_is_noticed(tmp_path: Path) -> None:
    """Truncate-and-rewrite within one poll with the same 200-byte header."""
    path = tmp_path / "app.log"
    header = "#" * 199 + "\n"
    path.write_text(header + "x" * 50 + "\n" + DENIAL + "\n", encoding="utf-8")
    tail = LogTail(path)
    assert [d.span.start_line for d in tail.poll()] == [3]
    with open(path, "w", encoding="utf-8") as fh:  # truncate + rewrite, larger
        fh.write(header + "y" * 50 + "\n" + "z" * 300 + "\n" + DENIAL + "\n")
    assert [d.span.start_line for d in tail.poll()] == [4]


def test_copytruncate_then_growth_past_the_old_offset(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("start\n" + DENIAL + "\n", encoding="utf-8")
    tail = LogTail(path)
    assert len(tail.poll()) == 1
    # logrotate copytruncate: the file is emptied, then the app keeps writing.
    with open(path, "r+", encoding="utf-8") as fh:
        fh.truncate(0)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("start\n" + "n" * 600 + "\n" + DENIAL + "\n")
    assert [d.span.start_line for d in tail.poll()] == [3]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["bom", "bomless"])
def test_utf16_logs_are_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "ps.log"
    text = "PS C:\\> aws s3 cp x s3://b/k\r\n" + DENIAL + "\r\n"
    path.write_bytes(text.encode(encoding))
    (d,) = list(scan_file(path))
    assert (d.span.start_line, d.action, d.resource) == (
        2,
        "s3:PutObject",
        "arn:aws:s3:::b/k",
    )
    tail = LogTail(path)
    (t,) = tail.poll()
    assert (t.span.start_line, t.action) == (2, "s3:PutObject")
    with open(path, "ab") as fh:  # PowerShell appends without a second BOM
        fh.write((DENIAL + "\r\n").encode("utf-16-le"))
    (t2,) = tail.poll()
    assert t2.span.start_line == 3
    p = cli("scan", str(path), "--format", "json")
    assert [r["line"] for r in json.loads(p.stdout)["denials"]] == [2, 3]


def test_aws_cli_progress_cr_lines_as_the_editor_counts_them(tmp_path: Path) -> None:
    """aws-cli redraws progress with a bare CR: the LSP watcher counts it as a line
    break (as editors do), the CLI keeps grep's line numbers."""
    path = tmp_path / "cp.log"
    text = (
        "Completed 1.0 KiB/2.0 KiB (1 KiB/s) with 1 file(s) remaining\r"
        "Completed 2.0 KiB/2.0 KiB (2 KiB/s) with 1 file(s) remaining\r"
        f"upload failed: ./k to s3://b/k {DENIAL}\n"
    )
    path.write_text(text, encoding="utf-8")
    (lsp,) = LogTail(path, lsp_lines=True).poll()
    column = text.split("\r")[2].index("User: ") + 1
    assert (lsp.span.start_line, lsp.span.start_column) == (3, column)
    (cli_d,) = list(scan_file(path))
    assert cli_d.span.start_line == 1


def test_hover_table_cells_escape_pipes_and_bidi() -> None:
    from accessdenied.lsp import convert

    assert convert.table_cell("a|b") == "`a\\|b`"
    assert convert.table_cell("x\u202ey") == "`x<U+202E>y`"
    # Rendered as "*x*<U+2066>": the marker is escaped like any other angle bracket.
    assert convert.escape_markdown("*x*\u2066") == "\\*x\\*\\<U+2066\\>"
