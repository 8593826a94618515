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
import stat
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


def _open_log(path: Path, explicit: bool) -> IO[bytes]:
    """Open the tee log for appending without ever writing outside or blocking.

    The default log (`.accessdenied/terminal.log`, inside a possibly hostile checkout)
    must stay inside the working directory: a symlinked `.accessdenied` or log pointing
    elsewhere is refused, as is any log that is not a regular file (a FIFO would block
    the command, a device would swallow it). An explicit --log may be a symlink.
    """
    from accessdenied import safeio

    flags = (
        os.O_WRONLY
        | os.O_APPEND
        | os.O_CREAT
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_NONBLOCK", 0)
    )
    if not explicit:
        if not safeio.is_within(path.parent, (Path.cwd(),)):
            raise OSError(
                f"{path.parent} resolves to {os.path.realpath(path.parent)}, "
                "outside the working directory; not written"
            )
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if path.is_symlink():
            raise OSError("a symbolic link; not followed (it could point anywhere)")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        raise OSError(f"{safeio.kind_of(mode)}, not a regular file")
    fd = os.open(path, flags, 0o644)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{safeio.kind_of(st.st_mode)}, not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "ab")
    except BaseException:
        os.close(fd)
        raise


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
        log = _open_log(log_path, explicit=bool(args.log))
    except OSError as exc:
        sys.stderr.write(
            f"accessdenied run: cannot open log {log_path}: {exc.strerror or exc}\n"
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
