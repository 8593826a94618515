# mypy: disable-error-code="untyped-decorator"
"""The first denial diagnostic a client sees is already explained.

A client that opens a log right after `initialized` (eglot and Neovim do) used to get
the denial before the workspace index existed: no relatedInformation, no policy file
named, until a later re-publish. Every publish for the log is recorded here; the first
non-empty one must point at the deciding policy (relatedInformation, or the message when
the client does not support relatedInformation).
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.helpers import (
    SERVER,
    copy_workspace,
    log_errors,
    open_doc,
    start_session,
    wait_for,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-first-publish"),
]


class Recording(dict[str, Any]):
    """`client.diagnostics` that also keeps every publish, in order."""

    def __init__(self, initial: dict[str, Any]) -> None:
        super().__init__(initial)
        self.history: list[tuple[str, Any]] = []

    def __setitem__(self, uri: str, diagnostics: Any) -> None:
        self.history.append((uri, list(diagnostics)))
        super().__setitem__(uri, diagnostics)


SETUPS = ["visual_studio_code", "neovim", "no-related-information"]


def _capabilities(setup: str) -> types.ClientCapabilities:
    if setup != "no-related-information":
        return client_capabilities(setup)
    # What Emacs eglot offers: diagnostics without relatedInformation.
    caps = client_capabilities("neovim")
    assert caps.text_document is not None
    caps.text_document.publish_diagnostics = types.PublishDiagnosticsClientCapabilities(
        related_information=False
    )
    return caps


@pytest_lsp.fixture(
    scope="module",
    params=SETUPS,
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp(request.param))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.setup = request.param  # type: ignore[attr-defined]
    recording = Recording(lsp_client.diagnostics)
    lsp_client.diagnostics = recording
    lsp_client.history = recording.history  # type: ignore[attr-defined]

    await start_session(
        lsp_client,
        "neovim",
        root,
        capabilities=_capabilities(request.param),
        ready=False,
    )
    # The log is opened at once, as editors do, while the index is still being built.
    uri = (root / "logs" / "app.log").as_uri()
    open_doc(lsp_client, uri, (root / "logs" / "app.log").read_text(), "text")
    yield
    await lsp_client.shutdown_session()


def _first(client: LanguageClient, uri: str) -> Any:
    history = client.history  # type: ignore[attr-defined]
    for published, diagnostics in history:
        if published == uri and diagnostics:
            return diagnostics
    return None


async def test_first_publish_names_the_deciding_policy(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    uri = (root / "logs" / "app.log").as_uri()
    first = await wait_for(client, lambda: _first(client, uri))
    [diag] = first
    policy = (root / "policies" / "app-role.json").as_uri()
    if client.setup == "no-related-information":  # type: ignore[attr-defined]
        assert "(fix in policies/app-role.json:" in diag.message, diag.message
    else:
        related = diag.related_information or []
        assert related, diag
        assert related[0].location.uri == policy, related
    assert not log_errors(client)
