# mypy: disable-error-code="untyped-decorator"
"""The editor path for SAM Globals, cut generated role names, JSON strings in YAML and
S3 denials without a region (both client profiles).

Each quick fix is applied to the text and compared with what `fix --write` writes for
the same denial (tests/unit/containers), so the two routes agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
import yaml
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
    pytest.mark.xdist_group("lsp-containers-sam-globals"),
]

SCENARIOS = ("sam-globals", "cfn-long-names", "cfn-yaml-json-strings", "cfn-s3-region")


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("sam-globals")
    (root / ".git").mkdir()
    for name in SCENARIOS:
        copy_workspace(name, root)
    # The SCP of cfn-s3-region is configured for the whole workspace.
    (root / ".accessdenied.toml").write_text(
        '[organization]\nscps = [["cfn-s3-region/org/region-guard.json"]]\n'
    )
    lsp_client.root = root.resolve()  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def _actions(client: LanguageClient, log: Path, needle: str, count: int):
    uri = log.as_uri()
    diags = await diagnostics_for(
        client, uri, lambda ds: sum(" was denied " in d.message for d in ds) >= count
    )
    diag = next(d for d in diags if needle in d.message)
    return diag, await code_actions_for(client, uri, diag)


async def _first_fix(
    client: LanguageClient, log: Path, template: Path, needle: str, count: int
) -> str:
    _, actions = await _actions(client, log, needle, count)
    assert actions, "no code action"
    first = await resolved(client, actions[0])
    assert first.edit is not None
    edits, _ = edits_for(first.edit, template.as_uri())
    assert edits, f"the first quick fix does not edit {template.name}: {first.title}"
    return apply_text_edits(template.read_text(), edits)


async def test_sam_globals_fix_inside_the_inherited_boundary(client: LanguageClient):
    ws = _root(client) / "sam-globals"
    template = ws / "template.yaml"
    before = template.read_text()
    after = await _first_fix(
        client, ws / "logs" / "sam-local.log", template, "PutItem", 3
    )
    anchor = "            TableName: !Ref OrdersTable\n\n  # Its own boundary"
    assert after == before.replace(
        anchor,
        "            TableName: !Ref OrdersTable\n"
        "        - Statement:\n"
        "            - Sid: AllowDynamodbPutItem\n"
        "              Effect: Allow\n"
        "              Action: dynamodb:PutItem\n"
        "              Resource: !GetAtt OrdersTable.Arn\n"
        "\n  # Its own boundary",
    )
    assert not log_errors(client)


async def test_sam_globals_outside_the_boundary_offers_no_verified_allow(
    client: LanguageClient,
):
    """The inherited boundary blocks DeleteItem: an Allow is offered only as unverified."""
    ws = _root(client) / "sam-globals"
    template = ws / "template.yaml"
    _, actions = await _actions(
        client,
        ws / "logs" / "sam-local.log",
        "OrdersFunction-AbCdEf was denied dynamodb:DeleteItem",
        3,
    )
    assert actions, "the denial offers no action at all"
    for item in actions:
        action = await resolved(client, item)
        if action.edit is None:
            continue
        edits, _ = edits_for(action.edit, template.as_uri())
        text = apply_text_edits(template.read_text(), edits) if edits else ""
        if "Action: dynamodb:DeleteItem" in text:
            assert "(unverified)" in action.title, action.title
            assert not action.is_preferred, action.title


async def test_cut_sam_role_name_routes_to_its_function(client: LanguageClient):
    ws = _root(client) / "cfn-long-names"
    template = ws / "template.yaml"
    after = await _first_fix(
        client, ws / "logs" / "worker.log", template, "UpdateItem", 2
    )
    assert after.endswith(
        "        - Statement:\n"
        "            - Sid: AllowDynamodbUpdateItem\n"
        "              Effect: Allow\n"
        "              Action: dynamodb:UpdateItem\n"
        "              Resource: !GetAtt LedgerTable.Arn\n"
    )


async def test_double_quoted_json_string_quick_fix(client: LanguageClient):
    ws = _root(client) / "cfn-yaml-json-strings"
    template = ws / "template.yaml"
    after = await _first_fix(client, ws / "logs" / "run.log", template, "PutObject", 2)
    loaded = yaml.load(after, Loader=yaml.BaseLoader)
    value = loaded["Resources"]["Exporter"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]
    doc = json.loads(value)
    assert doc["Statement"][-1]["Action"] == "s3:PutObject"
    assert doc["Statement"][-1]["Resource"] == (
        "arn:aws:s3:::acme-exports/daily/2026-12-03.csv"
    )


async def test_s3_denial_without_region_is_fixed_not_blamed_on_the_scp(
    client: LanguageClient,
):
    ws = _root(client) / "cfn-s3-region"
    template = ws / "template.yaml"
    after = await _first_fix(
        client, ws / "logs" / "export.log", template, "out/1.json", 2
    )
    assert after.endswith(
        "              - Sid: AllowS3PutObject\n"
        "                Effect: Allow\n"
        "                Action: s3:PutObject\n"
        '                Resource: !Sub "${ResultsBucket.Arn}/out/1.json"\n'
    )
    assert not log_errors(client)
