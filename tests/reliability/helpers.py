"""Shared helpers for the reliability suite: CLI subprocesses, peak RSS, big logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

BUILD = REPO / "build" / "reliability"

DENIAL = (
    "An error occurred (AccessDenied) when calling the PutObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/app/dev is not authorized to perform: "
    's3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy '
    "allows the s3:PutObject action"
)
FILLER = (
    "2026-11-29T05:00:00Z INFO request handled in 12ms path=/api/v1/items "
    "status=200 user=alice\n"
)


def cli(
    *args: str, cwd: Path = REPO, stdin: bytes = b"", timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """`python -m accessdenied ARGS` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "accessdenied", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def peak_rss_kib(argv: list[str], cwd: Path = REPO) -> tuple[int, int, bytes]:
    """(exit status, peak RSS in KiB, stdout) of one child process, measured by wait4."""
    with (
        open(os.devnull, "wb") as devnull,
        subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=devnull) as proc,
    ):
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, out


def big_log(megabytes: int) -> Path:
    """A log of about `megabytes` MB: filler lines and one denial per MB (cached in build/)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / f"log-{megabytes}mb.log"
    chunk = FILLER * (1_000_000 // len(FILLER)) + DENIAL + "\n"
    size = len(chunk.encode()) * megabytes
    if path.is_file() and path.stat().st_size == size:
        return path
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for _ in range(megabytes):
            f.write(chunk)
    os.replace(tmp, path)
    return path
