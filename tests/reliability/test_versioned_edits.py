"""Edits carry the version of the text they were computed from; a stale one is
recomputed once, then refused (never sent at stale offsets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from accessdenied.fixes import TextEdit
from accessdenied.lsp import code_actions
from accessdenied.lsp.server import path_to_uri

TEXT = '{"Version": "2012-10-17", "Statement": []}'


@dataclass
class Doc:
    source: str
    version: int


@dataclass
class FakeServer:
    docs: dict[str, Doc] = field(default_factory=dict)
    encoding: str = "utf-16"
    root_path: Path | None = None
    document_changes: bool = True

    def open_document(self, uri: str) -> Doc | None:
        return self.docs.get(uri)

    def read_text(self, path: str) -> str:
        return Path(path).read_text(encoding="utf-8")

    def client_supports(self, dotted: str, default: Any = None) -> Any:
        if dotted == "workspace.workspace_edit.document_changes":
            return self.document_changes
        return default


@dataclass
class FakeFix:
    path: str
    edits: tuple[TextEdit, ...]
    title: str = "Allow s3:PutObject"


def _fix(path: Path, new_text: str = '{"Sid": "X"}') -> FakeFix:
    at = TEXT.index("[]") + 1
    return FakeFix(str(path), (TextEdit(at, at, new_text),))


def test_edit_carries_the_snapshot_version(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    ls: Any = FakeServer({path_to_uri(path): Doc(TEXT, 7)})
    snap = code_actions.Snapshot(ls)
    edit = code_actions.workspace_edit(ls, _fix(path), snap)
    assert edit.document_changes is not None
    (change,) = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 7


def test_edit_for_a_document_that_moved_is_stale(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    uri = path_to_uri(path)
    ls: Any = FakeServer({uri: Doc(TEXT, 7)})
    snap = code_actions.Snapshot(ls)
    snap(str(path))  # the fix was computed against version 7
    ls.docs[uri] = Doc(" " * 5 + TEXT, 8)  # the user typed meanwhile
    with pytest.raises(code_actions.StaleEditError):
        code_actions.workspace_edit(ls, _fix(path), snap)


def test_stale_edit_is_recomputed_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.json"
    path.write_text(TEXT, encoding="utf-8")
    uri = path_to_uri(path)
    ls: Any = FakeServer({uri: Doc(TEXT, 1)}, root_path=tmp_path)
    snap = code_actions.Snapshot(ls)
    snap(str(path))
    ls.docs[uri] = Doc(TEXT, 2)
    calls = []

    def propose(ls_: Any, denial: Any, index: Any) -> tuple[list[Any], Any]:
        calls.append(1)
        fresh = code_actions.Snapshot(ls_)
        fresh(str(path))
        return [_fix(path)], fresh

    monkeypatch.setattr(code_actions, "_propose_with", propose)
    monkeypatch.setattr(code_actions, "refusal", lambda *a: None)
    edit, why = code_actions._edit_or_reason(ls, None, _fix(path), snap, None)  # type: ignore[arg-type]
    assert why is None
    assert edit is not None
    assert calls == [1]
    (change,) = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 2

    # A document that keeps moving: refused with a reason, no edit.
    def moving(ls_: Any, denial: Any, index: Any) -> tuple[list[Any], Any]:
        fresh = code_actions.Snapshot(ls_)
        fresh(str(path))
        ls_.docs[uri] = Doc(TEXT, ls_.docs[uri].version + 1)
        return [_fix(path)], fresh

    monkeypatch.setattr(code_actions, "_propose_with", moving)
    snap = code_actions.Snapshot(ls)
    snap(str(path))
    ls.docs[uri] = Doc(TEXT, 10)
    edit, why = code_actions._edit_or_reason(ls, None, _fix(path), snap, None)  # type: ignore[arg-type]
    assert edit is None
    assert why == "the document changed while the fix was computed; try again"


def test_bidi_in_inserted_json_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    ls: Any = FakeServer({path_to_uri(path): Doc(TEXT, 1)})
    fix = _fix(path, '{"Resource": "arn:aws:s3:::b/\u202etxt"}')
    edit = code_actions.workspace_edit(ls, fix, code_actions.Snapshot(ls))
    (change,) = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    (e,) = change.edits
    assert isinstance(e, types.TextEdit)
    assert e.new_text == '{"Resource": "arn:aws:s3:::b/\\u202etxt"}'
