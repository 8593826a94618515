# mypy: disable-error-code="untyped-decorator"
"""One routing: a denial's related information and its first quick fix name one document.

For denials decided by a permissions boundary, a trust policy, a KMS key policy and a
bucket policy, the log diagnostic's first related location, the "was denied" diagnostic
on the policy side and the document the first quick fix edits are the same file.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    code_actions_for,
    copy_workspace,
    diagnostics_for,
    edits_for,
    log_errors,
    resolved,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-routing"),
]

EXPECTED = {
    "dynamodb:PutItem": "app-boundary.json",
    "sts:AssumeRole": "app-role-trust.json",
    "kms:Decrypt": "app-key-policy.json",
    "s3:GetObject": "exports-bucket-policy.json",
}


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("routing", tmp_path_factory.mktemp("routing"))
    lsp_client.root = root  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


def _was_denied(diags: Sequence[types.Diagnostic], action: str) -> bool:
    return any(d.code == "denied-request" and action in d.message for d in diags)


def _action_of(diag: types.Diagnostic) -> str:
    return next(a for a in EXPECTED if a in diag.message)


async def test_routing_related_information_and_first_fix_name_one_document(
    client: LanguageClient,
):
    log_uri = (_root(client) / "logs" / "denials.log").as_uri()
    diags = await diagnostics_for(
        client,
        log_uri,
        lambda ds: len(ds) == 4 and all(d.related_information for d in ds),
    )
    for diag in diags:
        expected = EXPECTED[_action_of(diag)]
        assert diag.related_information is not None
        first = diag.related_information[0].location.uri
        assert Path(first).name == expected, diag.message
        actions = await code_actions_for(client, log_uri, diag)
        assert actions, diag.message
        fix = await resolved(client, actions[0])
        assert fix.edit is not None
        edits, _ = edits_for(fix.edit, first)
        assert edits, f"the first quick fix does not edit {expected}"
    for name, name_file in EXPECTED.items():
        policy_uri = (_root(client) / "policies" / name_file).as_uri()
        policy_diags = await diagnostics_for(
            client, policy_uri, functools.partial(_was_denied, action=name)
        )
        assert policy_diags
    assert not log_errors(client)
