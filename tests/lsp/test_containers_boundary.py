# mypy: disable-error-code="untyped-decorator"
"""Boundaries and managed-only roles through the editor (both client profiles).

A denial decided by a CloudFormation role's permissions boundary points at the
boundary document (related information, "was denied" diagnostic) and its first quick
fix edits that ManagedPolicy; a JSON role with only AWS managed policies gets a new
inline policy from the quick fix.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    apply_text_edits,
    code_actions_for,
    copy_workspace,
    diagnostics_for,
    edits_for,
    log_errors,
    open_doc,
    resolved,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-containers-boundary"),
]


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("boundary")
    (root / ".git").mkdir()
    copy_workspace("cfn-boundary-yaml", root)
    copy_workspace("cfn-managed-json", root)
    lsp_client.root = root.resolve()  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


def _about(diags: Sequence[types.Diagnostic], who: str) -> types.Diagnostic | None:
    return next((d for d in diags if who in d.message), None)


def _was_denied(diags: Sequence[types.Diagnostic], action: str) -> bool:
    return any(d.code == "denied-request" and action in d.message for d in diags)


async def test_boundary_denial_points_at_and_fixes_the_boundary(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-boundary-yaml"
    template = ws / "template.yaml"
    log_uri = (ws / "logs" / "worker.log").as_uri()
    diags = await diagnostics_for(
        client,
        log_uri,
        lambda ds: (
            (d := _about(ds, "ingest-worker")) is not None
            and bool(d.related_information)
        ),
    )
    diag = _about(diags, "ingest-worker")
    assert diag is not None
    assert diag.related_information
    related = diag.related_information[0]
    assert Path(related.location.uri).name == "template.yaml"
    assert "TeamBoundary" in related.message
    text = template.read_text()
    # The related range is inside TeamBoundary's PolicyDocument, not the role's.
    boundary_line = text[: text.index("  TeamBoundary:")].count("\n")
    role_line = text[: text.index("  IngestRole:")].count("\n")
    assert boundary_line < related.location.range.start.line < role_line
    actions = await code_actions_for(client, log_uri, diag)
    assert actions
    first = await resolved(client, actions[0])
    assert "permissions boundary" in first.title
    assert first.edit is not None
    edits, _ = edits_for(first.edit, template.as_uri())
    after = apply_text_edits(text, edits)
    anchor = '            Resource: "*"\n\n  IngestRole:'
    assert after == text.replace(
        anchor,
        '            Resource: "*"\n'
        "          - Sid: AllowS3PutObject\n"
        "            Effect: Allow\n"
        "            Action: s3:PutObject\n"
        '            Resource: !Sub "${DataBucket.Arn}/incoming/2026-12-03.csv"\n'
        "\n  IngestRole:",
    )
    open_doc(client, template.as_uri(), text, "yaml")
    assert await diagnostics_for(
        client,
        template.as_uri(),
        functools.partial(_was_denied, action="s3:PutObject"),
    )
    assert not log_errors(client)


async def test_aws_managed_boundary_is_named_and_never_edited(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-boundary-yaml"
    log_uri = (ws / "logs" / "worker.log").as_uri()
    diags = await diagnostics_for(
        client,
        log_uri,
        lambda ds: (
            (d := _about(ds, "audit-reader")) is not None
            and bool(d.related_information)
        ),
    )
    diag = _about(diags, "audit-reader")
    assert diag is not None
    assert diag.related_information
    assert "ReadOnlyAccess" in diag.related_information[0].message
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=log_uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    # No quick fix widens an AWS managed policy: nothing that edits a file.
    for item in result or []:
        assert isinstance(item, types.CodeAction), item
        assert item.edit is None, item.title
        assert item.data is None, item.title


async def test_json_role_with_only_aws_managed_policies_gets_an_inline_policy(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-managed-json"
    template = ws / "template.json"
    log_uri = (ws / "logs" / "export.log").as_uri()
    diags = await diagnostics_for(
        client, log_uri, lambda ds: _about(ds, "dynamodb:PutItem") is not None
    )
    diag = _about(diags, "dynamodb:PutItem")
    assert diag is not None
    actions = await code_actions_for(client, log_uri, diag)
    assert actions
    first = await resolved(client, actions[0])
    assert first.edit is not None
    edits, _ = edits_for(first.edit, template.as_uri())
    after = json.loads(apply_text_edits(template.read_text(), edits))
    props = after["Resources"]["ExporterRole"]["Properties"]
    (policy,) = props["Policies"]
    assert policy["PolicyName"] == "ExporterRole-granted"
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == {
        "Fn::GetAtt": ["ExportTable", "Arn"]
    }
    assert len(props["ManagedPolicyArns"]) == 2
    assert not log_errors(client)
