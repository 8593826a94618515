"""textDocument/codeAction + codeAction/resolve: quick fixes for denial diagnostics.

Each diagnostic carrying a serialised `Denial` in `data` yields the fixes the core proposes
(`fixes.propose_fixes`, best first: one per candidate policy file and variant), as
WorkspaceEdits with versions for open documents (`documentChanges` when the client takes
them, else `changes`). When the client can resolve code actions lazily, edits are only
computed on `codeAction/resolve`. Explicit denies also get "Go to the denying statement".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from accessdenied.denials.model import Denial
from accessdenied.fixes import Fix, propose_fixes
from accessdenied.lsp import convert, explain, fix_all
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, path_to_uri
from accessdenied.text import LineIndex
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


def workspace_edit(ls: AccessDeniedServer, fix: Any) -> types.WorkspaceEdit:
    """The `Fix` as an LSP WorkspaceEdit against the current text of its file."""
    path = str(fix.path)
    text = ls.read_text(path)
    index = LineIndex(text)
    enc = ls.encoding
    edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = [
        convert.to_lsp_text_edit(index, e.start, e.end, e.new_text, enc)
        for e in fix.edits
    ]
    uri = path_to_uri(path)
    doc = ls.open_document(uri)
    if ls.client_supports("workspace.workspace_edit.document_changes", False):
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=doc.version if doc is not None else None
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
    fixes = propose_fixes(denial, index, ls.read_text)
    return [f for f in fixes if f.edits and f.kind != "explain-only"]


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
        fixes = await ls.in_thread(_propose, ls, denial, index)
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
            if not lazy:
                action.edit = await ls.in_thread(workspace_edit, ls, fix)
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
    fixes = await ls.in_thread(_propose, ls, denial, index)
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
    action.edit = await ls.in_thread(workspace_edit, ls, chosen)
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
