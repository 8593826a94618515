# mypy: disable-error-code="untyped-decorator"
"""Hostile documents through the real server (pytest-lsp, VS Code and Neovim profiles):
lone-CR and U+2028 policies edited incrementally, versioned edits, read-only files,
duplicate Statement keys, bidi controls and config paths outside the workspace."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import converters, types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    diagnostics_for,
    log_errors,
    open_doc,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("reliability-lsp-documents"),
]

ACCOUNT = "111122223333"
CONFIG = """\
[[principals]]
arn = "arn:aws:iam::111122223333:role/app-role"
identity_policies = ["policies/app.json"]

[[principals]]
arn = "arn:aws:iam::111122223333:role/ro-role"
identity_policies = ["policies/ro.json"]

[[principals]]
arn = "arn:aws:iam::111122223333:role/dup-role"
identity_policies = ["policies/dup.json"]

[[principals]]
arn = "arn:aws:iam::111122223333:role/out-role"
identity_policies = ["../outside.json"]
"""
# Lone CRs as line breaks, and U+2028 / U+0085 inside a string (not line breaks in LSP).
APP = (
    '{\r  "Version": "2012-10-17",\r  "Statement": [\r    {\r'
    '      "Sid": "Read",\r      "Effect": "Allow",\r      "Action": "s3:GetObject",\r'
    '      "Resource": "arn:aws:s3:::notes/a\u2028b\u0085c"\r    }\r  ]\r}\r'
)
EMPTY = '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'
DUP = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [],\n'
    '  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]\n}\n'
)


def denial(role: str, resource: str = "arn:aws:s3:::acme/k") -> str:
    return (
        "An error occurred (AccessDenied) when calling the PutObject operation: User: "
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/dev is not authorized to perform: "
        f's3:PutObject on resource: "{resource}" because no identity-based policy '
        "allows the s3:PutObject action\n"
    )


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    root = base / "ws"
    (root / "policies").mkdir(parents=True)
    (base / "outside.json").write_text(EMPTY, encoding="utf-8")
    (root / ".accessdenied.toml").write_text(CONFIG, encoding="utf-8")
    (root / "policies" / "app.json").write_bytes(APP.encode())
    (root / "policies" / "ro.json").write_text(EMPTY, encoding="utf-8")
    (root / "policies" / "ro.json").chmod(stat.S_IRUSR | stat.S_IRGRP)
    (root / "policies" / "dup.json").write_text(DUP, encoding="utf-8")
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root.resolve(), settings={"logs": {"include": []}}
    )
    yield
    await lsp_client.shutdown_session()
    (root / "policies" / "ro.json").chmod(0o644)


def _root(client: LanguageClient) -> Path:
    return Path(client.root).resolve()  # type: ignore[attr-defined]


def _as_action(item: types.Command | types.CodeAction) -> types.CodeAction:
    if isinstance(item, types.CodeAction):
        return item
    raw = ast.literal_eval(item.command)
    return converters.get_converter().structure(
        {"title": item.title, "command": raw}, types.CodeAction
    )


async def _log_actions(
    client: LanguageClient, name: str, text: str
) -> list[types.CodeAction]:
    uri = (_root(client) / f"{name}.log").as_uri()
    open_doc(client, uri, text, "log")
    [diag] = await diagnostics_for(client, uri)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    actions = [_as_action(a) for a in result or []]
    out = []
    for a in actions:
        if a.edit is None and a.disabled is None and a.data is not None:
            a = await client.code_action_resolve_async(a)
        out.append(a)
    return out


def _edits(edit: types.WorkspaceEdit, uri: str) -> tuple[list[types.TextEdit], Any]:
    if edit.document_changes is not None:
        for change in edit.document_changes:
            assert isinstance(change, types.TextDocumentEdit)
            if change.text_document.uri == uri:
                return list(change.edits), change.text_document.version  # type: ignore[arg-type]
        raise AssertionError(f"no edit for {uri}")
    assert edit.changes is not None
    return list(edit.changes[uri]), "unversioned"


def _lsp_apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply edits as an LSP client does: lines end at \\n, \\r\\n or \\r only."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def off(p: types.Position) -> int:
        return starts[p.line] + p.character  # BMP-only text: UTF-16 == code points

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


async def test_lone_cr_and_u2028_policy_incremental_edit_and_fix_stay_valid(
    client: LanguageClient,
) -> None:
    path = _root(client) / "policies" / "app.json"
    uri = path.as_uri()
    open_doc(client, uri, APP, "json", version=1)
    # Incremental change on the line after the U+2028 string: insert a space before
    # the closing brace of the statement (line 8 as LSP counts lines).
    text = APP
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=8, character=4),
            end=types.Position(line=8, character=4),
        ),
        text=" ",
    )
    text = _lsp_apply(text, [types.TextEdit(range=change.range, new_text=change.text)])
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[change],
        )
    )
    assert text.split("\r")[8] == "     }"
    actions = await _log_actions(client, "app", denial("app-role"))
    first = next(a for a in actions if a.edit is not None)
    edits, version = _edits(first.edit, uri)  # type: ignore[arg-type]
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        assert version == 2
    after = _lsp_apply(text, edits)
    doc = json.loads(after)
    assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::notes/a\u2028b\u0085c"
    assert doc["Statement"][-1]["Action"] == "s3:PutObject"
    assert "\n" not in after  # the file's lone-CR style is kept


async def test_read_only_policy_gets_a_reason_not_a_silent_no_op(
    client: LanguageClient,
) -> None:
    actions = await _log_actions(client, "ro", denial("ro-role"))
    [action] = [a for a in actions if "ro.json" in a.title]
    assert action.edit is None
    reason = "policies/ro.json is read-only; make it writable to apply this fix"
    if action.disabled is not None:
        assert action.disabled.reason == reason
    else:
        assert action.title.endswith(f"(cannot apply: {reason})")


async def test_duplicate_statement_keys_are_refused(client: LanguageClient) -> None:
    actions = await _log_actions(client, "dup", denial("dup-role"))
    dup = [a for a in actions if "dup.json" in a.title]
    assert dup
    for action in dup:
        assert action.edit is None
        why = action.disabled.reason if action.disabled else action.title
        assert 'has two "Statement" keys' in why


async def test_bidi_controls_are_neutralised_in_messages(
    client: LanguageClient,
) -> None:
    uri = (_root(client) / "bidi.log").as_uri()
    open_doc(client, uri, denial("app-role", "arn:aws:s3:::acme/\u202etxt.exe"), "log")
    [diag] = await diagnostics_for(client, uri)
    assert "\u202e" not in diag.message
    assert "<U+202E>txt.exe" in diag.message
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=diag.range.start.character + 10),
        )
    )
    if hover is not None:
        assert "\u202e" not in json.dumps(converters.get_converter().unstructure(hover))


async def test_bidi_controls_are_neutralised_in_policy_findings(
    client: LanguageClient,
) -> None:
    uri = (_root(client) / "policies" / "bidi.json").as_uri()
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "s3:Get\u202eObject", "Resource": "*"}]}\n'
    )
    open_doc(client, uri, text, "json")
    diags = await diagnostics_for(
        client, uri, lambda ds: any("<U+202E>" in d.message for d in ds)
    )
    assert all("\u202e" not in d.message for d in diags)


async def test_config_path_outside_is_a_warning_on_its_line(
    client: LanguageClient,
) -> None:
    uri = (_root(client) / ".accessdenied.toml").as_uri()
    [diag] = await diagnostics_for(client, uri)
    assert diag.code == "path-outside-workspace"
    assert diag.range.start.line == 14  # line 15 of the file, 0-based
    assert "outside the workspace" in diag.message


async def test_outside_policy_is_never_an_edit_target(client: LanguageClient) -> None:
    outside = (_root(client).parent / "outside.json").as_uri()
    actions = await _log_actions(client, "out", denial("out-role"))
    for a in actions:
        if a.edit is not None:
            changes = a.edit.document_changes or []
            uris = [c.text_document.uri for c in changes]  # type: ignore[union-attr]
            assert outside not in uris
            assert outside not in (a.edit.changes or {})


async def test_allow_outside_reads_reads_but_still_refuses_the_edit(
    client: LanguageClient,
) -> None:
    """Last in the module: it switches the machine-scoped setting on."""
    client.set_configuration(
        {"logs": {"include": []}, "policy": {"allowOutsideReads": True}},
        section="accessdenied",
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    reason = "outside the workspace folders; not edited"
    for attempt in range(40):
        actions = await _log_actions(client, f"out{attempt}", denial("out-role"))
        refused = [a for a in actions if "outside.json" in a.title and a.edit is None]
        if refused:
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the outside policy was never considered")
    for a in refused:
        why = a.disabled.reason if a.disabled else a.title
        assert reason in why


async def test_no_errors_logged(client: LanguageClient) -> None:
    assert log_errors(client) == []
