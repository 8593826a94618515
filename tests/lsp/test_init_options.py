# mypy: disable-error-code="untyped-decorator"
"""Settings fall back to initializationOptions when the client has no configuration."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.helpers import SERVER, log_errors

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-lifecycle"),
]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    # Neovim 0.7 declares neither workspace/configuration nor position encodings.
    caps = client_capabilities("neovim@v0.7.0")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options={"accessdenied": {"logs": {"maxDiagnostics": 7}}},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_init_options_used_without_workspace_configuration(
    client: LanguageClient,
):
    result = await client.protocol.send_request_async("accessDenied/status", {})
    assert result.settings.logs.maxDiagnostics == 7
    assert result.positionEncoding == "utf-16"
    assert result.root is None
    assert log_errors(client) == []
