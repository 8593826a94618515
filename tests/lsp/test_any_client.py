# mypy: disable-error-code="untyped-decorator"
"""Any LSP client, not only ours: plaintext hovers, no relatedInformation, other ids.

A client that offers only plaintext hovers and no diagnostic relatedInformation (as
many generic clients do) still learns which document decides each denial, from the
message itself, and gets hovers without Markdown syntax; a log opened with the
language id `text` is recognised by its file pattern.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.helpers import (
    SERVER,
    copy_workspace,
    diagnostics_for,
    log_errors,
    open_doc,
    position_of,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-any-client"),
]

EXPECTED = {
    "dynamodb:PutItem": "policies/app-boundary.json",
    "sts:AssumeRole": "policies/app-role-trust.json",
    "kms:Decrypt": "policies/app-key-policy.json",
    "s3:GetObject": "policies/exports-bucket-policy.json",
}


def _plain_capabilities() -> types.ClientCapabilities:
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.hover = types.HoverClientCapabilities(
        content_format=[types.MarkupKind.PlainText]
    )
    caps.text_document.publish_diagnostics = types.PublishDiagnosticsClientCapabilities(
        related_information=False
    )
    return caps


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = copy_workspace("routing", tmp_path_factory.mktemp("any-client"))
    lsp_client.root = root  # type: ignore[attr-defined]
    await start_session(lsp_client, "neovim", root, capabilities=_plain_capabilities())
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def test_any_client_message_names_deciding_document_and_plain_hover(
    client: LanguageClient,
):
    log = _root(client) / "logs" / "denials.log"
    text = log.read_text()
    open_doc(client, log.as_uri(), text, "text")
    diags = await diagnostics_for(
        client,
        log.as_uri(),
        lambda ds: len(ds) == 4 and all("(fix in " in d.message for d in ds),
    )
    for diag in diags:
        action = next(a for a in EXPECTED if a in diag.message)
        assert f"(fix in {EXPECTED[action]}:" in diag.message, diag.message
    policy = _root(client) / "policies" / "app-role.json"
    policy_text = policy.read_text()
    open_doc(client, policy.as_uri(), policy_text, "js-json")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=policy.as_uri()),
            position=position_of(policy_text, "dynamodb:PutItem", 3),
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.PlainText
    value = hover.contents.value
    assert "dynamodb:PutItem" in value
    assert "Write" in value
    assert "**" not in value
    assert "`" not in value
    assert "\\" not in value
    assert not log_errors(client)
