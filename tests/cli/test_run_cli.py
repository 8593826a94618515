"""`accessdenied run -- CMD`: pass-through, tee to .accessdenied/terminal.log, exit status,
signal forwarding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUN = [sys.executable, "-m", "accessdenied", "run"]


def test_output_passthrough_tee_and_exit_status(tmp_path: Path) -> None:
    script = "import sys; sys.stdout.write('out\\n'); sys.stderr.write('err\\n'); sys.exit(7)"
    p = subprocess.run(
        [*RUN, "--", sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 7
    assert p.stdout == b"out\n"
    assert p.stderr == b"err\n"
    log = (tmp_path / ".accessdenied" / "terminal.log").read_bytes()
    assert b"out\n" in log
    assert b"err\n" in log


def test_log_option_appends_bytes_unchanged(tmp_path: Path) -> None:
    log = tmp_path / "custom" / "t.log"
    payload = "\x1b[31mcolour\x1b[0m ünïcode\r\n"
    for _ in range(2):
        p = subprocess.run(
            [
                *RUN,
                "--log",
                str(log),
                "--",
                sys.executable,
                "-c",
                f"print({payload!r}, end='')",
            ],
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert p.returncode == 0
        assert p.stdout == payload.encode()
    assert log.read_bytes() == payload.encode() * 2


def test_missing_command_is_usage_error(tmp_path: Path) -> None:
    p = subprocess.run(
        [*RUN], cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    assert p.returncode == 2
    nf = subprocess.run(
        [*RUN, "--", "definitely-not-a-command-xyz"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert nf.returncode == 127


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_signal_forwarded_to_child(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (
        "import signal, sys, time, pathlib\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(42)))\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [*RUN, "--", sys.executable, "-c", script],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "child never started"
        assert proc.poll() is None
        time.sleep(0.02)
    time.sleep(0.1)  # the wrapper installs its handlers before starting the child
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 42
    assert b"got TERM" in out


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_child_killed_by_signal_reports_128_plus_n(tmp_path: Path) -> None:
    p = subprocess.run(
        [
            *RUN,
            "--",
            sys.executable,
            "-c",
            "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 128 + signal.SIGKILL
