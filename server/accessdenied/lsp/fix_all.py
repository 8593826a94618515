"""`source.fixAll.accessdenied`: every denial of a log or terminal document at once.

The code action holds one WorkspaceEdit with at most one verified edit per policy
document (`fixes.fix_all`); a second action, kind
`source.accessdenied.fixAllWithDependentActions`, adds the requests AWS will make next.
`code_actions.py` calls `fix_all_actions` from its textDocument/codeAction handler.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import convert
from accessdenied.lsp.server import AccessDeniedServer, path_to_uri
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.fixes.fix_all import FixAllResult
    from accessdenied.workspace import WorkspaceIndex

logger = logging.getLogger(__name__)
INDEX_WAIT = 10.0  # seconds fix-all waits for the first workspace index

FIX_ALL = "source.fixAll.accessdenied"
FIX_ALL_DEPENDENT = "source.accessdenied.fixAllWithDependentActions"
KINDS = (FIX_ALL, FIX_ALL_DEPENDENT)


def _wanted(params: types.CodeActionParams, kind: str) -> bool:
    only = params.context.only
    if not only:
        # Source actions only when asked for (Source Action menu, codeActionsOnSave,
        # `vim.lsp.buf.code_action({context = {only = {"source.fixAll"}}})`): the
        # lightbulb and quick-fix lists stay per diagnostic.
        return False
    return any(kind == str(k) or kind.startswith(str(k) + ".") for k in only)


def document_denials(ls: AccessDeniedServer, uri: str) -> list[Denial]:
    """Every denial diagnostic published for the document (not only the range)."""
    out: list[Denial] = []
    seen: set[Any] = set()
    for d in ls.store.get(uri):
        data = d.data if isinstance(d.data, dict) else None
        if not data or data.get("kind") != "denial":
            continue
        denial = convert.denial_from_data(data.get("denial"))
        if denial is None or denial.key in seen:
            continue
        seen.add(denial.key)
        out.append(denial)
    return out


def _edit(ls: AccessDeniedServer, result: FixAllResult) -> types.WorkspaceEdit:
    enc = ls.encoding
    per_file: list[tuple[str, types.TextEdit]] = []
    for ch in result.changes:
        doc = ls.open_document(path_to_uri(str(ch.path)))
        if doc is not None and str(doc.source) != ch.before:
            # Computed for an older text: never sent at stale offsets (issue 18).
            logger.info("fix-all: %s changed meanwhile; its edit is dropped", ch.path)
            continue
        index = LineIndex(ch.before)
        e = ch.edit
        per_file.append(
            (
                path_to_uri(str(ch.path)),
                convert.to_lsp_text_edit(index, e.start, e.end, e.new_text, enc),
            )
        )
    if ls.client_supports("workspace.workspace_edit.document_changes", False):
        changes: list[Any] = []
        for uri, edit in per_file:
            doc = ls.open_document(uri)
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=doc.version if doc is not None else None
                    ),
                    edits=[edit],
                )
            )
        return types.WorkspaceEdit(document_changes=changes)
    return types.WorkspaceEdit(changes={uri: [edit] for uri, edit in per_file})


def _title(result: FixAllResult, dependent: bool) -> str:
    own = [o for o in result.outcomes if not o.dependent]
    fixed = sum(1 for o in own if o.fixed)
    files = len(result.changes)
    what = "Fix all AccessDenied denials"
    if dependent:
        extra = sum(1 for o in result.outcomes if o.dependent and o.fixed)
        what += f" with dependent actions (+{extra})"
    return f"{what}: {fixed} of {len(own)} in {files} file{'s' if files != 1 else ''}"


def _plan(
    ls: AccessDeniedServer, denials: list[Denial], variant: str, index: WorkspaceIndex
) -> FixAllResult:
    from accessdenied.fixes.fix_all import fix_all

    return fix_all(denials, index, variant=variant, read_text=ls.read_text)


async def fix_all_actions(
    ls: AccessDeniedServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """The fix-all source actions for the document (none without denials or edits)."""
    # Asked for right after the first diagnostic: wait (bounded) for the index.
    index = await ls.indexes.wait(INDEX_WAIT)
    if index is None:
        return []
    wanted = [k for k in KINDS if _wanted(params, k)]
    if not wanted:
        return []
    denials = document_denials(ls, params.text_document.uri)
    if not denials:
        return []
    out: list[types.CodeAction] = []
    exact: FixAllResult | None = None
    for kind in wanted:
        variant = "exact" if kind == FIX_ALL else "with-dependent-actions"
        result = await ls.in_thread(_plan, ls, denials, variant, index)
        if not result.changes:
            continue
        if exact is not None and {c.path: c.after for c in result.changes} == {
            c.path: c.after for c in exact.changes
        }:
            continue  # no dependent action added anything
        if variant == "exact":
            exact = result
        edit = await ls.in_thread(_edit, ls, result)
        out.append(
            types.CodeAction(
                title=_title(result, variant != "exact"),
                kind=kind,
                edit=edit,
                is_preferred=variant == "exact" or None,
            )
        )
    return out
