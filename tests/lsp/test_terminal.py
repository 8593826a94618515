# mypy: disable-error-code="untyped-decorator"
"""accessDenied/terminalOutput: chunks reassembled into lines, per-terminal documents."""

from __future__ import annotations

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    copy_workspace,
    data,
    diagnostics_for,
    log_errors,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-terminal"),
]

DENIAL = (
    "An error occurred (AccessDenied) when calling the PutObject operation: User: "
    "arn:aws:sts::111122223333:assumed-role/app-role/dev-session is not authorized to "
    'perform: s3:PutObject on resource: "arn:aws:s3:::acme-reports/2026/11/report.csv" '
    "because no identity-based policy allows the s3:PutObject action"
)


@pytest_lsp.fixture(
    scope="module", params=PROFILES, config=ClientServerConfig(server_command=SERVER)
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp("term"))
    # No log files in this module: only terminal input.
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"include": []}}
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def send(client: LanguageClient, terminal: str, command: str, data: str) -> None:
    client.protocol.notify(
        "accessDenied/terminalOutput",
        {"terminal": terminal, "command": command, "data": data},
    )


async def test_terminal_chunks_reassembled(client: LanguageClient):
    uri = "accessdenied-terminal:/bash%20%282%29"
    cmd = "aws s3 cp report.csv s3://acme-reports/2026/11/report.csv"
    # Split in the middle of the ARN and of the action name.
    cut1, cut2 = DENIAL.index("assumed-ro"), DENIAL.index("PutObject action")
    send(client, "bash (2)", cmd, "upload failed: " + DENIAL[:cut1])
    send(client, "bash (2)", cmd, DENIAL[cut1:cut2])
    send(client, "bash (2)", cmd, DENIAL[cut2:] + "\r\n")
    [diag] = await diagnostics_for(client, uri)
    assert "app-role/dev-session" in diag.message
    assert "s3:PutObject" in diag.message
    assert data(diag)["denial"]["action"] == "s3:PutObject"
    # Line 0 is the "$ command" header; the denial is on line 1.
    assert diag.range.start.line == 1


async def test_terminal_partial_line_waits_for_newline(client: LanguageClient):
    uri = "accessdenied-terminal:/zsh"
    send(client, "zsh", "aws s3 ls", DENIAL.replace("PutObject", "ListBucket")[:60])
    # Nothing completes a line yet, so a different terminal's output arrives first.
    send(client, "fish", "true", "ok\n")
    send(
        client,
        "zsh",
        "aws s3 ls",
        DENIAL.replace("PutObject", "ListBucket")[60:] + "\n",
    )
    [diag] = await diagnostics_for(client, uri)
    assert "s3:ListBucket" in diag.message


async def test_terminal_denials_reach_the_policy_file(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    policy = (root / "policies" / "app-role.json").as_uri()
    send(client, "pwsh", "aws s3 cp", DENIAL + "\n")
    # The same request may already be there from another terminal: the latest
    # occurrence (this one) is what the policy diagnostic must name.
    diags = await diagnostics_for(
        client,
        policy,
        lambda ds: any(
            "s3:PutObject" in d.message and "terminal pwsh" in d.message for d in ds
        ),
    )
    [d] = [d for d in diags if "s3:PutObject" in d.message]
    assert d.code == "denied-request"
    assert "terminal pwsh" in d.message
    assert d.related_information is not None
    assert d.related_information[0].location.uri == "accessdenied-terminal:/pwsh"


async def test_terminal_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
