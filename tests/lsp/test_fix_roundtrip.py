# mypy: disable-error-code="untyped-decorator"
"""A quick fix written to disk is picked up: the policy index refreshes (watcher or poll)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import converters, types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    copy_workspace,
    diagnostics_for,
    log_errors,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-fix-roundtrip"),
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


async def _actions(
    client: LanguageClient, uri: str, diag: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert result is not None
    return [_as_action(a) for a in result]


def _as_action(item: types.Command | types.CodeAction) -> types.CodeAction:
    """lsprotocol 2025.0.0 structures any code action that has a `command` as a
    `Command` (its `_code_action_hook` only checks for the key) and stringifies the
    nested object; real editors check `typeof command`. Undo that here."""
    if isinstance(item, types.CodeAction):
        return item
    raw = ast.literal_eval(item.command)
    assert isinstance(raw, dict), item
    return converters.get_converter().structure(
        {"title": item.title, "command": raw}, types.CodeAction
    )


def _edits_for(edit: types.WorkspaceEdit, uri: str) -> tuple[list[types.TextEdit], Any]:
    """The edits for `uri` and the version they were made against (None: not open)."""
    if edit.document_changes is not None:
        for change in edit.document_changes:
            assert isinstance(change, types.TextDocumentEdit)
            if change.text_document.uri == uri:
                return [e for e in change.edits if isinstance(e, types.TextEdit)], (
                    change.text_document.version
                )
        raise AssertionError(f"no edit for {uri}")
    assert edit.changes is not None
    return list(edit.changes[uri]), "no-version"


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def off(p: types.Position) -> int:
        return offsets[p.line] + p.character  # ASCII policy files

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


async def _resolved(
    client: LanguageClient, action: types.CodeAction
) -> types.CodeAction:
    if action.edit is not None:
        return action
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None
    return resolved


async def test_fix_roundtrip_applied_fix_is_picked_up(client: LanguageClient):
    """Write the fix to disk: the index refreshes, the policy's "was denied" diagnostic
    goes away and the log's denial says the workspace allows it now."""
    log_uri = (_root(client) / "logs" / "app.log").as_uri()
    [diag] = await diagnostics_for(client, log_uri)
    resolved = await _resolved(client, (await _actions(client, log_uri, diag))[0])
    assert resolved.edit is not None
    policy = _root(client) / "policies" / "app-role.json"
    edits, _ = _edits_for(resolved.edit, policy.as_uri())
    policy.write_text(_apply(policy.read_text(), edits))
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=policy.as_uri(), type=types.FileChangeType.Changed
                    )
                ]
            )
        )
    [now] = await diagnostics_for(
        client,
        log_uri,
        lambda ds: (
            len(ds) == 1 and ds[0].severity == types.DiagnosticSeverity.Information
        ),
    )
    assert "allow it now" in now.message
    remaining = await diagnostics_for(
        client,
        policy.as_uri(),
        lambda ds: not any("dynamodb:PutItem" in d.message for d in ds),
    )
    # The other requests denied to app-role are still reported on it.
    assert any("s3:PutObject" in d.message for d in remaining)


async def test_fix_roundtrip_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
