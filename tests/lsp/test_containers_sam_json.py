# mypy: disable-error-code="untyped-decorator"
"""Quick fixes that land in SAM JSON templates (both client profiles), verified.

Each quick fix is applied to a private copy of the workspace, which is then judged
as `fix --write` is: the template still parses as JSON, the denied call is allowed,
neighbouring calls stay denied, lines outside the edit unchanged.
"""

from __future__ import annotations

import difflib
import json
import shutil
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
    open_doc,
    resolved,
    start_session,
)
from tests.unit.containers.scenario import decisions

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-containers-sam-json"),
]

ACCOUNT = "111122223333"
ORDERS_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-OrdersFunctionRole-"
    "1QW2E3R4T5Y6/orders-stack-OrdersFunction-AbCdEf"
)
REPORT_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-ReportFunctionRole-"
    "9Z8X7C6V5B4N/orders-stack-ReportFunction-QwErTy"
)
WORKER_FN = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-stack-WorkerRole-5T6Y7U8I9O0P/"
    "orders-stack-Worker-ZxCvBn"
)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("sam-json")
    (root / ".git").mkdir()
    copy_workspace("sam-json", root)
    lsp_client.root = root.resolve()  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _ws(client: LanguageClient) -> Path:
    return client.root / "sam-json"  # type: ignore[attr-defined, no-any-return]


async def _quick_fix(client: LanguageClient, needle: str) -> tuple[str, str]:
    """(the template after the first quick fix of the log denial matching, its title)."""
    ws = _ws(client)
    log, template = ws / "logs" / "sam-local.log", ws / "template.json"
    uri = log.as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: sum("dynamodb:" in d.message for d in ds) >= 3
    )
    diag = next(d for d in diags if needle in d.message)
    actions = await code_actions_for(client, uri, diag)
    assert actions, "no code action"
    first = await resolved(client, actions[0])
    assert first.edit is not None
    edits, _ = edits_for(first.edit, template.as_uri())
    assert edits, "the quick fix does not edit template.json"
    return apply_text_edits(template.read_text(), edits), first.title


def _judge(client: LanguageClient, tmp: Path, after: str) -> Path:
    """A copy of the workspace holding the edited template (for a fresh index)."""
    root = tmp / "judged"
    shutil.copytree(_ws(client), root)
    (root / ".git").mkdir(exist_ok=True)
    (root / "template.json").write_text(after)
    return root


def _changes(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [
        (a[i1:i2], b[j1:j2])
        for tag, i1, i2, j1, j2 in sm.get_opcodes()
        if tag != "equal"
    ]


async def test_sam_json_new_statement_item_routes_to_the_function(
    client: LanguageClient, tmp_path: Path
):
    before = (_ws(client) / "template.json").read_text()
    after, title = await _quick_fix(client, "OrdersFunctionRole")
    assert "dynamodb:PutItem" in title
    (changed,) = _changes(before, after)
    assert changed[0] == [
        '          {"DynamoDBReadPolicy": {"TableName": {"Ref": "OrdersTable"}}}\n'
    ]
    assert changed[1][0] == changed[0][0].rstrip("\n") + ",\n"
    policies = json.loads(after)["Resources"]["OrdersFunction"]["Properties"][
        "Policies"
    ]
    assert policies[1]["Statement"][0]["Action"] == "dynamodb:PutItem"
    assert policies[1]["Statement"][0]["Resource"] == {
        "Fn::GetAtt": ["OrdersTable", "Arn"]
    }
    got = decisions(
        _judge(client, tmp_path, after),
        [
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
            (ORDERS_FN, "dynamodb:DeleteItem", TABLE),
            (WORKER_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert not log_errors(client)


async def test_sam_json_inline_statement_is_extended(
    client: LanguageClient, tmp_path: Path
):
    before = (_ws(client) / "template.json").read_text()
    after, _ = await _quick_fix(client, "ReportFunctionRole")
    assert _changes(before, after) == [
        (
            ['                "Action": ["dynamodb:Query"],\n'],
            ['                "Action": ["dynamodb:Query", "dynamodb:GetItem"],\n'],
        )
    ]
    got = decisions(
        _judge(client, tmp_path, after),
        [
            (REPORT_FN, "dynamodb:GetItem", TABLE),
            (REPORT_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny"]


async def test_sam_json_function_without_policies_gets_one(
    client: LanguageClient, tmp_path: Path
):
    after, _ = await _quick_fix(client, "WorkerRole")
    props = json.loads(after)["Resources"]["Worker"]["Properties"]
    assert props["Policies"][0]["Statement"][0]["Action"] == "dynamodb:PutItem"
    got = decisions(
        _judge(client, tmp_path, after),
        [
            (WORKER_FN, "dynamodb:PutItem", TABLE),
            (WORKER_FN, "dynamodb:GetItem", TABLE),
            (ORDERS_FN, "dynamodb:PutItem", TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]


async def test_sam_json_template_gets_the_was_denied_diagnostic(
    client: LanguageClient,
):
    template = _ws(client) / "template.json"
    text = template.read_text()
    open_doc(client, template.as_uri(), text, "json")
    diags = await diagnostics_for(
        client,
        template.as_uri(),
        lambda ds: any("dynamodb:PutItem" in d.message for d in ds),
    )
    lines = {d.range.start.line for d in diags if "dynamodb:PutItem" in d.message}
    orders = text[: text.index('"OrdersFunction"')].count("\n")
    report = text[: text.index('"ReportFunction"')].count("\n")
    assert any(orders <= line < report for line in lines)
    assert not log_errors(client)
