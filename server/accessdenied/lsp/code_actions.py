"""textDocument/codeAction + codeAction/resolve: quick fixes for denial diagnostics.

Each diagnostic carrying a serialised `Denial` in `data` yields the fixes the core proposes
(`fixes.propose_fixes`, best first: one per candidate policy file and variant), as
WorkspaceEdits with versions for open documents (`documentChanges` when the client takes
them, else `changes`). When the client can resolve code actions lazily, edits are only
computed on `codeAction/resolve`. Explicit denies also get "Go to the denying statement".

Edits are computed against one snapshot of each file (the open buffer with its version,
else the disk) and carry that version; an edit whose document moved on since is
recomputed once, then refused, never sent at stale offsets. A fix is not offered as an
edit (the action is shown disabled, or with the reason in its title) when its file lies
outside the workspace folders, is read-only, or has two top-level "Statement" keys
(the edit would land in the one AWS ignores; the CLI refuses it too). Inserted text
never carries a credential or a bidi control character.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied import safeio
from accessdenied.lsp import convert, explain, fix_all
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, path_to_uri
from accessdenied.text import LineIndex, escape_bidi_json, has_bidi

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.fixes import Fix
    from accessdenied.workspace import WorkspaceIndex

logger = logging.getLogger(__name__)

SHOW_LOCATION = "accessdenied.showLocation"
MAX_ACTIONS = 12
INDEX_WAIT = 10.0  # seconds a code action waits for the first workspace index


def _overlaps(a: types.Range, b: types.Range) -> bool:
    start_a, end_a = (a.start.line, a.start.character), (a.end.line, a.end.character)
    start_b, end_b = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return start_a <= end_b and start_b <= end_a


def denial_diagnostics(
    ls: AccessDeniedServer, params: types.CodeActionParams
) -> list[tuple[types.Diagnostic, Denial]]:
    """Our denial diagnostics in the request (or, if the client sent none, at the range)."""
    diags: Sequence[types.Diagnostic] = [
        d for d in params.context.diagnostics if d.source == convert.SOURCE
    ]
    if not diags:
        diags = [
            d
            for d in ls.store.get(params.text_document.uri)
            if _overlaps(d.range, params.range)
        ]
    out: list[tuple[types.Diagnostic, Denial]] = []
    seen: set[Any] = set()
    for d in diags:
        data = d.data if isinstance(d.data, dict) else None
        if not data or data.get("kind") != "denial":
            continue
        denial = convert.denial_from_data(data.get("denial"))
        if denial is None or denial.key in seen:
            continue
        seen.add(denial.key)
        out.append((d, denial))
    return out


def _wants_kind(params: types.CodeActionParams) -> bool:
    only = params.context.only
    if not only:
        return True
    return any(str(k).startswith("quickfix") or str(k) == "" for k in only)


class StaleEditError(RuntimeError):
    """The document changed after the edit was computed."""


class Snapshot:
    """`read_text` for one proposal: each file read once, open buffers with version."""

    def __init__(self, ls: AccessDeniedServer) -> None:
        self.ls = ls
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int | None] = {}

    def __call__(self, path: str | Path) -> str:
        key = str(path)
        if key not in self.texts:
            doc = self.ls.open_document(path_to_uri(key))
            if doc is not None:
                version = doc.version
                self.texts[key] = str(doc.source)
                self.versions[key] = version
            else:
                self.texts[key] = self.ls.read_text(key)
                self.versions[key] = None
        return self.texts[key]


def refusal(ls: AccessDeniedServer, fix: Any, snapshot: Snapshot) -> str | None:
    """Why `fix` must not be offered as an edit (None: it may)."""
    path = str(fix.path)
    shown = explain.label_for(path_to_uri(path), ls.root_path)
    folders = _folders(ls)
    if folders and not safeio.is_within(path, folders):
        return f"{shown} is outside the workspace folders; not edited"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0o600  # not on disk (yet): the editor's buffer decides
    # No write bit counts even for root (who may write anyway): the user marked it so.
    if not mode & 0o200 or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"{shown} is read-only; make it writable to apply this fix"
    if path.lower().endswith(".json"):
        text = snapshot(path)
        if _statement_keys(text) > 1:
            return (
                f'{shown} has two "Statement" keys: only the last one counts; '
                "merge them into one array first"
            )
    from accessdenied.denials import redact

    for e in fix.edits:
        if redact(e.new_text) != e.new_text or "<redacted>" in e.new_text:
            return "the statement would contain a credential from the log"
    return None


def _folders(ls: AccessDeniedServer) -> tuple[Path, ...]:
    try:
        return tuple(ls.folders)
    except Exception:
        return ()


def _statement_keys(text: str) -> int:
    """How many top-level "Statement" keys a JSON policy text has."""
    try:
        from accessdenied.policy import parse_json

        root = parse_json(text).root
    except Exception:
        return 0
    members = getattr(root, "members", ()) or ()
    return sum(1 for m in members if getattr(m.key, "value", None) == "Statement")


def workspace_edit(
    ls: AccessDeniedServer, fix: Any, snapshot: Snapshot | None = None
) -> types.WorkspaceEdit:
    """The `Fix` as an LSP WorkspaceEdit against the text it was computed from.

    Raises StaleEditError when the open document has moved past that text.
    """
    path = str(fix.path)
    snapshot = snapshot or Snapshot(ls)
    text = snapshot(path)
    version = snapshot.versions.get(path)
    uri = path_to_uri(path)
    doc = ls.open_document(uri)
    if doc is not None and (version is None or doc.version != version):
        raise StaleEditError(uri)
    index = LineIndex(text)
    enc = ls.encoding
    json_file = path.lower().endswith(".json")
    edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = []
    for e in fix.edits:
        new_text = e.new_text
        if has_bidi(new_text):
            if not json_file:
                raise StaleEditError(f"{uri}: bidi control characters in the edit")
            # The same JSON string value, with the invisible controls spelled out.
            new_text = escape_bidi_json(new_text)
        edits.append(convert.to_lsp_text_edit(index, e.start, e.end, new_text, enc))
    if ls.client_supports("workspace.workspace_edit.document_changes", False):
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=edits,
                )
            ]
        )
    return types.WorkspaceEdit(
        changes={uri: [e for e in edits if isinstance(e, types.TextEdit)]}
    )


def _propose(
    ls: AccessDeniedServer, denial: Denial, index: WorkspaceIndex
) -> list[Fix]:
    """Fixes for `denial` (worker thread)."""
    return _propose_with(ls, denial, index)[0]


def _propose_with(
    ls: AccessDeniedServer, denial: Denial, index: WorkspaceIndex
) -> tuple[list[Fix], Snapshot]:
    """Fixes for `denial` and the snapshot of the texts they were computed from."""
    from accessdenied.fixes import propose_fixes

    snapshot = Snapshot(ls)
    fixes = propose_fixes(denial, index, snapshot)
    return [
        f for f in fixes if getattr(f, "edits", ()) and f.kind != "explain-only"
    ], snapshot


def _edit_or_reason(
    ls: AccessDeniedServer,
    denial: Denial,
    fix: Any,
    snapshot: Snapshot,
    index: WorkspaceIndex,
) -> tuple[types.WorkspaceEdit | None, str | None]:
    """(edit, None), or (None, why not) for a fix (worker thread).

    A stale snapshot is recomputed once; if the document keeps moving, refused.
    """
    why = refusal(ls, fix, snapshot)
    if why is not None:
        return None, why
    for attempt in range(2):
        try:
            return workspace_edit(ls, fix, snapshot), None
        except StaleEditError:
            if attempt:
                break
            fixes, snapshot = _propose_with(ls, denial, index)
            again = next(
                (
                    f
                    for f in fixes
                    if str(f.title) == str(fix.title) and str(f.path) == str(fix.path)
                ),
                None,
            )
            if again is None:
                break
            fix = again
    return None, "the document changed while the fix was computed; try again"


def _disable(ls: AccessDeniedServer, action: types.CodeAction, why: str) -> None:
    """Show a fix that cannot be applied, with the reason, instead of a silent no-op."""
    if ls.client_supports("text_document.code_action.disabled_support", False):
        action.disabled = types.CodeActionDisabled(reason=why)
    else:
        action.title = f"{action.title} (cannot apply: {why})"
    action.is_preferred = None


def _title(fix: Any) -> str:
    title = str(fix.title)
    if not getattr(fix, "verified", True):
        title += " (unverified)"
    return title


async def code_actions(
    ls: AccessDeniedServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    ls.fault("codeAction")
    if not _wants_kind(params):
        return []
    # Asked for right after the first diagnostic: wait (bounded) for the index.
    index = await ls.indexes.wait(INDEX_WAIT)
    if index is None:
        return []
    lazy = "edit" in (
        ls.client_supports("text_document.code_action.resolve_support.properties", [])
        or []
    )
    actions: list[types.CodeAction] = []
    for diag, denial in denial_diagnostics(ls, params):
        fixes, snapshot = await ls.in_thread(_propose_with, ls, denial, index)
        for i, fix in enumerate(fixes):
            action = types.CodeAction(
                title=_title(fix),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=(i == 0 and bool(getattr(fix, "verified", False))) or None,
                data={
                    "denial": convert.denial_to_data(denial),
                    "title": str(fix.title),
                    "path": str(fix.path),
                    "index": i,
                },
            )
            if lazy:
                why = await ls.in_thread(refusal, ls, fix, snapshot)
            else:
                action.edit, why = await ls.in_thread(
                    _edit_or_reason, ls, denial, fix, snapshot, index
                )
            if why is not None:
                _disable(ls, action, why)
            actions.append(action)
        if denial.decision == "explicit" or any(
            getattr(f, "deny", None) is not None for f in fixes
        ):
            go = await ls.in_thread(_go_to_deny, ls, denial, diag)
            if go is not None:
                actions.append(go)
    return actions[:MAX_ACTIONS]


def _go_to_deny(
    ls: AccessDeniedServer, denial: Denial, diag: types.Diagnostic
) -> types.CodeAction | None:
    exp = explain.explain(denial, ls.index, ls.read_text)
    for rel in exp.related:
        if rel.role != "denies":
            continue
        index = explain.read_index(rel.path, ls.read_text)
        loc = explain.related_location(rel, index, ls.encoding)
        name = explain.label_for(loc.uri, ls.root_path)
        line = loc.range.start.line + 1
        return types.CodeAction(
            title=f"Go to the denying statement ({name}:{line})",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diag],
            command=types.Command(
                title="Go to the denying statement",
                command=SHOW_LOCATION,
                arguments=[loc.uri, _range_json(loc.range)],
            ),
        )
    return None


def _range_json(r: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


async def resolve(ls: AccessDeniedServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else None
    if action.edit is not None or not data:
        return action
    denial = convert.denial_from_data(data.get("denial"))
    if denial is None:
        return action
    index = await ls.indexes.wait(INDEX_WAIT)
    if index is None:
        return action
    fixes, snapshot = await ls.in_thread(_propose_with, ls, denial, index)
    chosen = next(
        (
            f
            for f in fixes
            if str(f.title) == data.get("title") and str(f.path) == data.get("path")
        ),
        None,
    )
    if chosen is None:
        logger.info("the fix %r no longer applies", data.get("title"))
        return action
    edit, why = await ls.in_thread(_edit_or_reason, ls, denial, chosen, snapshot, index)
    if why is not None:
        logger.warning("%s: %s", chosen.title, why)
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=why)
        )
        return action
    action.edit = edit
    return action


class CodeActionsFeature(Feature):
    """Quick fixes for denial diagnostics, fix-all source actions, resolve, go-to."""

    name = "code-actions"

    def register(self) -> None:
        server = self.server

        @server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(
                code_action_kinds=[types.CodeActionKind.QuickFix, *fix_all.KINDS],
                resolve_provider=True,
            ),
        )
        async def on_code_action(
            ls: AccessDeniedServer, params: types.CodeActionParams
        ) -> list[types.CodeAction] | None:
            try:
                actions = await code_actions(ls, params)
            except Exception:
                logger.exception("code actions for %s failed", params.text_document.uri)
                actions = []
            try:
                actions += await fix_all.fix_all_actions(ls, params)
            except Exception:
                logger.exception("fix-all for %s failed", params.text_document.uri)
            return actions or None

        @server.feature(types.CODE_ACTION_RESOLVE)
        async def on_code_action_resolve(
            ls: AccessDeniedServer, action: types.CodeAction
        ) -> types.CodeAction:
            try:
                return await resolve(ls, action)
            except Exception:
                logger.exception("resolving the code action %r failed", action.title)
                return action

        @server.command(SHOW_LOCATION)
        async def show_location(ls: AccessDeniedServer, *args: Any) -> bool:
            try:
                uri, rng = str(args[0]), args[1]
                selection = types.Range(
                    start=types.Position(**rng["start"]),
                    end=types.Position(**rng["end"]),
                )
            except (IndexError, KeyError, TypeError):
                logger.warning("%s expects [uri, range]", SHOW_LOCATION)
                return False
            if not ls.client_supports("window.show_document.support", False):
                return False
            result = await ls.window_show_document_async(
                types.ShowDocumentParams(uri=uri, take_focus=True, selection=selection)
            )
            return bool(result and result.success)
