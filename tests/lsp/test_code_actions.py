# mypy: disable-error-code="untyped-decorator"
"""Quick fixes: insert the missing statement (lazy resolve), versions, go to the deny."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate
from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    copy_workspace,
    diagnostics_for,
    log_errors,
    open_doc,
    start_session,
)
from tests.lsp.helpers import (
    apply_text_edits as _apply,
)
from tests.lsp.helpers import (
    code_actions_for as _actions,
)
from tests.lsp.helpers import (
    edits_for as _edits_for,
)
from tests.lsp.helpers import (
    resolved as _resolved,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-code-actions"),
]


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("actions"))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def test_code_actions_insert_statement_resolves_lazily(client: LanguageClient):
    log_uri = (_root(client) / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    actions = await _actions(client, log_uri, diag)
    assert actions
    first = actions[0]
    assert first.kind == types.CodeActionKind.QuickFix
    assert "app-role.json" in first.title
    assert first.is_preferred
    # Both profiles declare codeAction resolveSupport for "edit": edits come lazily.
    assert first.edit is None
    assert first.data is not None
    resolved = await _resolved(client, first)
    assert resolved.edit is not None
    policy = _root(client) / "policies" / "app-role.json"
    edits, version = _edits_for(resolved.edit, policy.as_uri())
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        assert version is None  # documentChanges; the file is not open
    else:
        assert version == "no-version"  # Neovim's profile has no documentChanges
    new_text = _apply(policy.read_text(), edits)
    doc = json.loads(new_text)
    decision = evaluate(
        Request(
            principal="arn:aws:sts::111122223333:assumed-role/app-role/i-0abc123def4567890",
            action="dynamodb:PutItem",
            resource="arn:aws:dynamodb:us-east-1:111122223333:table/report-index",
        ),
        PolicySet(identity=(Policy(doc),)),
    )
    assert decision.allowed


async def test_code_actions_variants_offered(client: LanguageClient):
    log_uri = (_root(client) / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    titles = [a.title for a in await _actions(client, log_uri, diag)]
    assert len(titles) == len(set(titles))
    assert all("app-role.json" in t for t in titles if "Go to" not in t)


async def test_code_actions_versioned_edit_for_open_policy(client: LanguageClient):
    policy = _root(client) / "policies" / "app-role.json"
    open_doc(client, policy.as_uri(), policy.read_text(), "json", version=5)
    log_uri = (_root(client) / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    resolved = await _resolved(client, (await _actions(client, log_uri, diag))[0])
    assert resolved.edit is not None
    _, version = _edits_for(resolved.edit, policy.as_uri())
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        assert version == 5
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=policy.as_uri())
        )
    )


async def test_code_actions_explicit_deny_go_to_statement(client: LanguageClient):
    uri = (_root(client) / "logs" / "terminal.log").as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: any(d.code == "explicit-deny" for d in ds)
    )
    [diag] = [d for d in diags if d.code == "explicit-deny"]
    actions = await _actions(client, uri, diag)
    [go] = [a for a in actions if a.title.startswith("Go to the denying statement")]
    assert go.command is not None
    assert go.command.command == "accessdenied.showLocation"
    target = (_root(client) / "policies" / "ci-deployer.json").as_uri()
    assert go.command.arguments is not None
    assert go.command.arguments[0] == target
    ok = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=go.command.command, arguments=go.command.arguments
        )
    )
    assert ok is True
    assert client.shown_documents[-1].uri == target
    # The Deny statement ("NeverTouchProdSecrets") starts on line 13 (0-based 12).
    text = (_root(client) / "policies" / "ci-deployer.json").read_text()
    deny_line = next(
        i for i, t in enumerate(text.splitlines()) if "NeverTouchProdSecrets" in t
    )
    selection = client.shown_documents[-1].selection
    assert selection is not None
    assert selection.start.line in (deny_line - 1, deny_line)


async def test_code_actions_on_policy_file_denial_diagnostic(client: LanguageClient):
    policy = (_root(client) / "policies" / "app-role.json").as_uri()
    diags = await diagnostics_for(
        client, policy, lambda ds: any(d.code == "denied-request" for d in ds)
    )
    diag = next(d for d in diags if d.code == "denied-request")
    actions = await _actions(client, policy, diag)
    assert any("app-role.json" in a.title for a in actions)


async def test_code_actions_none_for_foreign_diagnostics(client: LanguageClient):
    uri = (_root(client) / "logs" / "app.log").as_uri()
    foreign = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=0, character=0),
            end=types.Position(line=0, character=1),
        ),
        message="something else",
        source="other-linter",
        data={"kind": "denial", "denial": {"bogus": True}},
    )
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=foreign.range,
            context=types.CodeActionContext(diagnostics=[foreign]),
        )
    )
    assert not result


async def test_code_actions_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
