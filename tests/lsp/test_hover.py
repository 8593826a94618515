# mypy: disable-error-code="untyped-decorator"
"""Hover: principal -> effective permissions, resource ARN, action, wildcard; escaping."""

from __future__ import annotations

import re
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
    open_doc,
    position_of,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-hover"),
]


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("hover"))
    lsp_client.root = root  # type: ignore[attr-defined]
    await start_session(lsp_client, request.param, root)
    for name in ("app.log", "creds.log"):
        path = root / "logs" / name
        open_doc(lsp_client, path.as_uri(), path.read_text(), "log")
        await diagnostics_for(lsp_client, path.as_uri())
    policy = root / "policies" / "app-role.json"
    open_doc(lsp_client, policy.as_uri(), policy.read_text(), "json")
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def _hover(client: LanguageClient, rel: str, needle: str, offset: int = 3) -> str:
    path = _root(client) / rel
    pos = position_of(path.read_text(), needle, offset)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=pos
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    return hover.contents.value


async def test_hover_principal_effective_permissions(client: LanguageClient):
    md = await _hover(
        client, "logs/app.log", "arn:aws:sts::111122223333:assumed-role/app-role"
    )
    assert "**Principal**" in md
    assert "app-role.json" in md
    assert "**Allowed**" in md
    assert "s3:GetObject" in md
    assert "sqs:SendMessage" in md
    # On the denial's line: the denial and the policy that should allow it.
    assert "**This denial**" in md
    assert "dynamodb:PutItem" in md


async def test_hover_principal_with_explicit_deny(client: LanguageClient):
    path = _root(client) / "logs" / "terminal.log"
    open_doc(client, path.as_uri(), path.read_text(), "log")
    md = await _hover(client, "logs/terminal.log", "assumed-role/ci-deployer", -20)
    assert "**Denied**" in md
    assert "secretsmanager:" in md
    assert "ci-deployer.json" in md


async def test_hover_action(client: LanguageClient):
    md = await _hover(client, "logs/app.log", "dynamodb:PutItem action", 2)
    assert "`dynamodb:PutItem`" in md
    assert "Write" in md
    assert "table" in md


async def test_hover_wildcard_action_expansion(client: LanguageClient):
    uri = "untitled:wild.json"
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}'
    open_doc(client, uri, text, "json")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(text, "s3:Get*", 2),
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    md = hover.contents.value
    m = re.search(r"matches (\d+) action", md)
    assert m
    assert int(m.group(1)) > 10
    assert "`s3:GetObject`" in md


async def test_hover_resource_arn(client: LanguageClient):
    md = await _hover(
        client, "policies/app-role.json", "arn:aws:s3:::acme-reports/*", 8
    )
    assert "**Resource**" in md
    assert "| service | `s3` |" in md
    assert "s3:object" in md
    assert "Who in this workspace" in md
    assert "role/app-role" in md
    assert "reports-bucket-policy.json" in md


def _outside_code_spans(md: str) -> str:
    """Markdown with inline code spans removed (their content renders literally)."""
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", md)


async def test_hover_escapes_log_content(client: LanguageClient):
    # The principal on the line whose resource carries Markdown/HTML/command: markup.
    md = await _hover(
        client,
        "logs/creds.log",
        "user/ci-bot is not authorized to perform: s3:GetObject",
        2,
    )
    assert "**This denial**" in md
    assert "command:workbench" in md  # the text is there, but only inside a code span
    prose = _outside_code_spans(md)
    assert "command:" not in prose
    assert re.search(r"(?<!\\)\]\(", prose) is None
    assert re.search(r"(?<!\\)<", prose) is None
    md = await _hover(
        client,
        "logs/creds.log",
        "user/ci-bot is not authorized to perform: s3:ListBucket",
        2,
    )
    assert "AKIAIOSFODNN7EXAMPLE" not in md


async def test_hover_nothing_on_plain_text(client: LanguageClient):
    path = _root(client) / "logs" / "app.log"
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=types.Position(line=0, character=2),
        )
    )
    assert hover is None


async def test_hover_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
