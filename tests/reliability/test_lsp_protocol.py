"""Protocol edges and bounded terminal input through the real server (raw stdio):
every malformed message is answered, `exit` is prompt, terminal floods stay bounded."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from accessdenied.lsp import terminal
from tests.reliability.helpers import DENIAL
from tests.reliability.lsp_raw import RawServer

pytestmark = [pytest.mark.lsp]
DOC = '{"Version": "2012-10-17", "Statement": []}\n'


async def _started(root: Path | None = None) -> RawServer:
    server = await RawServer.start()
    await server.initialize(root)
    return server


async def test_negative_position_is_an_invalid_params_error(tmp_path: Path) -> None:
    server = await _started()
    try:
        uri = (tmp_path / "p.json").as_uri()
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "json",
                    "version": 1,
                    "text": DOC,
                }
            },
        )
        for pos in ({"line": -1, "character": 0}, {"line": 0, "character": -3}):
            msg_id = server.request(
                "textDocument/hover", {"textDocument": {"uri": uri}, "position": pos}
            )
            reply = await server.response(msg_id)
            assert reply["error"]["code"] == -32602, reply
        ok = server.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}},
        )
        assert "error" not in await server.response(ok)
        assert await server.close() == 0
    finally:
        server.kill()


async def test_second_initialize_is_rejected_and_the_session_goes_on() -> None:
    server = await _started()
    try:
        msg_id = server.request(
            "initialize", {"processId": None, "rootUri": None, "capabilities": {}}
        )
        reply = await server.response(msg_id)
        assert reply["error"]["code"] == -32600
        assert reply["error"]["message"] == "initialize may only be sent once"
        status = await server.response(server.request("accessDenied/status", {}))
        assert status["result"]["positionEncoding"] == "utf-16"
        assert await server.close() == 0
    finally:
        server.kill()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            b"Content-Length: abc\r\n\r\n",
            "Parse error: bad Content-Length header 'abc'",
        ),
        (b"Content-Length: -5\r\n\r\n", "Parse error: bad Content-Length header '-5'"),
        (b"Content-Type: x\r\n\r\n", "Parse error: missing Content-Length header"),
        (
            b"Content-Length: 999999999999\r\n\r\n",
            "Parse error: bad Content-Length header '999999999999'",
        ),
        (b"Content-Length: 5\r\n\r\n{nope", "Parse error: Expecting property name"),
        (
            b"Content-Length: 400000\r\n\r\n" + b"[" * 200000 + b"]" * 200000,
            "Parse error: JSON nested too deeply",
        ),
    ],
    ids=["letters", "negative", "missing", "huge", "bad-json", "deep-nesting"],
)
async def test_bad_frames_get_a_parse_error_not_silence(
    frame: bytes, message: str
) -> None:
    server = await _started()
    try:
        server.send_bytes(frame)
        reply = await server.response(None, timeout=10)
        assert reply["error"]["code"] == -32700
        assert reply["error"]["message"].startswith(message)
        # The stream resynchronises on the next header.
        status = await server.response(server.request("accessDenied/status", {}))
        assert "result" in status
        assert await server.close() == 0
    finally:
        server.kill()


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
async def test_exit_is_prompt_with_fifos_in_the_workspace(tmp_path: Path) -> None:
    """`events.json -> /dev/stdin`, FIFOs named like logs and policies: nothing blocks,
    and shutdown + exit end the process within seconds."""
    root = tmp_path / "ws"
    root.mkdir()
    os.mkfifo(root / "app.log")
    os.mkfifo(root / "role-policy.json")
    os.symlink("/dev/stdin", root / "events.json")
    os.symlink("app.log", root / "trail.log")
    (root / "ok.json").write_text(DOC, encoding="utf-8")
    server = await _started(root)
    try:
        await server.wait_notification(
            "window/logMessage", lambda p: "server ready" in p["message"], timeout=60
        )
        status = await server.response(server.request("accessDenied/status", {}))
        assert status["result"]["watchedLogs"] == []
        start = time.monotonic()
        assert await server.close(timeout=10) == 0
        assert time.monotonic() - start < 5
    finally:
        server.kill()


async def test_exit_without_shutdown_ends_with_status_1() -> None:
    server = await _started()
    try:
        server.notify("exit", None)
        assert await asyncio.wait_for(server.proc.wait(), 5) == 1
    finally:
        server.kill()


async def test_server_ends_when_the_editor_goes_away(tmp_path: Path) -> None:
    """stdin closed without shutdown/exit (the editor crashed): the process ends."""
    server = await _started(tmp_path)
    try:
        for i in range(50):  # keep the core threads busy
            _term(server, f"t{i}", ("x" * 1000 + "\n") * 500)
        assert server.proc.stdin is not None
        server.proc.stdin.close()
        start = time.monotonic()
        assert await asyncio.wait_for(server.proc.wait(), 10) == 1
        assert time.monotonic() - start < 10
    finally:
        server.kill()


def _term(server: RawServer, name: str, data: str, command: str = "aws s3 cp") -> None:
    server.notify(
        "accessDenied/terminalOutput",
        {"terminal": name, "command": command, "data": data},
    )


async def test_terminal_flood_is_bounded_and_hover_stays_fast(tmp_path: Path) -> None:
    server = await _started(tmp_path)
    try:
        await server.wait_notification(
            "window/logMessage", lambda p: "server ready" in p["message"], timeout=60
        )
        base = server.rss_kib()
        line = "x" * (1 << 20) + "\n"
        for _ in range(100):  # 100 x 1 MB lines into one terminal
            _term(server, "flood", line)
        _term(server, "flood", DENIAL + "\n")
        uri = terminal.terminal_uri("flood")
        note = await server.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p["diagnostics"],
            timeout=120,
        )
        assert "s3:PutObject" in note["params"]["diagnostics"][0]["message"]
        start = time.monotonic()
        reply = await server.response(
            server.request(
                "textDocument/hover",
                {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
            )
        )
        assert "error" not in reply
        assert time.monotonic() - start < 10  # a hang guard, not a speed target
        # The tail is bounded: 100 MB in, far less kept.
        assert server.rss_kib() - base < 150_000
        assert await server.close() == 0
    finally:
        server.kill()


async def test_many_terminals_are_bounded_and_closed_ones_forgotten(
    tmp_path: Path,
) -> None:
    server = await _started(tmp_path)
    try:
        for i in range(3000):
            _term(server, f"t{i}", f"line {i}\n")
        _term(server, "last", DENIAL + "\n")
        uri = terminal.terminal_uri("last")
        await server.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p["diagnostics"],
            timeout=120,
        )
        status = await server.response(server.request("accessDenied/status", {}))
        names = status["result"]["terminals"]
        assert len(names) == terminal.MAX_TERMINALS
        assert "last" in names
        assert "t0" not in names
        server.notify("accessDenied/terminalClosed", {"terminal": "last"})
        await server.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p["diagnostics"] == [],
            timeout=30,
        )
        status = await server.response(server.request("accessDenied/status", {}))
        assert "last" not in status["result"]["terminals"]
        # `closed: true` on terminalOutput works too.
        server.notify(
            "accessDenied/terminalOutput", {"terminal": "t2999", "closed": True}
        )
        status = await server.response(server.request("accessDenied/status", {}))
        assert "t2999" not in status["result"]["terminals"]
        assert await server.close() == 0
    finally:
        server.kill()
