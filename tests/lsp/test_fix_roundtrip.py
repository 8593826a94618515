# mypy: disable-error-code="untyped-decorator"
"""A quick fix written to disk is picked up: the policy index refreshes (watcher or poll)."""

from __future__ import annotations

from pathlib import Path

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
    # The statement that allows it now is named (the quick fix's).
    related = now.related_information or []
    assert related, now
    assert related[0].location.uri == policy.as_uri(), related
    remaining = await diagnostics_for(
        client,
        policy.as_uri(),
        lambda ds: not any("dynamodb:PutItem" in d.message for d in ds),
    )
    # The other requests denied to app-role are still reported on it.
    assert any("s3:PutObject" in d.message for d in remaining)


async def test_fix_roundtrip_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
