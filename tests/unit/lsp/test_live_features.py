"""lsp/live_features.py with a fake LiveMode: decode rewrites, findings, off => inert."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import subprocess
import sys
from typing import Any

import pytest
from lsprotocol import types

from accessdenied.aws.model import LiveFinding, StatementDiff
from accessdenied.denials.model import Denial
from accessdenied.lsp import diagnostics, live_features
from accessdenied.lsp.app import build_server
from accessdenied.lsp.live import LiveResult
from accessdenied.lsp.live_features import LiveState
from accessdenied.lsp.server import AccessDeniedServer, DenialSource
from accessdenied.text import LineIndex

TEXT = (
    "An error occurred (AccessDenied) when calling the PutObject operation: "
    "Encoded authorization failure message: QkxPQg"
)
URI = "file:///tmp/live/app.log"
PRINCIPAL = "arn:aws:iam::123456789012:role/app-role"


class FakeLive:
    """Records calls; answers decode/diff/recent_denials from canned values."""

    def __init__(self, decode: Any = None, findings: tuple[LiveFinding, ...] = ()):
        self.calls: list[str] = []
        self._decode = decode
        self._findings = findings

    async def decode(self, denial: Denial) -> LiveResult[Denial]:
        self.calls.append("decode")
        if self._decode is None:
            return LiveResult(None, self._findings)
        return LiveResult(self._decode(denial), self._findings)

    async def diff_with_workspace(self, principal: str, docs: Any) -> Any:
        self.calls.append("diff")
        return LiveResult(
            StatementDiff(principal, tuple(docs), ("Allow s3:PutObject on *",), ())
        )

    async def recent_denials(self, principal: str | None) -> Any:
        self.calls.append("recent")
        text = '{"eventName": "GetObject", "errorCode": "AccessDenied"}'
        d = Denial(
            span=LineIndex(text).span(0, len(text)),
            text=text,
            principal=principal,
            action="s3:GetObject",
            resource="arn:aws:s3:::b/k",
            source="cloudtrail",
        )
        return LiveResult([d, dataclasses.replace(d, action="s3:PutObject")])

    def status(self) -> str:
        self.calls.append("status")
        return "live AWS mode is on (read-only)"


def _server(
    fake: FakeLive, live_mode: bool
) -> tuple[AccessDeniedServer, list[Any], list[str]]:
    server = build_server()
    state = server.get_feature(LiveState)
    state.factory = lambda _settings: fake
    server.settings.aws.live_mode = live_mode
    published: list[Any] = []
    logs: list[str] = []
    server.text_document_publish_diagnostics = published.append  # type: ignore[method-assign,assignment]
    server.window_log_message = lambda p: logs.append(p.message)  # type: ignore[method-assign,assignment]
    return server, published, logs


def _denial() -> Denial:
    return Denial(
        span=LineIndex(TEXT).span(0, len(TEXT)),
        text=TEXT,
        service="s3",
        operation="PutObject",
        encoded_message=True,
        encoded_blob="QkxPQg",
    )


def _decoded(d: Denial) -> Denial:
    return dataclasses.replace(
        d,
        principal=PRINCIPAL,
        action="s3:PutObject",
        resource="arn:aws:s3:::acme-reports/2024/a.csv",
        decision="explicit",
        source="decoded",
        notes=("matched Deny statement DenyWrites",),
    )


async def _settle(server: AccessDeniedServer) -> None:
    for _ in range(50):
        pending = [t for t in server.tasks if not t.done()]
        if not pending:
            return
        await asyncio.wait(pending)


async def _publish(server: AccessDeniedServer) -> None:
    source = DenialSource(URI, "app.log", [_denial()], index=LineIndex(TEXT))
    server.sources[URI] = source
    await diagnostics.publish_source(server, source)
    await _settle(server)


async def test_decode_replaces_message_and_data() -> None:
    fake = FakeLive(decode=_decoded)
    server, _published, _logs = _server(fake, live_mode=True)
    await _publish(server)
    assert fake.calls == ["decode"]
    diags = [d for d in server.store.get(URI) if d.code != "live-decode"]
    assert len(diags) == 1
    diag = diags[0]
    assert "s3:PutObject" in diag.message
    assert "decoded authorization message" in diag.message
    assert "explicit deny" in diag.message
    assert "DenyWrites" in diag.message
    assert isinstance(diag.data, dict)
    data = diag.data["denial"]
    assert data["action"] == "s3:PutObject"
    assert data["resource"] == "arn:aws:s3:::acme-reports/2024/a.csv"
    assert data["source"] == "decoded"
    # The source now holds the exact request; a later re-publish does not decode again.
    assert server.sources[URI].denials[0].action == "s3:PutObject"
    await diagnostics.publish_source(server, server.sources[URI])
    await _settle(server)
    assert fake.calls == ["decode"]


async def test_decode_findings_become_information() -> None:
    finding = LiveFinding(
        "live-access-denied",
        "warning",
        "not allowed to call sts:DecodeAuthorizationMessage",
    )
    fake = FakeLive(decode=None, findings=(finding,))
    server, _published, logs = _server(fake, live_mode=True)
    await _publish(server)
    diags = server.store.get(URI)
    info = [d for d in diags if d.code == "live-decode"]
    assert len(info) == 1
    assert info[0].severity == types.DiagnosticSeverity.Information
    assert "sts:DecodeAuthorizationMessage" in info[0].message
    assert any("sts:DecodeAuthorizationMessage" in m for m in logs)
    denial = next(d for d in diags if d.code != "live-decode")
    assert isinstance(denial.data, dict)
    assert denial.data["denial"]["source"] != "decoded"


async def test_pull_recent_denials_publishes_virtual_document() -> None:
    fake = FakeLive()
    server, _published, _logs = _server(fake, live_mode=True)
    result = await server.get_feature(LiveState).pull(PRINCIPAL)
    uri = live_features.cloudtrail_uri(PRINCIPAL)
    assert result["uri"] == uri
    assert result["denials"] == 2
    diags = server.store.get(uri)
    assert sorted(d.range.start.line for d in diags) == [0, 1]
    assert {d.data["denial"]["action"] for d in diags if isinstance(d.data, dict)} == {
        "s3:GetObject",
        "s3:PutObject",
    }


async def test_off_calls_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_a: Any, **_k: Any) -> None:
        raise AssertionError("live mode off must not open a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    fake = FakeLive(decode=_decoded)
    server, _published, logs = _server(fake, live_mode=False)
    await _publish(server)
    state = server.get_feature(LiveState)
    await state.drift("file:///tmp/live/policies/app-role.json")
    result = await state.pull(PRINCIPAL)
    state.log_status()
    await state.settings_changed()
    assert fake.calls == []
    assert result["ok"] is False
    diags = server.store.get(URI)
    assert len(diags) == 1
    assert "decoded" not in diags[0].message
    assert all("live AWS mode is off" in m for m in logs)


def test_off_server_never_imports_boto3() -> None:
    code = (
        "import asyncio, sys\n"
        "from accessdenied.lsp.app import build_server\n"
        "from accessdenied.lsp.live_features import LiveState\n"
        "s = build_server()\n"
        "s.window_log_message = lambda p: None\n"
        "s.get_feature(LiveState).log_status()\n"
        "asyncio.run(s.get_feature(LiveState).pull('arn:aws:iam::1:role/r'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().replace("'", '"')) == []


async def test_drift_publishes_information_under_live(tmp_path: Any) -> None:
    from accessdenied.workspace import build_index

    (tmp_path / "policies").mkdir()
    policy = tmp_path / "policies" / "app-role.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": []}\n', encoding="utf-8")
    (tmp_path / ".accessdenied.toml").write_text(
        f'[[principals]]\narn = "{PRINCIPAL}"\n'
        'identity_policies = ["policies/app-role.json"]\n',
        encoding="utf-8",
    )
    fake = FakeLive()
    server, _published, _logs = _server(fake, live_mode=True)
    server.index = build_index(tmp_path)
    server.index_paths = {str(policy.resolve())}
    server.index_done.set()
    uri = policy.resolve().as_uri()
    server.kinds[uri] = "policy"
    state = server.get_feature(LiveState)
    await state.drift(uri)
    assert fake.calls == ["diff"]
    diags = server.store.get(uri)
    assert [d.code for d in diags] == ["live-drift"]
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert diags[0].message == (
        "deployed policy differs from policies/app-role.json: "
        "missing Allow s3:PutObject on *"
    )
    assert server.store.uris(live_features.LIVE) == [uri]
    # Switching live mode off clears the drift diagnostics and calls nothing more.
    server.settings.aws.live_mode = False
    await state.settings_changed()
    assert server.store.get(uri) == []
    assert fake.calls == ["diff"]


def test_command_registered() -> None:
    server = build_server()
    assert live_features.PULL_COMMAND in server.protocol.fm.commands
