"""Hostile files for `accessdenied scan`, `scan_file`, `check` and `build_index`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from accessdenied.denials import scan_file
from accessdenied.workspace import build_index
from tests.reliability.helpers import DENIAL, big_log, cli, peak_rss_kib

# The denial's span starts at the "User: ..." sentence, after the SDK prefix.
USER_COLUMN = DENIAL.index("User: ") + 1
POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}\n'


def test_scan_memory_is_bounded_independent_of_log_size() -> None:
    small, large = big_log(50), big_log(200)
    argv = ["scan", "--format", "json"]
    rc_small, rss_small, out_small = peak_rss_kib([*argv, str(small)])
    rc_large, rss_large, out_large = peak_rss_kib([*argv, str(large)])
    assert (rc_small, rc_large) == (1, 1)
    # One denial per MB: every one found, on the line where it was written.
    found = json.loads(out_large)["denials"]
    assert len(json.loads(out_small)["denials"]) == 50
    assert len(found) == 200
    assert found[-1]["action"] == "s3:PutObject"
    per_mb = 1 + 1_000_000 // len(
        "2026-11-29T05:00:00Z INFO request handled in 12ms path=/api/v1/items "
        "status=200 user=alice\n"
    )
    assert found[-1]["line"] == 200 * per_mb
    # 4x the input: peak RSS grows by far less than the file (streamed, not read whole).
    assert rss_large < rss_small + 20 * 1024, (rss_small, rss_large)
    assert rss_large < 150 * 1024, rss_large


def test_scan_file_crlf_positions_exclude_carriage_return(tmp_path: Path) -> None:
    log = tmp_path / "crlf.log"
    log.write_bytes(b"first line\r\n" + DENIAL.encode() + b"\r\nlast\r\n")
    (d,) = list(scan_file(log))
    assert (d.span.start_line, d.span.start_column) == (2, USER_COLUMN)
    assert d.span.end_line == 2
    assert d.span.end_column == len(DENIAL) + 1
    assert "\r" not in d.text
    assert d.resource == "arn:aws:s3:::b/k"


def test_scan_cli_invalid_utf8_nul_and_binary_find_exact_denial(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    log.write_bytes(
        os.urandom(4096).replace(b"\n", b"")
        + b"\n\x00\x00\x00\n\xff\xfe\xfd\n"
        + DENIAL.encode("utf-8")
        + b"\x00\xc3\x28\n"
    )
    p = cli("scan", str(log), "--format", "json")
    assert p.returncode == 1, p.stderr
    (r,) = json.loads(p.stdout)["denials"]
    assert (r["line"], r["column"]) == (4, USER_COLUMN)
    assert r["principal"] == "arn:aws:sts::111122223333:assumed-role/app/dev"
    assert r["action"] == "s3:PutObject"


def test_scan_cli_pure_binary_file_nothing_found(tmp_path: Path) -> None:
    blob = tmp_path / "core.bin"
    blob.write_bytes(bytes(range(256)) * 4000)
    p = cli("scan", str(blob))
    assert p.returncode == 0
    assert p.stdout == b"no AWS access denials found (1 file scanned)\n"


def _tree_with_loops(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    os.symlink("..", root / "sub" / "up")
    os.symlink(root, root / "sub" / "self")
    os.symlink("b.log", root / "a.log")  # a.log -> b.log -> a.log
    os.symlink("a.log", root / "b.log")
    os.symlink("gone.log", root / "dangling.log")
    (root / "sub" / "x.log").write_text(DENIAL + "\n", encoding="utf-8")
    (root / "p.json").write_text(POLICY, encoding="utf-8")
    return root


def test_scan_directory_with_symlink_loops_terminates_and_reports(
    tmp_path: Path,
) -> None:
    root = _tree_with_loops(tmp_path / "ws")
    p = cli("scan", str(root), "--format", "json", timeout=60)
    assert p.returncode == 1, p.stderr
    records = json.loads(p.stdout)["denials"]
    assert [(Path(r["file"]).name, r["line"]) for r in records] == [("x.log", 1)]


def test_build_index_with_symlink_loops_terminates(tmp_path: Path) -> None:
    root = _tree_with_loops(tmp_path / "ws")
    index = build_index(root)
    assert sorted(p.name for p in index.files) == ["p.json"]


def test_build_index_three_thousand_policy_files(tmp_path: Path) -> None:
    for i in range(3000):
        d = tmp_path / f"team{i % 60}"
        d.mkdir(exist_ok=True)
        (d / f"role-{i}.json").write_text(POLICY, encoding="utf-8")
    start = time.perf_counter()
    index = build_index(tmp_path)
    elapsed = time.perf_counter() - start
    assert len(index.files) == 3000
    assert elapsed < 20, elapsed


def test_check_one_megabyte_policy_reports_exact_finding(tmp_path: Path) -> None:
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::bucket-{i}/*",
        }
        for i in range(5600)
    ]
    statements.append(
        {"Sid": "Typo", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}
    )
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    assert len(text) > 1_000_000
    policy = tmp_path / "huge.json"
    policy.write_text(text, encoding="utf-8")
    typo_line = text[: text.index('"s3:GetObjekt"')].count("\n") + 1
    p = cli("check", str(policy), "--format", "json", cwd=tmp_path, timeout=120)
    assert p.returncode == 1, p.stderr
    (f,) = json.loads(p.stdout)["findings"]
    assert (f["line"], f["code"], f["severity"]) == (
        typo_line,
        "unknown-action",
        "error",
    )
    assert f["message"] == (
        '"s3:GetObjekt" is not an action of Amazon S3 (did you mean "s3:GetObject"?)'
    )


def test_scan_file_column_on_a_line_longer_than_max_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line cut for the memory bound still reports the true column of the denial."""
    from accessdenied.denials import stream

    monkeypatch.setattr(stream, "MAX_LINE", 64 << 10)
    monkeypatch.setattr(stream, "CHUNK", 16 << 10)
    log = tmp_path / "long.log"
    prefix = (
        "é" * 100_000 + "x" * 100_000 + " "
    )  # multi-byte: columns count code points
    log.write_text("first\n" + prefix + DENIAL + "\nlast\n", encoding="utf-8")
    (d,) = list(scan_file(log))
    assert (d.span.start_line, d.span.start_column) == (
        2,
        len(prefix) + USER_COLUMN,
    )
    assert (d.span.end_line, d.span.end_column) == (2, len(prefix) + len(DENIAL) + 1)
    text = log.read_text(encoding="utf-8")
    assert text[d.span.start : d.span.end] == DENIAL[USER_COLUMN - 1 :]
