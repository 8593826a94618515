# mypy: disable-error-code="untyped-decorator"
"""Policy documents: findings as you type (debounced), on open/save at once, stale
versions never published."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    change_doc,
    copy_workspace,
    diagnostics_for,
    log_errors,
    open_doc,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-policy"),
]

GOOD = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::acme-reports/*"
    }
  ]
}
"""


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("policy"))
    lsp_client.root = root  # type: ignore[attr-defined]
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"include": []}}
    )
    # Record every publish (version + messages) to prove stale results never go out.
    publishes: list[types.PublishDiagnosticsParams] = []
    lsp_client.publishes = publishes  # type: ignore[attr-defined]
    fm = lsp_client.protocol.fm
    default = fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def recording(params: types.PublishDiagnosticsParams) -> Any:
        publishes.append(params)
        return default(params)

    fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = recording
    yield
    await lsp_client.shutdown_session()


def _text_at(text: str, r: types.Range) -> str:
    lines = text.splitlines()
    assert r.start.line == r.end.line
    return lines[r.start.line][r.start.character : r.end.character]


async def test_policy_findings_on_open(client: LanguageClient):
    uri = (client.root / "policies" / "new-role.json").as_uri()  # type: ignore[attr-defined]
    text = GOOD.replace("s3:GetObject", "s3:GetObjekt")
    open_doc(client, uri, text, "json")
    diags = await diagnostics_for(client, uri)
    assert all(d.source == "accessdenied" for d in diags)
    assert all(isinstance(d.code, str) and d.code for d in diags)
    bad = [d for d in diags if "s3:GetObjekt" in _text_at(text, d.range)]
    assert bad, [(d.code, d.message) for d in diags]


async def test_policy_fix_clears_findings(client: LanguageClient):
    uri = (client.root / "policies" / "fixing.json").as_uri()  # type: ignore[attr-defined]
    open_doc(client, uri, GOOD.replace("s3:GetObject", "s3:GetObjekt"), "json")
    await diagnostics_for(client, uri)
    change_doc(client, uri, GOOD, version=2)
    await diagnostics_for(client, uri, lambda ds: len(ds) == 0)


async def test_policy_rapid_edits_publish_latest_version_only(client: LanguageClient):
    uri = (client.root / "policies" / "typing.json").as_uri()  # type: ignore[attr-defined]
    open_doc(client, uri, GOOD, "json", version=1)
    await diagnostics_for(client, uri, lambda ds: len(ds) == 0)
    publishes: list[types.PublishDiagnosticsParams] = client.publishes  # type: ignore[attr-defined]
    before = len(publishes)
    for v in range(2, 22):
        change_doc(client, uri, GOOD.replace("s3:GetObject", f"s3:Bad{v}x"), version=v)
    diags = await diagnostics_for(
        client,
        uri,
        lambda ds: any("s3:Bad21x" in d.message or d.range.start.line == 6 for d in ds),
    )
    assert diags
    after = [p for p in publishes[before:] if p.uri == uri]
    # Debounced: far fewer publishes than edits, and only for the newest version.
    assert len(after) <= 3
    assert all(p.version == 21 for p in after)


async def test_policy_syntax_error_reported(client: LanguageClient):
    uri = (client.root / "policies" / "broken.json").as_uri()  # type: ignore[attr-defined]
    text = GOOD.replace('"Effect": "Allow",', '"Effect": "Allow"')
    open_doc(client, uri, text, "json")
    diags = await diagnostics_for(client, uri)
    assert any(d.severity == types.DiagnosticSeverity.Error for d in diags)


async def test_policy_unrelated_json_gets_nothing(client: LanguageClient):
    uri = (client.root / "package.json").as_uri()  # type: ignore[attr-defined]
    open_doc(client, uri, '{"name": "x", "version": "1.0.0"}', "json")
    # Ask for something to be sure the didOpen was processed, then check.
    await client.protocol.send_request_async("accessDenied/status", {})
    assert not client.diagnostics.get(uri)


async def test_policy_ranges_honour_the_negotiated_encoding(client: LanguageClient):
    """A finding after non-ASCII text on its line lands on the right characters in
    UTF-16 (VS Code) and UTF-8 (Neovim 0.11) alike."""
    uri = (client.root / "policies" / "emoji.json").as_uri()  # type: ignore[attr-defined]
    text = GOOD.replace(
        '"Action": "s3:GetObject",', '"Sid2": "café 😀", "Action": "s3:GetObjekt",'
    ).replace('"Sid": "Read",', "")
    open_doc(client, uri, text, "json")
    diags = await diagnostics_for(client, uri)
    status = await client.protocol.send_request_async("accessDenied/status", {})
    encoding = status.positionEncoding
    found = []
    for d in diags:
        line = text.splitlines()[d.range.start.line]
        a, b = d.range.start.character, d.range.end.character
        if encoding == "utf-8":
            found.append(line.encode("utf-8")[a:b].decode("utf-8", "replace"))
        else:
            found.append(
                line.encode("utf-16-le")[2 * a : 2 * b].decode("utf-16-le", "replace")
            )
    assert any("s3:GetObjekt" in f for f in found), (encoding, found)


async def test_policy_cloudformation_yaml_findings(client: LanguageClient):
    path = client.root / "infra" / "worker.cfn.yaml"  # type: ignore[attr-defined]
    text = path.read_text()
    open_doc(client, path.as_uri(), text, "yaml")
    diags = await diagnostics_for(client, path.as_uri())
    line = next(i for i, t in enumerate(text.splitlines()) if "sqs:RecieveMessage" in t)
    assert any(d.range.start.line == line for d in diags), [
        (d.code, d.range.start.line) for d in diags
    ]


async def test_policy_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
