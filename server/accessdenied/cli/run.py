"""`accessdenied run -- CMD [ARG...]`: run CMD, pass its output through, tee it to a log.

The output goes to our stdout/stderr unchanged (byte for byte, unbuffered) and is appended to
`.accessdenied/terminal.log` under the current directory (or `--log PATH`), which the
language server watches. The exit status is CMD's (128+N when a signal killed it); SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH received by the wrapper go to CMD.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import IO, Any

DEFAULT_LOG = Path(".accessdenied") / "terminal.log"
_FORWARD = tuple(
    getattr(signal, name)
    for name in (
        "SIGINT",
        "SIGTERM",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGWINCH",
    )
    if hasattr(signal, name)
)


def add_parser(sub: Any) -> None:
    """Register the `run` subcommand."""
    p = sub.add_parser(
        "run",
        help="run a command, tee its output to .accessdenied/terminal.log for the server",
        description=(
            "Run CMD with its output passed through unchanged and appended to "
            ".accessdenied/terminal.log (or --log PATH), which the accessdenied language "
            "server watches. Exits with CMD's status."
        ),
    )
    p.add_argument(
        "--log", metavar="PATH", help="log file (default .accessdenied/terminal.log)"
    )
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD [ARG...]")
    p.set_defaults(func=run)


def _pump(proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    assert proc.stdout is not None
    assert proc.stderr is not None
    targets = {
        proc.stdout.fileno(): sys.stdout.fileno(),
        proc.stderr.fileno(): sys.stderr.fileno(),
    }
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            fd = key.fd
            try:
                data = os.read(fd, 65536)
            except InterruptedError:  # pragma: no cover - PEP 475 retries
                continue
            if not data:
                sel.unregister(key.fileobj)
                open_fds -= 1
                continue
            _write_all(targets[fd], data)
            try:
                log.write(data)
                log.flush()
            except OSError:
                pass  # a full disk must not break the user's command


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BrokenPipeError:
            return
        view = view[n:]


def run(args: argparse.Namespace) -> int:
    """Run the command and return its exit status."""
    cmd = list(args.command)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        sys.stderr.write(
            "accessdenied run: usage: accessdenied run [--log PATH] -- CMD [ARG...]\n"
        )
        return 2
    log_path = Path(args.log) if args.log else Path.cwd() / DEFAULT_LOG
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        sys.stderr.write(
            f"accessdenied run: cannot open log {log_path}: {exc.strerror}\n"
        )
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        log.close()
        sys.stderr.write(f"accessdenied run: {cmd[0]}: {exc.strerror or exc}\n")
        return 127 if isinstance(exc, FileNotFoundError) else 126

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in _FORWARD}
    try:
        _pump(proc, log)
        status = proc.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        log.close()
    return 128 - status if status < 0 else status
