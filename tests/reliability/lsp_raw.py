"""The real server over raw stdio frames, for what no well-behaved client sends."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from tests.lsp.helpers import SERVER


class RawServer:
    """`accessdenied serve` as a subprocess; frames written and read by hand."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.notifications: list[dict[str, Any]] = []
        self._next = 100

    @classmethod
    async def start(cls, cwd: Path | None = None) -> RawServer:
        proc = await asyncio.create_subprocess_exec(
            *SERVER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=cwd,
        )
        return cls(proc)

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any) -> int:
        self._next += 1
        self.send(
            {"jsonrpc": "2.0", "id": self._next, "method": method, "params": params}
        )
        return self._next

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def read(self, timeout: float = 30) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not line:
                raise EOFError("server closed stdout")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await asyncio.wait_for(self.proc.stdout.readexactly(length), timeout)
        value = json.loads(body)
        assert isinstance(value, dict)
        return value

    async def response(self, msg_id: int | None, timeout: float = 30) -> dict[str, Any]:
        """The response to `msg_id` (None: the next response with a null id)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.read(max(deadline - time.monotonic(), 0.1))
            if "method" in msg:
                if "id" in msg:  # a request from the server: answer it emptily
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                else:
                    self.notifications.append(msg)
                continue
            if msg.get("id") == msg_id:
                return msg

    async def initialize(
        self, root: Path | None = None, options: Any = None, **caps: Any
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "processId": os.getpid(),
            "rootUri": root.as_uri() if root else None,
            "capabilities": caps,
            "initializationOptions": options,
        }
        if root is not None:
            params["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
        result = await self.response(self.request("initialize", params))
        self.notify("initialized", {})
        return result

    async def wait_notification(
        self, method: str, pred: Any = None, timeout: float = 30
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for n in self.notifications:
            if n["method"] == method and (pred is None or pred(n["params"])):
                return n
        while True:
            msg = await self.read(max(deadline - time.monotonic(), 0.1))
            if "method" in msg and "id" in msg:
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            if "method" in msg:
                self.notifications.append(msg)
                if msg["method"] == method and (pred is None or pred(msg["params"])):
                    return msg

    def rss_kib(self, field: str = "VmRSS") -> int:
        """The server's resident set (or `VmHWM`, its peak) in KiB."""
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
        return 0

    async def close(self, timeout: float = 10) -> int:
        msg_id = self.request("shutdown", None)
        await self.response(msg_id, timeout)
        self.notify("exit", None)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
