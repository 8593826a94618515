# mypy: disable-error-code="untyped-decorator"
"""Log files: diagnostics on every denial, watched (registered or polled), tailed, rotated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.helpers import (
    PROFILES,
    SERVER,
    close_doc,
    copy_workspace,
    data,
    diagnostics_for,
    log_errors,
    open_doc,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-logs"),
]


@pytest_lsp.fixture(
    scope="module",
    params=PROFILES,
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = copy_workspace("basic", tmp_path_factory.mktemp(request.param))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    # A fast poll keeps the Neovim (polling) path quick; VS Code gets watcher events.
    await start_session(
        lsp_client, request.param, root, settings={"logs": {"pollInterval": 0.1}}
    )
    yield
    await lsp_client.shutdown_session()


def _root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined, no-any-return]


def _uri(client: LanguageClient, rel: str) -> str:
    return (_root(client) / rel).as_uri()


def _notify_changed(
    client: LanguageClient, path: Path, kind: types.FileChangeType
) -> None:
    """What VS Code's watcher sends; Neovim's profile relies on the server's polling."""
    if client.profile == "visual_studio_code":  # type: ignore[attr-defined]
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=path.as_uri(), type=kind)]
            )
        )


async def test_logs_unopened_file_gets_denial_diagnostics(client: LanguageClient):
    uri = _uri(client, "logs/app.log")
    [diag] = await diagnostics_for(
        client, uri, lambda ds: len(ds) == 1 and bool(ds[0].related_information)
    )
    assert diag.source == "accessdenied"
    assert diag.code == "access-denied"
    assert diag.severity == types.DiagnosticSeverity.Error
    assert "app-role" in diag.message
    assert "dynamodb:PutItem" in diag.message
    assert "arn:aws:dynamodb:us-east-1:111122223333:table/report-index" in diag.message
    assert "no statement in an identity-based policy allows it" in diag.message
    # 0-based line of the ClientError line (line 9 of the file).
    assert diag.range.start.line == 8
    assert data(diag)["kind"] == "denial"
    assert data(diag)["denial"]["action"] == "dynamodb:PutItem"
    # Related information points at the role's policy file.
    assert diag.related_information
    assert diag.related_information[0].location.uri == _uri(
        client, "policies/app-role.json"
    )


async def test_logs_explicit_deny_points_at_denying_statement(client: LanguageClient):
    uri = _uri(client, "logs/terminal.log")
    diags = await diagnostics_for(
        client, uri, lambda ds: len(ds) == 2 and all(d.related_information for d in ds)
    )
    explicit = [d for d in diags if d.code == "explicit-deny"]
    assert len(explicit) == 1
    [d] = explicit
    assert "ci-deployer" in d.message
    assert "secretsmanager:GetSecretValue" in d.message
    assert "explicit Deny" in d.message
    policy = _uri(client, "policies/ci-deployer.json")
    assert d.related_information is not None
    assert any(r.location.uri == policy for r in d.related_information)


async def test_logs_policy_file_gets_was_denied_diagnostic(client: LanguageClient):
    uri = _uri(client, "policies/app-role.json")

    def wanted(d: types.Diagnostic) -> bool:
        return "dynamodb:PutItem" in d.message and "logs/app.log:9" in d.message

    diags = await diagnostics_for(client, uri, lambda ds: any(wanted(d) for d in ds))
    [d] = [d for d in diags if wanted(d)]
    assert d.code == "denied-request"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert data(d)["kind"] == "denial"
    # Placed on the "Statement" array, where the missing statement belongs.
    text = (_root(client) / "policies" / "app-role.json").read_text()
    assert d.range.start.line == next(
        i for i, t in enumerate(text.splitlines()) if '"Statement"' in t
    )
    assert d.related_information is not None
    assert d.related_information[0].location.uri == _uri(client, "logs/app.log")


async def test_logs_cloudtrail_records_are_scanned(client: LanguageClient):
    uri = _uri(client, "cloudtrail/events.json")
    [diag] = await diagnostics_for(client, uri)
    assert (
        "sqs:DeleteMessage" in diag.message
        or "sqs:deletemessage" in diag.message.lower()
    )


