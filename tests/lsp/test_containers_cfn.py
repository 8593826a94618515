# mypy: disable-error-code="untyped-decorator"
"""Quick fixes that land in CloudFormation YAML and SAM templates (both client profiles)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
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
    resolved,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-containers-cfn"),
]


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("containers")
    (root / ".git").mkdir()
    copy_workspace("cfn-yaml-role", root)
    copy_workspace("sam-function", root)
    copy_workspace("serverless-provider", root)
    lsp_client.root = root.resolve()  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def _fix_text(
    client: LanguageClient, log: Path, template: Path, action: str
) -> tuple[str, str]:
    """(the template after the first quick fix for the denial of `action`, its title)."""
    uri = log.as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: any(action in d.message for d in ds)
    )
    diag = next(d for d in diags if action in d.message)
    actions = await code_actions_for(client, uri, diag)
    assert actions, "no code action"
    first = await resolved(client, actions[0])
    assert first.edit is not None
    edits, _ = edits_for(first.edit, template.as_uri())
    return apply_text_edits(template.read_text(), edits), first.title


async def test_containers_cfn_yaml_role_quick_fix_extends_the_statement(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-yaml-role"
    template = ws / "template.yaml"
    before = template.read_text()
    after, title = await _fix_text(
        client, ws / "logs" / "denied.log", template, "dynamodb:GetItem"
    )
    assert "dynamodb:GetItem" in title
    assert after == before.replace(
        "                  - dynamodb:PutItem\n",
        "                  - dynamodb:PutItem\n                  - dynamodb:GetItem\n",
    )
    assert not log_errors(client)


async def test_containers_cfn_yaml_new_statement_references_the_bucket(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-yaml-role"
    template = ws / "template.yaml"
    after, _ = await _fix_text(
        client, ws / "logs" / "denied.log", template, "s3:GetObject"
    )
    assert (
        '                Resource: !Sub "${ReportsBucket.Arn}/2026/12/report.csv"\n'
        in after
    )


async def test_containers_sam_function_quick_fix_adds_inline_statement(
    client: LanguageClient,
):
    ws = _root(client) / "sam-function"
    template = ws / "template.yaml"
    before = template.read_text()
    after, _ = await _fix_text(
        client, ws / "logs" / "sam-local.log", template, "dynamodb:PutItem"
    )
    anchor = "            TableName: !Ref OrdersTable\n"
    assert after == before.replace(
        anchor,
        anchor + "        - Statement:\n"
        "            - Sid: AllowDynamodbPutItem\n"
        "              Effect: Allow\n"
        "              Action: dynamodb:PutItem\n"
        "              Resource: !GetAtt OrdersTable.Arn\n",
    )
    assert not log_errors(client)


async def test_containers_template_gets_the_was_denied_diagnostic(
    client: LanguageClient,
):
    """The template that should grant it carries the denial, on its policy."""
    from tests.lsp.helpers import open_doc

    ws = _root(client) / "sam-function"
    template = ws / "template.yaml"
    open_doc(client, template.as_uri(), template.read_text(), "yaml")
    diags = await diagnostics_for(
        client,
        template.as_uri(),
        lambda ds: any("dynamodb:PutItem" in d.message for d in ds),
    )
    diag = next(d for d in diags if "dynamodb:PutItem" in d.message)
    text = template.read_text()
    policies_line = text[: text.index("      Policies:")].count("\n")
    assert diag.range.start.line >= policies_line


async def test_containers_serverless_quick_fix_extends_provider_statement(
    client: LanguageClient,
):
    ws = _root(client) / "serverless-provider"
    config = ws / "serverless.yml"
    before = config.read_text()
    after, _ = await _fix_text(
        client, ws / "logs" / "invoke.log", config, "dynamodb:Query"
    )
    assert after == before.replace(
        "            - dynamodb:GetItem\n",
        "            - dynamodb:GetItem\n            - dynamodb:Query\n",
    )
    assert not log_errors(client)
