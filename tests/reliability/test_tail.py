"""LogTail under hostile writers: rotation to a smaller/same-size file, bytes that are
not UTF-8, CRLF, a character split across writes, and paths that are not files."""

from __future__ import annotations

import os
from pathlib import Path

from accessdenied.denials import LogTail
from tests.reliability.helpers import DENIAL

LINE = DENIAL + "\n"
USER_COLUMN = DENIAL.index("User: ") + 1


def _lines(tail: LogTail) -> list[int]:
    return [d.span.start_line for d in tail.poll()]


def test_rotation_to_a_smaller_file_reads_it_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text("x" * 5000 + "\n" + LINE, encoding="utf-8")
    tail = LogTail(path)
    assert _lines(tail) == [2]
    path.rename(tmp_path / "t.log.1")
    path.write_text(LINE, encoding="utf-8")
    assert _lines(tail) == [1]
    assert tail.poll() == []


def test_rotation_to_a_same_size_file_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    first = "a" * 40 + "\n" + LINE
    second = LINE + "b" * 40 + "\n"
    assert len(first) == len(second)
    path.write_text(first, encoding="utf-8")
    tail = LogTail(path)
    assert _lines(tail) == [2]
    path.rename(tmp_path / "t.log.1")
    path.write_text(second, encoding="utf-8")
    assert _lines(tail) == [1]


def test_appended_garbage_nul_crlf_and_split_character(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_bytes(b"")
    tail = LogTail(path)
    assert tail.poll() == []
    with path.open("ab") as fh:
        fh.write(b"\x00\x00\xff\xfe\x80 junk\r\n")
        fh.write("caf\u00e9 ".encode()[:-2])  # first byte of the two-byte é only
        fh.flush()
        assert tail.poll() == []
        fh.write("caf\u00e9 ".encode()[-2:] + b"\r\n" + DENIAL.encode() + b"\r\n")
    (d,) = tail.poll()
    assert (d.span.start_line, d.span.start_column) == (3, USER_COLUMN)
    assert d.span.end_column == len(DENIAL) + 1
    assert d.action == "s3:PutObject"
    assert tail.poll() == []


def test_path_is_a_symlink_loop_or_directory_polls_empty(tmp_path: Path) -> None:
    loop = tmp_path / "loop.log"
    os.symlink("loop.log", loop)
    assert LogTail(loop).poll() == []
    folder = tmp_path / "dir.log"
    folder.mkdir()
    assert LogTail(folder).poll() == []


def test_deleted_then_recreated_as_symlink_to_new_file(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(LINE, encoding="utf-8")
    tail = LogTail(path)
    assert _lines(tail) == [1]
    path.unlink()
    assert tail.poll() == []
    target = tmp_path / "run-2.log"
    target.write_text("start\n" + LINE, encoding="utf-8")
    os.symlink(target.name, path)
    assert _lines(tail) == [2]
