# mypy: disable-error-code="untyped-decorator"
"""Completion in policy documents: actions, wildcards, Effect/Version, ARNs, conditions."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    log_errors,
    open_doc,
    position_of,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-completion"),
]

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Al",
      "Action": ["s3:GetOb"],
      "Resource": "",
      "Condition": {
        "Bool": {"aw": "true"}
      }
    }
  ]
}
"""


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    await start_session(lsp_client, request.param, None)
    yield
    await lsp_client.shutdown_session()


async def _complete(
    client: LanguageClient,
    text: str,
    needle: str,
    offset: int,
    uri: str = "untitled:p.json",
) -> list[types.CompletionItem]:
    open_doc(client, uri, text, "json")
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(text, needle, offset),
        )
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)
        )
    )
    assert result is not None
    items = result.items if isinstance(result, types.CompletionList) else result
    return list(items)


async def test_completion_actions_and_wildcards(client: LanguageClient):
    items = await _complete(client, POLICY, '"s3:GetOb', len('"s3:GetOb'))
    labels = {i.label for i in items}
    assert "s3:GetObject" in labels
    assert "s3:Get*" in labels
    assert "s3:*" in labels
    item = next(i for i in items if i.label == "s3:GetObject")
    # The edit replaces what was typed inside the string (":" breaks words in editors).
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.new_text == "s3:GetObject"
    start = position_of(POLICY, '"s3:GetOb', 1)
    assert item.text_edit.range.start == start


async def test_completion_service_prefixes(client: LanguageClient):
    text = POLICY.replace('"s3:GetOb"', '"dynam"')
    labels = {i.label for i in await _complete(client, text, '"dynam', 6)}
    assert "dynamodb:" in labels


async def test_completion_effect_and_version(client: LanguageClient):
    labels = {i.label for i in await _complete(client, POLICY, '"Al', 3)}
    assert labels == {"Allow", "Deny"}
    text = POLICY.replace('"2012-10-17"', '"2"')
    labels = {i.label for i in await _complete(client, text, '"2"', 2)}
    assert "2012-10-17" in labels


async def test_completion_arn_templates_for_statement_actions(client: LanguageClient):
    text = POLICY.replace('"s3:GetOb"', '"s3:GetObject"')
    labels = {i.label for i in await _complete(client, text, '"Resource": "', 13)}
    assert any(
        label.startswith("arn:${Partition}:s3:::${BucketName}/") for label in labels
    )


async def test_completion_condition_operators_and_keys(client: LanguageClient):
    text = POLICY.replace('"Bool": {"aw": "true"}', '"Str": {}')
    labels = {i.label for i in await _complete(client, text, '"Str', 4)}
    assert "StringEquals" in labels
    assert "ForAnyValue:StringLike" in labels
    assert "StringEqualsIfExists" in labels
    text = POLICY.replace('"s3:GetOb"', '"s3:GetObject"')
    labels = {i.label for i in await _complete(client, text, '"aw', 3)}
    assert "aws:SecureTransport" in labels
    assert any(label.startswith("s3:") for label in labels)


async def test_completion_statement_keys(client: LanguageClient):
    text = POLICY.replace('"Effect": "Al",', '"Effect": "Allow", "",')
    labels = {i.label for i in await _complete(client, text, '"Allow", "', 10)}
    assert {"Sid", "Action", "NotAction", "Resource", "Condition"} <= labels


async def test_completion_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
