"""Live mode off makes no network call at all; without boto3 it says so and nothing breaks."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from accessdenied.denials.model import Denial
from accessdenied.lsp.live import (
    OFF_MESSAGE,
    LiveMode,
    config_from_settings,
    hover_markdown,
)
from accessdenied.lsp.settings import Settings
from accessdenied.text import LineIndex
from tests.paths import EXAMPLES, REPO

ROLE = "arn:aws:iam::111122223333:role/app-role"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outbound connection attempt is recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
        attempts.append(address)
        raise OSError("network call attempted with live mode off")

    def refuse_create(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        raise OSError("network call attempted with live mode off")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return attempts


def _denial() -> Denial:
    text = "Encoded authorization failure message: AbCdEf"
    return Denial(
        span=LineIndex(text).span(0, len(text)),
        text=text,
        encoded_message=True,
        encoded_blob="AbCdEf",
    )


async def _every_live_call(live: LiveMode) -> list[Any]:
    return [
        await live.decode(_denial()),
        await live.decode_blob("AbCdEf"),
        await live.principal_policies(ROLE),
        await live.policy_set(ROLE, "arn:aws:s3:::b/k"),
        await live.resource_policy("arn:aws:s3:::b"),
        await live.org_policies(),
        await live.cross_check(
            principal=ROLE,
            action="s3:GetObject",
            resource="arn:aws:s3:::b/k",
            identity=[{}],
        ),
        await live.recent_denials(ROLE),
        await live.diff_with_workspace(ROLE, {"policies/app.json": {}}),
    ]


@pytest.mark.parametrize(
    "settings",
    [
        None,
        {},
        {"accessdenied": {"aws": {"liveMode": False, "profile": "prod"}}},
        {"aws": {"liveMode": False}},
        Settings(),
    ],
    ids=["none", "empty", "explicit-false", "without-section", "lsp-settings"],
)
async def test_live_off_makes_no_network_call(
    no_network: list[Any], settings: Any
) -> None:
    live = LiveMode.from_settings(settings)
    assert not live.enabled
    assert live.status() == OFF_MESSAGE
    results = await _every_live_call(live)
    for result in results:
        assert result.value is None
        assert [f.code for f in result.findings] == ["live-off"]
        assert result.messages() == [OFF_MESSAGE]
    assert "off" in hover_markdown(ROLE, settings)
    assert live._account is None  # no boto3 session was ever built
    assert no_network == []


def test_core_and_cli_paths_make_no_network_call(
    no_network: list[Any], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from accessdenied.cli import main
    from accessdenied.evaluate import PolicySet, Request, evaluate
    from accessdenied.workspace import build_index

    doc = json.loads((EXAMPLES / "policies" / "app-role.json").read_text())
    decision = evaluate(
        Request(
            "arn:aws:iam::111122223333:role/app-role",
            "s3:GetObject",
            "arn:aws:s3:::b/k",
        ),
        PolicySet(identity=(doc,)),
    )
    assert decision.decision in ("allowed", "implicit_deny", "explicit_deny")
    build_index(EXAMPLES)
    for argv in (
        ["scan", str(EXAMPLES / "logs" / "terminal.log"), "--format", "json"],
        ["check", str(EXAMPLES / "policies" / "app-role.json")],
        [
            "simulate",
            "--policy",
            str(EXAMPLES / "policies" / "app-role.json"),
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
        ],
        ["catalog", "info"],
    ):
        with contextlib.suppress(SystemExit):
            main(argv)
    capsys.readouterr()
    assert no_network == []


def test_live_off_never_imports_boto3() -> None:
    """In a fresh interpreter, the LSP-facing API with live mode off leaves boto3 unloaded."""
    code = textwrap.dedent(
        """
        import asyncio, sys
        from accessdenied.lsp.live import LiveMode, hover_markdown
        live = LiveMode.from_settings({"accessdenied": {"aws": {"liveMode": False}}})
        asyncio.run(live.principal_policies("arn:aws:iam::111122223333:role/r"))
        asyncio.run(live.recent_denials(None))
        hover_markdown("arn:aws:iam::111122223333:role/r", {})
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore")))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    assert out.stdout.strip() == "[]"


async def test_without_boto3_live_mode_reports_clearly(
    monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    live = LiveMode.from_settings({"accessdenied": {"aws": {"liveMode": True}}})
    assert live.enabled
    assert not live.available
    assert "boto3" in live.status()
    assert "accessdenied-lsp[live]" in live.status()
    result = await live.principal_policies(ROLE)
    assert result.value is None
    assert [f.code for f in result.findings] == ["live-unavailable"]
    assert "not installed" in hover_markdown(ROLE, {"aws": {"liveMode": True}})
    assert no_network == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {
                "accessdenied": {
                    "aws": {"liveMode": True, "profile": "dev", "region": "eu-west-1"}
                }
            },
            (True, "dev", "eu-west-1"),
        ),
        ({"aws": {"live_mode": "true"}}, (True, None, None)),
        (
            {"accessdenied.aws.liveMode": True, "accessdenied.aws.region": "us-west-2"},
            (True, None, "us-west-2"),
        ),
        ({"accessdenied": {"aws": {"liveMode": "no"}}}, (False, None, None)),
        ({"accessdenied": {"aws": "garbage"}}, (False, None, None)),
    ],
    ids=["nested", "snake-string", "dotted", "string-no", "garbage"],
)
def test_config_from_settings(settings: Any, expected: tuple[Any, ...]) -> None:
    cfg = config_from_settings(settings)
    assert (cfg.enabled, cfg.profile, cfg.region) == expected


def test_config_from_lsp_settings_object() -> None:
    s = Settings()
    s.aws.live_mode = True
    s.aws.profile = "dev"
    cfg = config_from_settings(s)
    assert (cfg.enabled, cfg.profile, cfg.region) == (True, "dev", None)
