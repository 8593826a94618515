"""`accessdenied trail`: the DESIGN.md json contract, text/sarif, --print-sql, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.cli import main
from tests.contracts import SCAN_DENIAL_KEYS
from tests.unit.trail.trailgen import Planted

DENIAL_KEYS = {*SCAN_DENIAL_KEYS, "account", "region", "event_time", "event_id"}
GROUP_KEYS = {
    "principal",
    "action",
    "resource",
    "count",
    "first_seen",
    "last_seen",
    "accounts",
    "regions",
}


def test_trail_cli_json_contract(
    small_trail: tuple[Path, list[Planted]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, planted = small_trail
    assert main(["trail", "--local", str(root), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert len(out["denials"]) == len(planted)
    for rec in out["denials"]:
        assert set(rec) >= DENIAL_KEYS
        assert rec["line"] >= 1
        assert rec["column"] >= 1
    assert sum(g["count"] for g in out["groups"]) == len(planted)
    for g in out["groups"]:
        assert set(g) >= GROUP_KEYS
    assert out["summary"]["engine"] == "duckdb"
    # The session token-like access key id in userIdentity never reaches the output.
    assert "ASIAEXAMPLEEXAMPLE" not in json.dumps(out)


def test_trail_cli_text_and_sarif(
    small_trail: tuple[Path, list[Planted]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, planted = small_trail
    assert main(["trail", "--local", str(root), "--account", "777788889999"]) == 1
    text = capsys.readouterr().out
    assert "who:" in text
    assert "777788889999" in text
    assert "denials in" in text
    assert main(["trail", "--local", str(root), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(planted)
    assert results[0]["properties"]["event_id"]


def test_trail_cli_nothing_found_exits_zero(
    small_trail: tuple[Path, list[Planted]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = small_trail
    assert main(["trail", "--local", str(root), "--since", "2031-01-01"]) == 0
    assert "no AWS access denials found" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--athena", "t"], "--workgroup"),
        (["--local", "DIR", "--since", "yesterday-ish"], "not a time"),
        (["--local", "DIR", "--account", "12"], "12 digits"),
        (["--local", "DIR", "--region", "mars"], "not a region"),
        (["--local", "DIR", "--principal", "app-role"], "ARN"),
        (["--local", "DIR", "--since", "2026-12-02", "--until", "2026-12-01"], "after"),
        (["--local", "DIR", "--write"], "--fix"),
        (["--local", "/nonexistent/trail"], "not a directory"),
        (["--lake", "bad id!", "--print-sql"], "event data store"),
    ],
)
def test_trail_cli_usage_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(tmp_path) if a == "DIR" else a for a in argv]
    assert main(["trail", *argv]) == 2
    assert message in capsys.readouterr().err


def test_trail_cli_print_sql(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [
        "trail",
        "--athena",
        "cloudtrail_logs_pp",
        "--workgroup",
        "wg",
        "--print-sql",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-08",
        "--account",
        "111122223333",
        "--region",
        "us-east-1",
        "--s3-location",
        "s3://trail-bucket/AWSLogs/",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "CREATE EXTERNAL TABLE default.cloudtrail_logs_pp(" in out
    assert "'projection.enabled'='true'" in out
    assert "FROM default.cloudtrail_logs_pp" in out
    assert "\"timestamp\" >= '2026/11/01'" in out
    assert main(["trail", "--local", str(tmp_path), "--print-sql"]) == 0
    assert "REGEXP_MATCHES" in capsys.readouterr().out
    assert main(["trail", "--lake", "EXAMPLE-f852-4e8f", "--print-sql"]) == 0
    assert "FROM EXAMPLE-f852-4e8f" in capsys.readouterr().out


def test_trail_cli_exit_status_documented_alike(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--help, docs/trail.md and docs/cli.md name the same exit statuses."""
    from tests.paths import REPO

    with pytest.raises(SystemExit):
        main(["trail", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for status in ("0 no denial found", "1 denials found", "2 usage or configuration"):
        assert status in help_text
    assert "3 the query failed, timed out or was cancelled" in help_text
    assert "130 after Ctrl-C" in help_text
    for doc in ("docs/trail.md", "docs/cli.md"):
        text = " ".join((REPO / doc).read_text(encoding="utf-8").split())
        assert "failed, timed out or was cancelled" in text, doc
        assert "130 after Ctrl-C" in text, doc
        assert "2 on usage or configuration errors" in text or (
            "2 usage or configuration errors" in text
        ), doc
