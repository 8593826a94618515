# mypy: disable-error-code="untyped-decorator"
"""Shared helpers for the pytest-lsp suites: server command, workspaces, waiting."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import converters, types
from pytest_lsp import LanguageClient, client_capabilities

from tests.paths import WORKSPACES

SERVER = [sys.executable, "-m", "accessdenied", "serve"]
# pytest-lsp 1.0.1 ships these capability captures ("neovim" = the latest, 0.11.0).
PROFILES = ["visual_studio_code", "neovim"]
TIMEOUT = 30.0


def copy_workspace(scenario: str, dest: Path) -> Path:
    """A writable copy of `tests/workspaces/<scenario>`."""
    target = dest / scenario
    shutil.copytree(WORKSPACES / scenario, target)
    return target.resolve()


async def start_session(
    client: LanguageClient,
    profile: str,
    root: Path | None,
    settings: Any = None,
    initialization_options: Any = None,
    capabilities: types.ClientCapabilities | None = None,
    ready: bool = True,
) -> types.InitializeResult:
    """Initialize `client` with a pytest-lsp capability profile and our settings.

    With `ready` (the default) wait for the server's "ready" line too.
    """
    client.registrations = []  # type: ignore[attr-defined]
    client.custom = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_UNREGISTER_CAPABILITY)
    def _unregister(params: types.UnregistrationParams) -> None:
        gone = {u.id for u in params.unregisterations}
        client.registrations[:] = [  # type: ignore[attr-defined]
            r
            for r in client.registrations  # type: ignore[attr-defined]
            if r.id not in gone
        ]

    if settings is not None:
        client.set_configuration(settings, section="accessdenied")
    params = types.InitializeParams(
        capabilities=capabilities or client_capabilities(profile),
        initialization_options=initialization_options,
    )
    if root is not None:
        params.root_uri = root.as_uri()
        params.workspace_folders = [
            types.WorkspaceFolder(uri=root.as_uri(), name=root.name)
        ]
    result = await client.initialize_session(params)
    if ready:
        await wait_ready(client)
    return result


async def wait_ready(client: LanguageClient) -> None:
    """Wait for the server's "ready" log line: settings read, index and watchers started."""
    await wait_for(
        client,
        lambda: any("server ready" in m.message for m in client.log_messages),
        method=types.WINDOW_LOG_MESSAGE,
        timeout=60,
    )


async def wait_for(
    client: LanguageClient,
    predicate: Callable[[], Any],
    method: str = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    timeout: float = TIMEOUT,
) -> Any:
    """Wait (on notifications, never sleeping) until `predicate()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {method}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.wait_for_notification(method), remaining)


async def diagnostics_for(
    client: LanguageClient,
    uri: str,
    predicate: Callable[[Sequence[types.Diagnostic]], bool] = bool,
    timeout: float = TIMEOUT,
) -> Sequence[types.Diagnostic]:
    """Wait until the diagnostics published for `uri` satisfy `predicate`."""

    def check() -> Sequence[types.Diagnostic] | None:
        diags = client.diagnostics.get(uri)
        if diags is not None and predicate(diags):
            return diags or [None]  # type: ignore[list-item]
        return None

    result = await wait_for(client, check, timeout=timeout)
    return [d for d in result if d is not None]


def open_doc(
    client: LanguageClient, uri: str, text: str, language: str, version: int = 1
) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=version, text=text
            )
        )
    )


def change_doc(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=uri, version=version
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)
        )
    )


def log_errors(client: LanguageClient) -> list[str]:
    """Error-level window/logMessage messages (there must be none)."""
    return [m.message for m in client.log_messages if m.type == types.MessageType.Error]


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The UTF-16 LSP position of `needle` (plus `offset` chars) in ASCII-only `text`."""
    i = text.index(needle) + offset
    line = text.count("\n", 0, i)
    col = i - (text.rfind("\n", 0, i) + 1)
    return types.Position(line=line, character=col)


def data(diag: types.Diagnostic) -> dict[str, Any]:
    """`diag.data` as a dict (the server always sends an object)."""
    assert isinstance(diag.data, dict), diag.data
    return diag.data


async def code_actions_for(
    client: LanguageClient, uri: str, diag: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert result is not None
    return [as_action(a) for a in result]


def as_action(item: types.Command | types.CodeAction) -> types.CodeAction:
    """lsprotocol 2025.0.0 structures any code action that has a `command` as a
    `Command` (its `_code_action_hook` only checks for the key) and stringifies the
    nested object; real editors check `typeof command`. Undo that here."""
    if isinstance(item, types.CodeAction):
        return item
    raw = ast.literal_eval(item.command)
    assert isinstance(raw, dict), item
    return converters.get_converter().structure(
        {"title": item.title, "command": raw}, types.CodeAction
    )


def edits_for(edit: types.WorkspaceEdit, uri: str) -> tuple[list[types.TextEdit], Any]:
    """The edits for `uri` and the version they were made against (None: not open)."""
    if edit.document_changes is not None:
        for change in edit.document_changes:
            assert isinstance(change, types.TextDocumentEdit)
            if change.text_document.uri == uri:
                return [e for e in change.edits if isinstance(e, types.TextEdit)], (
                    change.text_document.version
                )
        raise AssertionError(f"no edit for {uri}")
    assert edit.changes is not None
    return list(edit.changes[uri]), "no-version"


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def off(p: types.Position) -> int:
        return offsets[p.line] + p.character  # ASCII policy files

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


async def resolved(
    client: LanguageClient, action: types.CodeAction
) -> types.CodeAction:
    if action.edit is not None:
        return action
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None
    return resolved
