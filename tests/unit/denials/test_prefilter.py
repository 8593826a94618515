"""The stream prefilter: STRONG patterns, Hyperscan database cache, backend agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.denials import grammars as g
from accessdenied.denials import stream

hyperscan = pytest.importorskip("hyperscan")

DENIAL = b"User: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject\n"
NEAR = (
    b"GET /v1 Authorization: Bearer x 200\n"
    b"10.0.0.1 - - 401 Unauthorized\n"
    b"open /run/x.sock: permission denied\n"
    b"HTTP 403 Forbidden from https://registry.example.com/v2/\n"
    b"Access denied for user 'app'@'10.0.0.4' (using password: YES)\n"
    b"cache write not allowed while draining\n"
)


def test_near_misses_open_no_window_but_denials_do() -> None:
    assert stream._hits(NEAR * 50) == []
    assert stream._hits_stdlib(NEAR * 50, 0, len(NEAR) * 50) == []
    block = NEAR * 50 + DENIAL + NEAR * 50
    at = block.index(DENIAL)
    for ranges in (stream._hits(block), stream._hits_stdlib(block, 0, len(block))):
        assert len(ranges) == 1
        lo, hi = ranges[0]
        assert lo <= at + 30 <= hi + stream.WINDOW


def test_every_strong_pattern_contains_a_prefilter_literal() -> None:
    """The stdlib path confirms literal hits, so each pattern's example needs a literal."""
    examples = [
        b"is not authorized to perform",
        b"Unauthorized to perform operation X",
        b"UnauthorizedOperation",
        b'"UnauthorizedAccess"',
        b"AccessDenied",
        b"Access Denied",
        b"Access denied. Check",
        b"Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied",
        b"Model access is denied",
        b"An error occurred (403) when calling the HeadObject operation: Forbidden",
        b"NotAuthorizedException: \n\tstatus code: 400",
        b"AuthorizationError",
        b"Encoded authorization failure message",
        b"ForbiddenException",
        b"Forbidden: null",
        b"api error Forbidden: Forbidden",
        b"you are not allowed to access",
        b"Access to KMS is not allowed",
        b"this object has been disabled",
        b'"explicitDeny"',
        b"have access to the model",
        b"could not be used to assume",
        b"(Service: S3, Status Code: 403, Request ID",
        b"StatusCode: 403, RequestID",
        b"Service returned error code 403: Forbidden",
    ]
    for ex in examples:
        assert g.STRONG.search(ex), ex
        assert any(lit in ex for lit in stream._LITERALS), ex


def test_hyperscan_database_cache_is_used_and_a_bad_one_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ACCESSDENIED_NO_CACHE", raising=False)
    monkeypatch.setattr(stream, "_PROCESS_DB", {})
    path = stream._db_cache_path()
    assert path is not None
    db = stream._compile_hyperscan()
    assert db is not None
    assert path.is_file()
    # A fresh process (empty in-memory copy) loads the cached database.
    monkeypatch.setattr(stream, "_PROCESS_DB", {})
    loaded = stream._compile_hyperscan()
    ends: list[int] = []
    loaded.scan(DENIAL, match_event_handler=lambda *a: ends.append(a[2]))
    assert ends
    # A corrupt cache file (another CPU, a torn write) is recompiled, not trusted.
    path.write_bytes(b"garbage")
    monkeypatch.setattr(stream, "_PROCESS_DB", {})
    again = stream._compile_hyperscan()
    ends.clear()
    again.scan(DENIAL, match_event_handler=lambda *a: ends.append(a[2]))
    assert ends
    assert path.read_bytes() != b"garbage"