async def test_logs_append_is_tailed(client: LanguageClient):
    path = _root(client) / "logs" / "appended.log"
    path.write_text((_root(client) / "logs" / "app.log").read_text())
    _notify_changed(client, path, types.FileChangeType.Created)
    uri = path.as_uri()
    await diagnostics_for(client, uri, lambda ds: len(ds) == 1)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(
            "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling "
            "the GetObject operation: User: arn:aws:sts::111122223333:assumed-role/app-role/x "
            "is not authorized to perform: s3:GetObject on resource: "
            '"arn:aws:s3:::other-bucket/k" because no identity-based policy allows the '
            "s3:GetObject action\n"
        )
    _notify_changed(client, path, types.FileChangeType.Changed)
    diags = await diagnostics_for(client, uri, lambda ds: len(ds) == 2)
    assert any("s3:GetObject" in d.message for d in diags)
    last = max(d.range.start.line for d in diags)
    assert last == len(path.read_text().splitlines()) - 1


async def test_logs_truncation_and_rotation(client: LanguageClient):
    path = _root(client) / "logs" / "rotating.log"
    uri = path.as_uri()
    line = (
        "An error occurred (AccessDenied) when calling the PutObject operation: User: "
        "arn:aws:sts::111122223333:assumed-role/app-role/r is not authorized to perform: "
        's3:PutObject on resource: "arn:aws:s3:::acme-reports/{n}" because no '
        "identity-based policy allows the s3:PutObject action\n"
    )
    path.write_text(line.format(n=1) + line.format(n=2))
    _notify_changed(client, path, types.FileChangeType.Created)
    await diagnostics_for(client, uri, lambda ds: len(ds) == 2)
    # Truncate and write one denial: the old two are gone.
    path.write_text("noise\n" + line.format(n=3))
    _notify_changed(client, path, types.FileChangeType.Changed)
    diags = await diagnostics_for(client, uri, lambda ds: len(ds) == 1)
    assert "acme-reports/3" in diags[0].message
    assert diags[0].range.start.line == 1
    # Rotate: move away and create a new file with the same name.
    os.replace(path, path.with_suffix(".log.1"))
    path.write_text(line.format(n=4))
    _notify_changed(client, path, types.FileChangeType.Created)
    diags = await diagnostics_for(
        client, uri, lambda ds: len(ds) == 1 and "acme-reports/4" in ds[0].message
    )
    assert diags[0].range.start.line == 0
    # Delete: diagnostics cleared.
    path.with_suffix(".log.1").unlink()
    path.unlink()
    _notify_changed(client, path, types.FileChangeType.Deleted)
    await diagnostics_for(client, uri, lambda ds: len(ds) == 0)


async def test_logs_run_wrapper_terminal_log_is_watched(client: LanguageClient):
    """`accessdenied run -- CMD` tees into .accessdenied/terminal.log: watched by default."""
    path = _root(client) / ".accessdenied" / "terminal.log"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "$ aws sqs receive-message --queue-url https://sqs.us-east-1.amazonaws.com/111122223333/report-jobs\n"
        "An error occurred (AccessDenied) when calling the ReceiveMessage operation: User: "
        "arn:aws:sts::111122223333:assumed-role/app-role/dev is not authorized to perform: "
        "sqs:receivemessage on resource: arn:aws:sqs:us-east-1:111122223333:report-jobs "
        "because no identity-based policy allows the sqs:receivemessage action\n"
    )
    _notify_changed(client, path, types.FileChangeType.Created)
    [diag] = await diagnostics_for(client, path.as_uri(), timeout=15)
    assert "report-jobs" in diag.message
    assert diag.range.start.line == 1


async def test_logs_document_opened_as_log(client: LanguageClient):
    uri = "untitled:Untitled-1"
    text = (
        "An error occurred (AccessDeniedException) when calling the Publish operation: "
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: "
        "SNS:Publish on resource: arn:aws:sns:us-east-1:111122223333:alerts because no "
        "identity-based policy allows the SNS:Publish action\n"
    )
    open_doc(client, uri, text, "log")
    [diag] = await diagnostics_for(client, uri)
    assert "user/alice" in diag.message
    assert diag.range.start.line == 0
    assert diag.range.start.character == text.index("User: arn")
    close_doc(client, uri)
    await diagnostics_for(client, uri, lambda ds: len(ds) == 0)


async def test_logs_secrets_redacted_and_markup_kept_literal(client: LanguageClient):
    uri = _uri(client, "logs/creds.log")
    diags = await diagnostics_for(client, uri, lambda ds: len(ds) == 2)
    for diag in diags:
        assert "AKIAIOSFODNN7EXAMPLE" not in diag.message
        assert "AKIAIOSFODNN7EXAMPLE" not in str(diag.data)
        assert "wJalrXUtnFEMI" not in str(diag.data)
    assert any("AKIA<redacted>" in d.message for d in diags)


async def test_logs_no_errors_logged(client: LanguageClient):
    assert log_errors(client) == []
