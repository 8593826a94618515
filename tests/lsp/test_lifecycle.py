# mypy: disable-error-code="untyped-decorator"
"""Lifecycle: capabilities, position encoding, settings, $/progress, logging, watchers."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    copy_workspace,
    diagnostics_for,
    log_errors,
    start_session,
    wait_for,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-lifecycle"),
]


@pytest_lsp.fixture(
    scope="module",
    params=PROFILES,
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("life"))
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    lsp_client.root = root  # type: ignore[attr-defined]
    # Settings wrapped in the section key (as Neovim users write them): accepted.
    lsp_client.init_result = await start_session(  # type: ignore[attr-defined]
        lsp_client,
        request.param,
        root,
        settings={"logs": {"include": ["**/*.log"], "pollInterval": 0.2}},
    )
    yield
    await lsp_client.shutdown_session()


async def status(client: LanguageClient) -> dict[str, Any]:
    result: Any = await client.protocol.send_request_async("accessDenied/status", {})
    return {k: getattr(result, k) for k in result._fields}  # namedtuple "Object"


async def test_lifecycle_capabilities(client: LanguageClient):
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.hover_provider
    assert caps.completion_provider is not None
    assert caps.code_action_provider.resolve_provider is True
    assert types.CodeActionKind.QuickFix in caps.code_action_provider.code_action_kinds
    assert caps.execute_command_provider is not None
    assert "accessdenied.showLocation" in caps.execute_command_provider.commands
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental


async def test_lifecycle_position_encoding_negotiated(client: LanguageClient):
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    # Neovim 0.11 offers utf-8 first; VS Code 1.65 offers nothing (utf-16 default).
    expected = "utf-8" if client.profile == "neovim" else "utf-16"  # type: ignore[attr-defined]
    assert caps.position_encoding == expected
    assert (await status(client))["positionEncoding"] == expected


async def test_lifecycle_settings_pulled_and_applied(client: LanguageClient):
    info = await status(client)
    settings = info["settings"]
    assert settings.logs.include == ["**/*.log"]
    assert settings.logs.pollInterval == 0.2


async def test_lifecycle_watch_mode_matches_client(client: LanguageClient):
    info = await status(client)
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        assert info["watchMode"] == "client"
        [reg] = client.registrations  # type: ignore[attr-defined]
        assert reg.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = [w["globPattern"] for w in reg.register_options["watchers"]]
        assert "**/*.log" in globs
    else:
        # Neovim's profile has no dynamic file-watcher registration: the server polls.
        assert info["watchMode"] == "polling"
        assert client.registrations == []  # type: ignore[attr-defined]


async def test_lifecycle_progress_reported_while_indexing(client: LanguageClient):
    def ended() -> bool:
        return any(
            any(isinstance(v, types.WorkDoneProgressEnd) for v in values)
            for values in client.progress_reports.values()
        )

    await wait_for(client, ended, method="$/progress")
    [values] = [list[Any](v) for v in client.progress_reports.values() if v]
    assert isinstance(values[0], types.WorkDoneProgressBegin)
    assert "indexing" in values[0].title
    assert isinstance(values[-1], types.WorkDoneProgressEnd)


async def test_lifecycle_bad_settings_warn_and_fall_back(client: LanguageClient):
    client.set_configuration({"logs": {"pollInterval": "soon"}}, section="accessdenied")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    await wait_for(
        client,
        lambda: any(
            "invalid accessdenied settings" in m.message for m in client.messages
        ),
        method=types.WINDOW_SHOW_MESSAGE,
    )
    info = await status(client)
    assert info["settings"].logs.pollInterval == 0.5  # the default
    # And good settings again are re-pulled without a restart.
    client.set_configuration(
        {"logs": {"include": ["**/*.log"], "pollInterval": 0.2}}, section="accessdenied"
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    for _ in range(50):
        info = await status(client)
        if info["settings"].logs.pollInterval == 0.2:
            break
    assert info["settings"].logs.pollInterval == 0.2


async def test_lifecycle_include_setting_change_rescans_logs(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    terminal = (root / "logs" / "terminal.log").as_uri()
    await diagnostics_for(client, terminal, lambda ds: len(ds) == 2)
    client.set_configuration(
        {"logs": {"include": ["logs/app.log"], "pollInterval": 0.2}},
        section="accessdenied",
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    # terminal.log no longer matches: its diagnostics are withdrawn, app.log stays.
    await diagnostics_for(client, terminal, lambda ds: len(ds) == 0)
    assert client.diagnostics[(root / "logs" / "app.log").as_uri()]
    client.set_configuration(
        {"logs": {"include": ["**/*.log"], "pollInterval": 0.2}}, section="accessdenied"
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    await diagnostics_for(client, terminal, lambda ds: len(ds) == 2)


async def test_lifecycle_log_messages_have_no_errors(client: LanguageClient):
    assert any("server ready" in m.message for m in client.log_messages)
    assert log_errors(client) == []
