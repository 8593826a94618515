# mypy: disable-error-code="untyped-decorator"
"""Quick fixes and source.fixAll land in Terraform files and CDK sources (both profiles)."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    apply_text_edits,
    as_action,
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
    pytest.mark.xdist_group("lsp-containers-tf"),
]


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("tf")
    (root / ".git").mkdir()
    for name in (
        "tf-jsonencode",
        "tf-policy-document",
        "tf-module",
        "cdk-ts",
        "cdk-python",
    ):
        copy_workspace(name, root)
    lsp_client.root = root.resolve()  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def _quick_fix(
    client: LanguageClient, log: Path, target: Path, action: str
) -> tuple[str, str]:
    uri = log.as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: any(action in d.message for d in ds)
    )
    diag = next(d for d in diags if action in d.message)
    actions = await code_actions_for(client, uri, diag)
    quick = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert quick, "no quick fix"
    first = await resolved(client, quick[0])
    assert first.edit is not None
    edits, _ = edits_for(first.edit, target.as_uri())
    assert edits, first.edit
    return apply_text_edits(target.read_text(), edits), first.title


async def test_containers_tf_jsonencode_quick_fix_extends_action_list(
    client: LanguageClient,
):
    ws = _root(client) / "tf-jsonencode"
    target = ws / "main.tf"
    before = target.read_text()
    after, title = await _quick_fix(
        client, ws / "denials.log", target, "dynamodb:PutItem"
    )
    assert "dynamodb:PutItem" in title
    assert after == before.replace(
        'Action   = ["dynamodb:GetItem"]',
        'Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]',
    )
    hcl2.loads(after)
    assert not log_errors(client)


async def test_containers_tf_policy_document_quick_fix_adds_statement_block(
    client: LanguageClient,
):
    ws = _root(client) / "tf-policy-document"
    target = ws / "iam.tf"
    after, _ = await _quick_fix(
        client, ws / "logs" / "denied.log", target, "secretsmanager:GetSecretValue"
    )
    assert (
        "  statement {\n"
        '    sid       = "AllowSecretsmanagerGetSecretValue"\n'
        '    effect    = "Allow"\n'
        '    actions   = ["secretsmanager:GetSecretValue"]\n'
    ) in after
    hcl2.loads(after)


async def test_containers_tf_module_quick_fix_edits_the_module_source(
    client: LanguageClient,
):
    ws = _root(client) / "tf-module"
    target = ws / "modules" / "svc" / "main.tf"
    after, _ = await _quick_fix(
        client, ws / "logs" / "denied.log", target, "dynamodb:PutItem"
    )
    assert '["dynamodb:Query", "dynamodb:PutItem"]' in after


async def test_containers_tf_source_fix_all_one_edit_per_document(
    client: LanguageClient,
):
    ws = _root(client) / "tf-policy-document"
    log = ws / "logs" / "denied.log"
    uri = log.as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: sum("denied" in d.message.lower() for d in ds) >= 3
    )
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diags[0].range,
            context=types.CodeActionContext(
                diagnostics=[], only=[types.CodeActionKind.SourceFixAll]
            ),
        )
    )
    assert result is not None
    actions = [as_action(a) for a in result]
    (fix_all,) = [a for a in actions if a.kind == "source.fixAll.accessdenied"]
    assert fix_all.title.startswith("Fix all AccessDenied denials: 3 of 3 in 2 files")
    assert fix_all.edit is not None
    for name in ("iam.tf", "s3.tf"):
        path = ws / name
        edits, _ = edits_for(fix_all.edit, path.as_uri())
        assert len(edits) == 1  # at most one edit per document
        after = apply_text_edits(path.read_text(), edits)
        hcl2.loads(after)
    iam_edits, _ = edits_for(fix_all.edit, (ws / "iam.tf").as_uri())
    iam = apply_text_edits((ws / "iam.tf").read_text(), iam_edits)
    assert '["sqs:SendMessage", "sqs:ReceiveMessage"]' in iam
    assert "secretsmanager:GetSecretValue" in iam
    assert not log_errors(client)


async def test_containers_cdk_typescript_quick_fix_edits_the_stack_source(
    client: LanguageClient,
):
    ws = _root(client) / "cdk-ts"
    target = ws / "lib" / "orders-stack.ts"
    template = (ws / "cdk.out" / "OrdersStack.template.json").read_bytes()
    after, title = await _quick_fix(
        client, ws / "logs" / "denied.log", target, "dynamodb:PutItem"
    )
    assert "orders-stack.ts" in title
    assert "    handler.addToRolePolicy(new iam.PolicyStatement({\n" in after
    assert "      resources: [table.tableArn],\n" in after
    assert (ws / "cdk.out" / "OrdersStack.template.json").read_bytes() == template


async def test_containers_cdk_python_quick_fix_edits_the_stack_source(
    client: LanguageClient,
):
    ws = _root(client) / "cdk-python"
    target = ws / "stacks" / "worker_stack.py"
    after, _ = await _quick_fix(
        client, ws / "logs" / "denied.log", target, "sqs:ReceiveMessage"
    )
    assert "        worker_role.add_to_policy(\n" in after
    compile(after, str(target), "exec")
    assert not log_errors(client)
