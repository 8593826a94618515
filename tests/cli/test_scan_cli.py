"""`accessdenied scan`: the JSON contract (shared/DESIGN.md), text, SARIF, exit codes, stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.contracts import SCAN_DENIAL_KEYS
from tests.paths import EXAMPLES, REPO

KEYS = list(SCAN_DENIAL_KEYS)
DENIAL = (
    "An error occurred (AccessDenied) when calling the PutObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/app/dev is not authorized to perform: "
    's3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows '
    "the s3:PutObject action\n"
)


def scan(
    *args: str,
    stdin: bytes | None = None,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "accessdenied", "scan", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_json_contract_on_examples() -> None:
    p = scan("examples/logs/terminal.log", "--format", "json")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert list(doc) == ["denials"]
    recs = doc["denials"]
    assert len(recs) == 2
    for r in recs:
        assert list(r) == KEYS
        assert r["file"] == "examples/logs/terminal.log"
    first = recs[0]
    assert first["line"] == 2
    assert (
        first["principal"]
        == "arn:aws:sts::111122223333:assumed-role/app-role/dev-session"
    )
    assert first["action"] == "s3:PutObject"
    assert first["resource"] == "arn:aws:s3:::acme-reports/2026/11/report.csv"
    assert first["decision"] == "implicit"
    assert first["policy_type"] == "identity"
    assert first["operation"] == "PutObject"
    assert first["service"] == "s3"
    lines = (
        (EXAMPLES / "logs" / "terminal.log").read_text(encoding="utf-8").splitlines()
    )
    line = lines[first["line"] - 1]
    assert line[first["column"] - 1 : first["end_column"] - 1] == first["text"]
    assert recs[1]["decision"] == "explicit"


def test_directory_walk_and_file_as_given(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.log").write_text(DENIAL, encoding="utf-8")
    (tmp_path / "a" / "y.out").write_text("ok\n" + DENIAL, encoding="utf-8")
    (tmp_path / "a" / "skip.py").write_text(DENIAL, encoding="utf-8")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "z.log").write_text(DENIAL, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "z.txt").write_text(DENIAL, encoding="utf-8")
    p = scan(".", "--format", "json", cwd=tmp_path)
    assert p.returncode == 1
    files = [(r["file"], r["line"]) for r in json.loads(p.stdout)["denials"]]
    assert files == [
        (os.path.join(".", "a", "x.log"), 1),
        (os.path.join(".", "a", "y.out"), 2),
    ]


def test_nothing_found_exit_0(tmp_path: Path) -> None:
    (tmp_path / "clean.log").write_text("all good\n", encoding="utf-8")
    p = scan(str(tmp_path / "clean.log"), "--format", "json")
    assert p.returncode == 0
    assert json.loads(p.stdout) == {"denials": []}
    t = scan(str(tmp_path / "clean.log"))
    assert t.returncode == 0
    assert b"no AWS access denials found" in t.stdout


def test_missing_file_is_usage_error() -> None:
    p = scan("does/not/exist.log")
    assert p.returncode == 2
    assert b"does/not/exist.log: no such file or directory" in p.stderr
    assert p.stdout == b""


def test_bad_format_is_usage_error() -> None:
    p = scan("examples/", "--format", "xml")
    assert p.returncode == 2


def test_stdin_dash() -> None:
    p = scan("-", "--format", "json", stdin=b"noise\n" + DENIAL.encode())
    assert p.returncode == 1
    (r,) = json.loads(p.stdout)["denials"]
    assert r["file"] == "-"
    assert r["line"] == 2


def test_binary_and_invalid_utf8_input(tmp_path: Path) -> None:
    f = tmp_path / "bin.log"
    f.write_bytes(b"\x00\x01\xff\xfe\x80\n" * 100 + DENIAL.encode() + b"\xc3\x28\x00")
    p = scan(str(f), "--format", "json")
    assert p.returncode == 1
    (r,) = json.loads(p.stdout)["denials"]
    assert r["line"] == 101
    assert r["action"] == "s3:PutObject"


def test_text_output_blocks_no_colour_when_piped() -> None:
    p = scan("examples/logs/terminal.log")
    assert p.returncode == 1
    out = p.stdout.decode()
    assert "\x1b[" not in out
    assert "examples/logs/terminal.log:2:" in out
    assert (
        "who:      arn:aws:sts::111122223333:assumed-role/app-role/dev-session" in out
    )
    assert "what:     s3:PutObject" in out
    assert "resource: arn:aws:s3:::acme-reports/2026/11/report.csv" in out
    assert (
        "why:      implicit deny: no identity-based policy allows s3:PutObject" in out
    )
    assert "2 denials in 1 file" in out


def test_colour_forced_and_no_color_wins() -> None:
    forced = scan(
        "examples/logs/terminal.log", env={"FORCE_COLOR": "1", "NO_COLOR": ""}
    )
    assert b"\x1b[" in forced.stdout
    plain = scan("examples/logs/terminal.log", env={"NO_COLOR": "1", "FORCE_COLOR": ""})
    assert b"\x1b[" not in plain.stdout


def test_sarif_2_1_0() -> None:
    p = scan("examples/logs/", "--format", "sarif")
    assert p.returncode == 1
    log = json.loads(p.stdout)
    assert log["version"] == "2.1.0"
    assert "sarif-2.1.0" in log["$schema"]
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "accessdenied"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["aws-access-denied"]
    results = run["results"]
    as_json = json.loads(scan("examples/logs/", "--format", "json").stdout)["denials"]
    assert len(results) == len(as_json) >= 3
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results
    ] == [d["line"] for d in as_json]
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith(".log")
    assert loc["region"]["startLine"] >= 1
    assert results[0]["ruleId"] == "aws-access-denied"
    assert "denied" in results[0]["message"]["text"]


def test_credentials_redacted_in_json_and_text(tmp_path: Path) -> None:
    f = tmp_path / "k.log"
    f.write_text(
        "User: arn:aws:iam::1:user/AKIAIOSFODNN7EXAMPLE is not authorized to perform: "
        "s3:GetObject on resource: arn:aws:s3:::b/AKIAIOSFODNN7EXAMPLE\n",
        encoding="utf-8",
    )
    p = scan(str(f), "--format", "json")
    (r,) = json.loads(p.stdout)["denials"]
    assert "AKIAIOSFODNN7EXAMPLE" not in r["text"]
    t = scan(str(f))
    assert b"AKIAIOSFODNN7EXAMPLE" not in t.stdout.split(b"text:")[-1]
