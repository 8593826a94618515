# mypy: disable-error-code="untyped-decorator"
"""The slow poll beside client file watchers: what a client's watchers never report.

No `workspace/didChangeWatchedFiles` is sent here in either profile, as with Emacs eglot,
which watches no ignored or newly created directory and matches globs against absolute
paths: logs created after start in new directories (`build/out.log`, the `accessdenied
run` log), a relative `logs/**/*.txt` glob from the settings, and new or renamed policy
files are still seen. VS Code's profile registers watchers (the poll is slow then),
Neovim's does not (the poll is the watcher).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    start_session,
    wait_for,
)
from tests.lsp.test_lifecycle import status

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-watch-poll"),
]

DENIAL = (
    "An error occurred (AccessDeniedException) when calling the GetParameter operation: "
    "User: arn:aws:sts::111122223333:assumed-role/app-role/cron is not authorized to "
    "perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:111122223333:"
    "parameter/app/{name} because no identity-based policy allows the ssm:GetParameter "
    "action\n"
)
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]
}
"""
# Walks run every 5 s beside client watchers: leave room for two.
TIMEOUT = 20.0


@pytest_lsp.fixture(
    scope="module",
    params=PROFILES,
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp(request.param))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    settings = {
        "logs": {
            "pollInterval": 0.1,
            "include": ["**/*.log", ".accessdenied/terminal.log", "logs/**/*.txt"],
        }
    }
    await start_session(lsp_client, request.param, root, settings=settings)
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


async def test_watch_poll_mode_matches_the_client(client: LanguageClient):
    info = await status(client)
    expected = "client" if client.profile == "visual_studio_code" else "polling"  # type: ignore[attr-defined]
    assert info["watchMode"] == expected


@pytest.mark.parametrize(
    "rel",
    ["build/out.log", ".accessdenied/terminal.log", "logs/nested/late.txt"],
)
async def test_watch_poll_sees_logs_created_after_start(
    client: LanguageClient, rel: str
):
    path = _root(client) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.stem.replace(".", "-")
    path.write_text(f"deploy step failed\n{DENIAL.format(name=name)}")
    [diag] = await diagnostics_for(client, path.as_uri(), timeout=TIMEOUT)
    assert f"parameter/app/{name}" in diag.message, diag.message
    assert diag.range.start.line == 1


def _indexed(client: LanguageClient) -> int:
    return sum(
        1
        for m in client.log_messages
        if "indexing: indexed " in m.message and " policy files in " in m.message
    )


async def _reindexed(client: LanguageClient, before: int) -> dict[str, Any]:
    await wait_for(
        client,
        lambda: _indexed(client) > before,
        method=types.WINDOW_LOG_MESSAGE,
        timeout=TIMEOUT,
    )
    return await status(client)


async def test_watch_poll_sees_new_and_renamed_policy_files(client: LanguageClient):
    root = _root(client)
    new = root / "policies" / "queue-writer.json"
    before = _indexed(client)
    new.write_text(POLICY)
    info = await _reindexed(client, before)
    assert str(new) in info["indexedPolicies"], info["indexedPolicies"]

    renamed = root / "policies" / "queue-sender.json"
    before = _indexed(client)
    new.rename(renamed)
    info = await _reindexed(client, before)
    assert str(renamed) in info["indexedPolicies"], info["indexedPolicies"]
    assert str(new) not in info["indexedPolicies"], info["indexedPolicies"]


async def test_watch_poll_no_errors_logged(client: LanguageClient):
    assert not log_errors(client)
