"""`accessdenied serve`: stdio is covered by every other suite; here --tcp and bad usage."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.xdist_group("lsp-serve-cli")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read(reader: asyncio.StreamReader) -> dict[str, object]:
    length = 0
    while True:
        line = await asyncio.wait_for(reader.readline(), 30)
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    data = json.loads(await reader.readexactly(length))
    assert isinstance(data, dict)
    return data


@pytest.mark.asyncio
async def test_serve_cli_tcp_answers_initialize():
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "accessdenied",
        "serve",
        "--tcp",
        f"127.0.0.1:{port}",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # pygls logs "Serving on" once the socket is bound.
        assert proc.stderr is not None
        while b"Serving on" not in await asyncio.wait_for(proc.stderr.readline(), 30):
            pass
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "processId": os.getpid(),
                        "rootUri": None,
                        "capabilities": {},
                    },
                }
            )
        )
        await writer.drain()
        response = await _read(reader)
        assert response["id"] == 1
        result = response["result"]
        assert isinstance(result, dict)
        assert result["serverInfo"]["name"] == "accessdenied"
        writer.close()
    finally:
        proc.kill()
        await proc.wait()


@pytest.mark.parametrize("value", ["nope", "host:99999", "127.0.0.1:"])
def test_serve_cli_bad_tcp_is_usage_error(value: str):
    proc = subprocess.run(
        [sys.executable, "-m", "accessdenied", "serve", "--tcp", value],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "HOST:PORT" in proc.stderr
    assert proc.stdout == ""
