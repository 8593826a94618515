# mypy: disable-error-code="untyped-decorator"
"""A client without codeAction/resolve gets the edits eagerly (and `changes` without
documentChanges support)."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.helpers import (
    SERVER,
    copy_workspace,
    diagnostics_for,
    log_errors,
    wait_ready,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-code-actions-eager"),
]


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("eager"))
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    assert caps.text_document.code_action is not None
    caps.text_document.code_action.resolve_support = None
    lsp_client.root = root  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="basic")],
        )
    )
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_code_actions_eager_edits_without_resolve(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    log_uri = (root / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=log_uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag], only=["quickfix"]),
        )
    )
    assert result
    first = result[0]
    assert isinstance(first, types.CodeAction)
    assert first.edit is not None
    assert first.edit.document_changes is None
    assert first.edit.changes is not None
    [edit] = first.edit.changes[(root / "policies" / "app-role.json").as_uri()]
    assert "dynamodb:PutItem" in edit.new_text


async def test_code_actions_eager_only_other_kinds_gets_nothing(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    log_uri = (root / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=log_uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag], only=["refactor"]),
        )
    )
    assert not result


async def test_code_actions_eager_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
