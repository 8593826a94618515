# mypy: disable-error-code="untyped-decorator"
"""Server abuse (issue 10): malformed and out-of-order messages, unknown documents,
cancellation, a crashing feature. The server must answer on and never die."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import PROFILES, SERVER, copy_workspace, start_session, wait_for

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-abuse"),
]


class RawServer:
    """The server over raw stdio frames, to send what no well-behaved client would."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls) -> RawServer:
        proc = await asyncio.create_subprocess_exec(
            *SERVER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(proc)

    def send_bytes(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode())

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 20)
            if not line:
                raise EOFError("server closed stdout")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await self.proc.stdout.readexactly(length)
        value = json.loads(body)
        assert isinstance(value, dict)
        return value

    async def response(self, msg_id: int) -> dict[str, Any]:
        while True:
            msg = await self.read()
            if msg.get("id") == msg_id and "method" not in msg:
                return msg

    async def close(self) -> int:
        self.send({"jsonrpc": "2.0", "id": 999, "method": "shutdown"})
        await self.response(999)
        self.send({"jsonrpc": "2.0", "method": "exit"})
        return await asyncio.wait_for(self.proc.wait(), 20)


async def test_abuse_malformed_and_out_of_order_messages():
    server = await RawServer.start()
    # Before initialize: a notification, a request, garbage, a request with no params.
    server.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": "file:///nowhere/a.log",
                    "languageId": "log",
                    "version": 1,
                    "text": "x",
                }
            },
        }
    )
    server.send_bytes(b"{this is not json")
    server.send_bytes(b'["a", "batch?"]')
    server.send({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover"})
    server.send({"jsonrpc": "2.0", "id": 2, "method": "no/suchMethod", "params": {}})
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "textDocument/hover",
            "params": {"bad": 1},
        }
    )
    assert "error" in await server.response(2)
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "initialize",
            "params": {"processId": os.getpid(), "rootUri": None, "capabilities": {}},
        }
    )
    init = await server.response(4)
    assert "capabilities" in init["result"]
    server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    # After initialize: edits to a document never opened, a close of one never opened.
    server.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": "file:///never/opened.json", "version": 3},
                "contentChanges": [{"text": "{}"}],
            },
        }
    )
    server.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didClose",
            "params": {"textDocument": {"uri": "file:///never/opened.json"}},
        }
    )
    server.send(
        {
            "jsonrpc": "2.0",
            "method": "accessDenied/terminalOutput",
            "params": {"terminal": 5, "data": None},
        }
    )
    server.send(
        {"jsonrpc": "2.0", "method": "accessDenied/terminalOutput", "params": []}
    )
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "textDocument/hover",
            "params": {
                "textDocument": {"uri": "file:///never/opened.json"},
                "position": {"line": 0, "character": 0},
            },
        }
    )
    assert (await server.response(5)).get("result") is None
    server.send(
        {"jsonrpc": "2.0", "id": 6, "method": "accessDenied/status", "params": {}}
    )
    status = await server.response(6)
    assert status["result"]["positionEncoding"] == "utf-16"
    assert await server.close() == 0


@pytest_lsp.fixture(
    scope="module",
    params=PROFILES,
    config=ClientServerConfig(
        server_command=SERVER,
        server_env={**os.environ, "ACCESSDENIED_LSP_FAULTS": "completion"},
    ),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("abuse"))
    await start_session(lsp_client, request.param, root)
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_abuse_unknown_documents(client: LanguageClient):
    doc = types.TextDocumentIdentifier(uri="file:///does/not/exist.json")
    pos = types.Position(line=3, character=4)
    assert (
        await client.text_document_hover_async(
            types.HoverParams(text_document=doc, position=pos)
        )
        is None
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc,
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not actions


async def test_abuse_feature_crash_does_not_kill_server(client: LanguageClient):
    uri = (client.root / "policies" / "app-role.json").as_uri()  # type: ignore[attr-defined]
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="json",
                version=1,
                text='{"Statement": [{"Action": "s3:"}]}',
            )
        )
    )
    # Completion is switched to fail (test-only fault injection): None, logged, alive.
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=30),
        )
    )
    assert result is None
    await wait_for(
        client,
        lambda: any(
            "injected fault in completion" in m.message for m in client.log_messages
        ),
        method=types.WINDOW_LOG_MESSAGE,
    )
    status = await client.protocol.send_request_async("accessDenied/status", {})
    assert status.version


async def test_abuse_cancellation_honoured(client: LanguageClient):
    uri = (client.root / "logs" / "app.log").as_uri()  # type: ignore[attr-defined]
    text = (client.root / "logs" / "app.log").read_text()  # type: ignore[attr-defined]
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="log", version=1, text=text
            )
        )
    )
    line = next(i for i, t in enumerate(text.splitlines()) if "arn:aws:sts" in t)
    params = types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(
            line=line, character=text.splitlines()[line].index("arn:aws:sts") + 3
        ),
    )
    futures = []
    for i in range(5):
        msg_id = f"cancel-me-{i}"
        futures.append(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_HOVER, params, msg_id=msg_id
            )
        )
        client.cancel_request(types.CancelParams(id=msg_id))
    done = await asyncio.gather(*futures, return_exceptions=True)
    for r in done:
        # Cancelled before it finished (RequestCancelled) or answered: never a crash.
        if isinstance(r, BaseException):
            assert "cancel" in str(r).lower(), r
        else:
            assert r is None or isinstance(r, types.Hover)
    # The server still answers.
    hover = await client.text_document_hover_async(params)
    assert hover is None or isinstance(hover, types.Hover)
    status = await client.protocol.send_request_async("accessDenied/status", {})
    assert status.positionEncoding in ("utf-8", "utf-16")


async def test_abuse_server_process_alive(client: LanguageClient):
    assert client._server is not None
    assert client._server.returncode is None
    assert sys.executable
