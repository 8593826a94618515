from __future__ import annotations

import json

import pytest

from accessdenied.policy import (
    JsonArray,
    JsonObject,
    JsonString,
    parse_json,
    parse_policy,
)
from accessdenied.text import LineIndex

HALF_TYPED = [
    # (text, expected python value of the partial tree, an expected error message part)
    (
        '{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:Get',
        {"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:Get"]}]},
        "unterminated string",
    ),
    ('{"a": 1 "b": 2}', {"a": 1, "b": 2}, "missing comma"),
    ('{"a": [1, 2,]}', {"a": [1, 2]}, "trailing comma"),
    ('{"a": 1,}', {"a": 1}, "trailing comma"),
    ('{"Effect": , "b": 1}', {"b": 1}, "missing value"),
    ('{"a": [1, 2\n, "b": 3}', {"a": [1, 2], "b": 3}, "unclosed array"),
    ('{"a": "x\n, "b": 3}', {"a": "x", "b": 3}, "unterminated string"),
    ('{"Act\n"b": 1}', {"b": 1}, "expected ':'"),
    ('{"a": [{"x": 1}, {"y": 2}', {"a": [{"x": 1}, {"y": 2}]}, "unclosed"),
    ('{"Effect": Allow}', {"Effect": "Allow"}, "double quotes"),
    ("{// c\n}", {}, "comments"),
]


@pytest.mark.parametrize(("text", "value", "message"), HALF_TYPED)
def test_half_typed_documents_keep_a_partial_tree(
    text: str, value: object, message: str
) -> None:
    parsed = parse_json(text)
    assert parsed.root is not None
    assert parsed.root.to_python() == value
    assert any(message in e.message for e in parsed.errors), parsed.errors
    for e in parsed.errors:
        assert e.code == "json-syntax"
        assert 0 <= e.span.start <= e.span.end <= len(text)


def test_valid_document_matches_json_loads_and_keeps_offsets() -> None:
    text = (
        '{\n  "a": [1, -2.5e3, true, false, null, "\\u00e9\\n"],\n  "b": {"c": "d"}\n}'
    )
    parsed = parse_json(text)
    assert parsed.errors == ()
    assert parsed.ok
    root = parsed.root
    assert isinstance(root, JsonObject)
    assert root.to_python() == json.loads(text)
    arr = root.get("a")
    assert isinstance(arr, JsonArray)
    assert text[arr.open] == "["
    assert arr.close is not None
    assert text[arr.close] == "]"
    assert [text[c] for c in arr.commas] == [","] * 5
    assert root.close == len(text) - 1
    assert root.commas
    assert text[root.commas[0]] == ","
    b = root.member("b")
    assert b is not None
    assert b.colon is not None
    assert text[b.colon] == ":"
    assert b.key.span.start_line == 3
    assert b.key.span.start_column == 3


def test_non_ascii_columns_are_code_points() -> None:
    text = '{"Sid": "Ünïcødé😀", "Effect": "Allow"}'
    root = parse_json(text).root
    assert isinstance(root, JsonObject)
    effect = root.member("Effect")
    assert effect is not None
    assert effect.key.span.start_column == text.index('"Effect"') + 1
    assert text[effect.key.start : effect.key.end] == '"Effect"'


def test_slice_parse_gives_file_coordinates() -> None:
    text = 'prefix = <<EOF\n{"Version": "2012-10-17",\n "Statement": []}\nEOF\n'
    start = text.index("{")
    end = text.index("\nEOF") + 1
    doc = parse_policy(text, base_offset=start, end=end)
    assert doc.syntax_errors == ()
    assert doc.version == "2012-10-17"
    assert doc.root is not None
    assert doc.root.span.start_line == 2
    assert doc.statement_node is not None
    assert doc.statement_node.span.start_line == 3


@pytest.mark.parametrize(
    "text", ["", "   ", "[", "]", "}", "{", '"', ",,,", "nul", "{{{{", "[" * 5000]
)
def test_garbage_never_raises(text: str) -> None:
    parsed = parse_json(text)
    assert parsed.errors
    for e in parsed.errors:
        assert 0 <= e.span.start <= e.span.end <= len(text)


def test_parse_policy_statements() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Sid": "S1", "Effect": "Allow",'
        ' "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*"]}, 3]}'
    )
    doc = parse_policy(text, "boundary")
    assert doc.policy_type == "permissions-boundary"
    assert len(doc.statements) == 1
    st = doc.statements[0]
    assert (st.sid, st.effect, st.action, st.resource) == (
        "S1",
        "Allow",
        "s3:GetObject",
        ["arn:aws:s3:::b/*"],
    )
    assert st.principal is None
    assert st.span.start == text.index('{"Sid"')
    assert isinstance(st.element("Action"), JsonString)


def test_single_statement_object() -> None:
    doc = parse_policy('{"Statement": {"Effect": "Deny", "Action": "*"}}')
    assert [s.effect for s in doc.statements] == ["Deny"]


def test_non_object_root_is_a_finding() -> None:
    doc = parse_policy("[1]")
    assert doc.root is None
    assert [f.code for f in doc.syntax_errors] == ["policy-not-object"]


def test_line_index_shared() -> None:
    text = '{"a": 1}'
    li = LineIndex(text)
    assert parse_json(text, lines=li).lines is li


def test_finding_after_non_ascii_converts_to_utf16_and_utf8() -> None:
    from accessdenied.lsp.convert import to_lsp_range
    from accessdenied.policy import check_text

    text = (
        '{"Version": "2012-10-17", "Statement": [{"Sid": "Zugriff😀für", '
        '"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    )
    (f,) = [x for x in check_text(text) if x.code == "invalid-effect"]
    index = LineIndex(text)
    start = text.index('"allow"')
    assert f.span.start_column == start + 1  # code points
    utf16 = to_lsp_range(f.span, index, "utf-16")
    assert utf16.start.character == start + 1  # the emoji is 2 UTF-16 units
    assert utf16.end.character - utf16.start.character == len('"allow"')
    utf8 = to_lsp_range(f.span, index, "utf-8")
    assert utf8.start.character == len(text[:start].encode("utf-8"))


def test_corpus_trees_match_json_loads() -> None:
    from tests.paths import MANAGED_POLICIES

    files = sorted(MANAGED_POLICIES.glob("*.json"))[::4]
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        parsed = parse_json(text)
        assert parsed.errors == (), f
        assert parsed.root is not None
        assert parsed.root.to_python() == json.loads(text), f
