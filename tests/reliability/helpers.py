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


# Run the CLI and report the process's own high-water RSS. ru_maxrss from wait4 is not
# usable: Linux folds the pre-exec memory of the forked (large) test process into it.
_HWM = (
    "import atexit, runpy, sys\n"
    "def hwm():\n"
    "    with open('/proc/self/status') as fh:\n"
    "        kib = [l.split()[1] for l in fh if l.startswith('VmHWM:')][0]\n"
    "    sys.stderr.write(f'\\nVmHWM {kib}\\n')\n"
    "    sys.stderr.flush()\n"
    "atexit.register(hwm)\n"
    "sys.argv = ['accessdenied', *sys.argv[1:]]\n"
    "runpy.run_module('accessdenied', run_name='__main__', alter_sys=True)\n"
)


def peak_rss_kib(args: list[str], cwd: Path = REPO) -> tuple[int, int, bytes]:
    """(exit status, peak RSS in KiB, stdout) of `accessdenied ARGS` in a fresh process."""
    p = subprocess.run(
        [sys.executable, "-c", _HWM, *args],
        cwd=cwd,
        capture_output=True,
        timeout=300,
        check=False,
    )
    kib = int(p.stderr.rsplit(b"VmHWM ", 1)[1].split()[0])
    return p.returncode, kib, p.stdout


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
