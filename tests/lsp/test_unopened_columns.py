# mypy: disable-error-code="untyped-decorator"
"""Denials in log files that are not open: columns in the negotiated position encoding.

The log (tests/workspaces/e2e-utf16) has BMP and astral characters before the denial on
the same line. VS Code 1.65 negotiates UTF-16, Neovim 0.11 UTF-8; a client offering only
UTF-32 gets code points. The range must cover exactly the denial text in those units,
on first discovery and after an append (the lines are read from where the last read
stopped).
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
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-columns"),
]

CODECS = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}
# (capability profile, encodings the client offers: None = what the profile offers)
SETUPS = {
    "visual_studio_code": ("visual_studio_code", None),
    "neovim": ("neovim", None),
    "neovim-utf32": ("neovim", [types.PositionEncodingKind.Utf32]),
}
APPENDED = (
    "2026-12-02 09:00:00 \U0001f9ea\U0001f9ea essai \u00e9 An error occurred "
    "(AccessDenied) when calling the GetObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/app-role/dev is not authorized to perform: "
    "s3:GetObject on resource: arn:aws:s3:::acme-reports/x.csv because no "
    "identity-based policy allows the s3:GetObject action\n"
)


@pytest_lsp.fixture(
    scope="module",
    params=list(SETUPS),
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    profile, offered = SETUPS[request.param]
    root = copy_workspace("e2e-utf16", tmp_path_factory.mktemp(request.param))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = profile  # type: ignore[attr-defined]
    caps = client_capabilities(profile)
    if offered is not None:
        assert caps.general is not None
        caps.general.position_encodings = offered
    result = await start_session(
        lsp_client,
        profile,
        root,
        settings={"logs": {"pollInterval": 0.1}},
        capabilities=caps,
    )
    lsp_client.encoding = str(  # type: ignore[attr-defined]
        result.capabilities.position_encoding or "utf-16"
    )
    yield
    await lsp_client.shutdown_session()


def _covered(line: str, rng: types.Range, encoding: str) -> str:
    codec, width = CODECS[encoding]
    units = line.encode(codec)
    start, end = rng.start.character, rng.end.character
    return units[width * start : width * end].decode(codec)


def _log(client: LanguageClient) -> Path:
    return client.root / "logs" / "deploy.log"  # type: ignore[attr-defined, no-any-return]


async def test_unopened_columns_cover_the_denial_in_the_negotiated_encoding(
    client: LanguageClient,
):
    encoding = client.encoding  # type: ignore[attr-defined]
    if client.profile == "neovim":  # type: ignore[attr-defined]
        assert encoding in ("utf-8", "utf-32")
    else:
        assert encoding == "utf-16"
    diags = await diagnostics_for(client, _log(client).as_uri())
    assert len(diags) == 1, diags
    rng = diags[0].range
    assert rng.start.line == rng.end.line == 1, rng
    line = _log(client).read_text(encoding="utf-8").splitlines()[1]
    covered = _covered(line, rng, encoding)
    assert covered.startswith("User: arn:aws:sts::"), (covered, rng)
    assert covered.endswith("allows the s3:PutObject action"), (covered, rng)


async def test_unopened_columns_after_an_append(client: LanguageClient):
    encoding = client.encoding  # type: ignore[attr-defined]
    path = _log(client)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(APPENDED)
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=path.as_uri(), type=types.FileChangeType.Changed
                    )
                ]
            )
        )
    diags = await diagnostics_for(client, path.as_uri(), lambda ds: len(ds) == 2)
    lines = path.read_text(encoding="utf-8").splitlines()
    by_line = {d.range.start.line: d.range for d in diags}
    assert sorted(by_line) == [1, 3], by_line
    first = _covered(lines[1], by_line[1], encoding)
    assert first.endswith("allows the s3:PutObject action"), first
    appended = _covered(lines[3], by_line[3], encoding)
    assert appended.startswith("User: arn:aws:sts::"), (appended, by_line[3])
    assert appended.endswith("allows the s3:GetObject action"), appended
    assert not log_errors(client)
