"""No reader blocks on a FIFO, a socket, a device or a symlink to one, and every read is
bounded: index, log discovery, LogTail, scan, check and fix finish within seconds."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from accessdenied import safeio
from accessdenied.denials import LogTail, scan_file
from accessdenied.workspace import build_index
from tests.reliability.helpers import DENIAL, cli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")
# A valid policy (an empty Statement is itself a finding: "Missing statement").
EMPTY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", '
    '"Resource": "*"}]}\n'
)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A workspace full of things that must never be opened for reading."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "ok.json").write_text(EMPTY, encoding="utf-8")
    (ws / "ok.log").write_text(DENIAL + "\n", encoding="utf-8")
    os.mkfifo(ws / "fifo.json")
    os.mkfifo(ws / "fifo.log")
    os.symlink("/dev/zero", ws / "zero.json")
    os.symlink("/dev/zero", ws / "zero.log")
    os.symlink("/dev/stdin", ws / "events.json")
    os.symlink("fifo.json", ws / "link-to-fifo.json")
    sock = socket.socket(socket.AF_UNIX)
    path = str(ws / "s.json")
    if len(path) < 100:
        sock.bind(path)
    sock.close()
    return ws


def test_safeio_refuses_fifo_and_device_without_blocking(hostile: Path) -> None:
    start = time.monotonic()
    for name in ("fifo.json", "zero.json", "link-to-fifo.json"):
        with pytest.raises(safeio.UnsafeFileError):
            safeio.read_bytes(hostile / name)
        assert not safeio.is_regular_file(hostile / name)
    assert safeio.read_text(hostile / "ok.json") == EMPTY
    assert time.monotonic() - start < 10  # a hang guard, not a speed target


def test_size_bound_is_enforced(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(safeio.UnsafeFileError, match="larger than 1024"):
        safeio.read_bytes(big, limit=1024)


def test_build_index_skips_special_files(hostile: Path) -> None:
    start = time.monotonic()
    index = build_index(hostile)
    assert list(index.files) == [hostile / "ok.json"]
    assert time.monotonic() - start < 10


def test_log_tail_on_fifo_and_device_yields_nothing(hostile: Path) -> None:
    for name in ("fifo.log", "zero.log"):
        tail = LogTail(hostile / name)
        start = time.monotonic()
        assert tail.poll() == []
        assert time.monotonic() - start < 10  # a hang guard, not a speed target


def test_scan_file_refuses_a_fifo(hostile: Path) -> None:
    with pytest.raises(safeio.UnsafeFileError, match="a FIFO"):
        list(scan_file(hostile / "fifo.log"))


def test_scan_cli_directory_skips_special_files(hostile: Path) -> None:
    p = cli("scan", str(hostile), "--format", "json", timeout=60)
    assert p.returncode == 1, p.stderr
    (d,) = json.loads(p.stdout)["denials"]
    assert d["file"].endswith("ok.log")


@pytest.mark.parametrize("name", ["fifo.log", "zero.log"])
def test_scan_cli_explicit_special_file_is_a_usage_error(
    hostile: Path, name: str
) -> None:
    p = cli("scan", str(hostile / name), timeout=30)
    assert p.returncode == 2
    assert p.stderr.decode().endswith(f"{hostile / name}: not a regular file\n")


def test_check_cli_directory_with_special_files_finishes(hostile: Path) -> None:
    p = cli("check", str(hostile), "--format", "json", timeout=60)
    assert json.loads(p.stdout) == {"findings": []}


def test_fix_log_fifo_is_a_usage_error(hostile: Path) -> None:
    p = cli(
        "fix", "--log", str(hostile / "fifo.log"), "--policy", "ok.json",
        cwd=hostile, timeout=30,
    )  # fmt: skip
    assert p.returncode == 2
    assert b"a FIFO, not read" in p.stderr
