"""scan_file (streaming, chunk boundaries, bad bytes) and LogTail (append, partial lines,
truncation, rotation, delete + recreate)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from accessdenied.denials import LogTail, scan_file, scan_text
from accessdenied.denials import stream as stream_mod
from accessdenied.text import LineIndex
from tests.paths import CASES, DENIAL_SAMPLE, EXAMPLES, SHARED

LINE = (
    "2026-11-01 10:00:00 ERROR An error occurred (AccessDenied) when calling the PutObject "
    "operation: User: arn:aws:sts::111122223333:assumed-role/app/dev is not authorized to "
    'perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based '
    "policy allows the s3:PutObject action\n"
)
FILLER = "2026-11-01 10:00:00 INFO request served in 12 ms path=/health status=200\n"


def _corpus_text() -> str:
    parts = [FILLER * 50]
    if DENIAL_SAMPLE.is_file():
        for line in DENIAL_SAMPLE.read_text(encoding="utf-8").splitlines():
            parts.append(json.loads(line)["text"] + "\n" + FILLER * 30)
    for log in sorted((EXAMPLES / "logs").glob("*.log")):
        parts.append(log.read_text(encoding="utf-8") + "\n")
    # Every scenario input and peer text too: the stream prefilter must not lose any.
    for case_file in sorted((CASES / "denials").glob("*.json")):
        for case in json.loads(case_file.read_text(encoding="utf-8")):
            parts.append(case["input"] + "\n" + FILLER * 90)
    peers = SHARED / "peers" / "denials.jsonl"
    if peers.is_file():
        for line in peers.read_text(encoding="utf-8").splitlines():
            parts.append(json.loads(line)["text"] + "\n" + FILLER * 90)
    return "".join(parts)


def _key(d: object) -> tuple[object, ...]:
    return (
        d.span.start_line,  # type: ignore[attr-defined]
        d.span.start_column,  # type: ignore[attr-defined]
        d.span.end_line,  # type: ignore[attr-defined]
        d.span.end_column,  # type: ignore[attr-defined]
        d.action,  # type: ignore[attr-defined]
        d.principal,  # type: ignore[attr-defined]
        d.decision,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 777])
def test_scan_file_matches_scan_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    text = _corpus_text()
    path = tmp_path / "all.log"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(stream_mod, "CHUNK", chunk)
    got = [_key(d) for d in scan_file(path)]
    want = [_key(d) for d in scan_text(text)]
    # Windows differ, so allow the rare multi-line message split across a boundary to
    # differ in its extent, but every denial must be found once at the same start.
    assert [k[:2] for k in got] == [k[:2] for k in want]
    assert sum(g == w for g, w in zip(got, want, strict=True)) >= 0.95 * len(want)


def test_scan_file_positions_are_absolute(tmp_path: Path) -> None:
    text = FILLER * 5000 + "héllo wörld\n" + LINE + FILLER * 10
    path = tmp_path / "big.log"
    path.write_text(text, encoding="utf-8")
    (d,) = list(scan_file(path))
    idx = LineIndex(text)
    assert d.span.start_line == 5002
    assert text[d.span.start : d.span.end] == d.text
    assert idx.pos(d.span.start).column == d.span.start_column


def test_scan_file_bad_bytes_and_nul(tmp_path: Path) -> None:
    path = tmp_path / "bin.log"
    path.write_bytes(
        b"\x00\xff\xfe\x80garbage\x00\n" + LINE.encode() + b"\xc3\x28\x00\n"
    )
    found = list(scan_file(path))
    assert len(found) == 1
    assert found[0].action == "s3:PutObject"
    assert found[0].span.start_line == 2


def test_scan_file_binary_noise_no_crash(tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    noise = os.urandom(300_000)
    path.write_bytes(noise + b"\n" + LINE.encode())
    found = list(scan_file(path))
    # Random bytes never spell a denial; the real one after them is still found.
    assert [d.action for d in found] == ["s3:PutObject"]
    assert found[0].span.start_line == noise.count(b"\n") + 2


def test_scan_file_huge_line_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_mod, "MAX_LINE", 64 << 10)
    path = tmp_path / "oneline.log"
    path.write_text(
        "x" * 300_000 + " " + LINE.strip() + " " + "y" * 300_000, encoding="utf-8"
    )
    found = list(scan_file(path))
    assert [d.action for d in found] == ["s3:PutObject"]


def test_logtail_appended_only(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(FILLER + LINE, encoding="utf-8")
    tail = LogTail(path)
    first = tail.poll()
    assert [d.span.start_line for d in first] == [2]
    assert tail.poll() == []
    with path.open("a", encoding="utf-8") as fh:
        fh.write(FILLER + LINE)
    again = tail.poll()
    assert [d.span.start_line for d in again] == [4]


def test_logtail_partial_line_held(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(FILLER, encoding="utf-8")
    tail = LogTail(path)
    assert tail.poll() == []
    half = len(LINE) // 2
    with path.open("a", encoding="utf-8") as fh:
        fh.write(LINE[:half])
    assert tail.poll() == []
    with path.open("a", encoding="utf-8") as fh:
        fh.write(LINE[half:])
    (d,) = tail.poll()
    assert d.resource == "arn:aws:s3:::b/k"
    assert d.decision == "implicit"


def test_logtail_multiline_message_across_polls(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(
        "An error occurred (AccessDenied) when calling the PutObject operation:\n"
        "User: arn:aws:sts::111122223333:assumed-role/app/dev\n",
        encoding="utf-8",
    )
    tail = LogTail(path)
    assert tail.poll() == []
    with path.open("a", encoding="utf-8") as fh:
        fh.write(
            "is not authorized to perform: s3:PutObject\non resource: arn:aws:s3:::b/k\n"
        )
    (d,) = tail.poll()
    assert d.principal == "arn:aws:sts::111122223333:assumed-role/app/dev"
    assert d.span.start_line == 2


def test_logtail_truncation(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(FILLER * 3 + LINE, encoding="utf-8")
    tail = LogTail(path)
    assert len(tail.poll()) == 1
    path.write_text(LINE, encoding="utf-8")  # truncated and rewritten, shorter
    (d,) = tail.poll()
    assert d.span.start_line == 1


def test_logtail_rotation(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(LINE, encoding="utf-8")
    tail = LogTail(path)
    assert len(tail.poll()) == 1
    path.rename(tmp_path / "t.log.1")
    path.write_text(FILLER * 20 + LINE + LINE, encoding="utf-8")  # new inode, bigger
    found = tail.poll()
    assert [d.span.start_line for d in found] == [21, 22]


def test_logtail_delete_and_recreate(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text(LINE, encoding="utf-8")
    tail = LogTail(path)
    assert len(tail.poll()) == 1
    path.unlink()
    assert tail.poll() == []
    path.write_text(FILLER + LINE, encoding="utf-8")
    assert [d.span.start_line for d in tail.poll()] == [2]


def test_logtail_missing_file_then_created(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    tail = LogTail(path)
    assert tail.poll() == []
    path.write_text(LINE, encoding="utf-8")
    assert len(tail.poll()) == 1


def test_prefilter_backends_agree_and_threads_are_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    text = (FILLER * 200 + LINE) * 30
    path = tmp_path / "many.log"
    path.write_text(text, encoding="utf-8")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: [_key(d) for d in scan_file(path)], range(8)))
    assert all(r == results[0] for r in results)
    assert len(results[0]) == 30
    monkeypatch.setenv("ACCESSDENIED_PREFILTER", "stdlib")
    assert stream_mod.prefilter_backend() == "stdlib"
    assert [_key(d) for d in scan_file(path)] == results[0]


def test_logtail_rewrite_that_outgrows_old_offset(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text("first run\n" + LINE, encoding="utf-8")
    tail = LogTail(path)
    assert [d.span.start_line for d in tail.poll()] == [2]
    # Truncated and rewritten (same inode) with more bytes than before, between polls.
    with path.open("w", encoding="utf-8") as fh:
        fh.write("second run, longer header line\n" + FILLER * 3 + LINE)
    assert [d.span.start_line for d in tail.poll()] == [5]


def test_logtail_large_append_read_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_mod, "CHUNK", 4096)
    path = tmp_path / "t.log"
    path.write_text("", encoding="utf-8")
    tail = LogTail(path)
    assert tail.poll() == []
    with path.open("a", encoding="utf-8") as fh:
        fh.write((FILLER * 100 + LINE) * 5)
    assert [d.span.start_line for d in tail.poll()] == [101, 202, 303, 404, 505]


@pytest.mark.parametrize("piece", [1 << 20, 5000, 4099])
def test_mapped_scan_matches_read_scan_and_whole_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """The mmap path (pieces counted in one pass) and the read path agree to the column."""
    monkeypatch.setattr(stream_mod, "_MAP_PIECE", piece)
    text = (
        "héllo wörld ✓ " * 40
        + "\n"
        + FILLER * 70
        + LINE
        + ("x" * 9000 + " ")
        + LINE.rstrip("\n")
        + " trailing ünïcode\r\n"
        + FILLER * 90
        + "Error: AccessDeniedException: \n\tstatus code: 403, request id: abc-123\n"
    )
    path = tmp_path / "mixed.log"
    path.write_bytes(text.encode("utf-8") + b"\xff\xfe broken bytes\n" + LINE.encode())
    mapped = [_key(d) for d in scan_file(path)]
    read = [_key(d) for d in stream_mod._scan_read(path)]
    whole = scan_text(path.read_bytes().decode("utf-8", "replace"))
    assert len(mapped) == 4
    assert mapped == read == [_key(d) for d in whole]
    assert [d.span.start for d in scan_file(path)] == [d.span.start for d in whole]


def test_mapped_scan_stops_cleanly_when_the_file_is_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log truncated (rotation) while it is scanned: no SIGBUS, the scan just stops."""
    monkeypatch.setattr(stream_mod, "_MAP_PIECE", 8192)
    path = tmp_path / "rotating.log"
    path.write_text((FILLER * 200 + LINE) * 20, encoding="utf-8")
    it = scan_file(path)
    first = next(it)
    assert first.action == "s3:PutObject"
    with open(path, "r+b") as fh:
        fh.truncate(100)
    rest = list(it)
    assert len(rest) < 19
