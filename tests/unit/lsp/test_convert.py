"""lsp/convert.py: the only 1-based -> 0-based conversion, in every position encoding."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types

from accessdenied.denials.model import Denial
from accessdenied.lsp import convert
from accessdenied.lsp.settings import SettingsError, parse_settings, settings_to_json
from accessdenied.text import LineIndex, Pos

TEXT = "ab\n😀x = é\nlast"


@pytest.mark.parametrize(
    ("encoding", "char"),
    [("utf-16", 2), ("utf-8", 4), ("utf-32", 1)],
)
def test_convert_position_after_astral_char(encoding: str, char: int) -> None:
    index = LineIndex(TEXT)
    pos = convert.to_lsp_position(Pos(2, 2), index.line_text(2), encoding)
    assert pos == types.Position(line=1, character=char)
    # And back: the same offset.
    assert convert.from_lsp_position(index, pos, encoding) == TEXT.index("x")


@pytest.mark.parametrize(
    ("encoding", "end"),
    [("utf-16", 7), ("utf-8", 10), ("utf-32", 6)],
)
def test_convert_range_end_after_two_byte_char(encoding: str, end: int) -> None:
    index = LineIndex(TEXT)
    start = TEXT.index("😀")
    span = index.span(start, TEXT.index("é") + 1)
    rng = convert.to_lsp_range(span, index, encoding)
    assert rng.start == types.Position(line=1, character=0)
    assert rng.end == types.Position(line=1, character=end)


def test_convert_without_line_text_uses_code_points() -> None:
    assert convert.to_lsp_position(Pos(3, 5)) == types.Position(line=2, character=4)


def test_convert_from_lsp_position_clamps() -> None:
    index = LineIndex(TEXT)
    assert convert.from_lsp_position(
        index, types.Position(line=99, character=0)
    ) == len(TEXT)
    assert convert.from_lsp_position(index, types.Position(line=0, character=99)) == 2


def test_convert_encoding_name_defaults_to_utf16() -> None:
    assert convert.encoding_name(types.PositionEncodingKind.Utf8) == "utf-8"
    assert convert.encoding_name(None) == "utf-16"
    assert convert.encoding_name("latin-1") == "utf-16"


def test_convert_denial_round_trip() -> None:
    index = LineIndex("x\nUser: a is not authorized")
    denial = Denial(
        span=index.span(2, 26),
        text="User: a is not authorized",
        principal="arn:aws:iam::1:user/a",
        action="s3:GetObject",
        decision="implicit",
        extra_actions=("s3:PutObject",),
    )
    assert convert.denial_from_data(convert.denial_to_data(denial)) == denial
    assert convert.denial_from_data({"span": {}}) is None
    assert convert.denial_from_data("nope") is None


def test_convert_text_edit_offsets() -> None:
    index = LineIndex(TEXT)
    edit = convert.to_lsp_text_edit(
        index, TEXT.index("x"), TEXT.index("x") + 1, "y", "utf-16"
    )
    assert edit.range.start == types.Position(line=1, character=2)
    assert edit.new_text == "y"


@pytest.mark.parametrize(
    "evil",
    [
        "[click](command:workbench.action.terminal.new)",
        "<img src=x onerror=alert(1)>",
        "https://evil.example/x",
        "**bold** `code` # heading",
    ],
)
def test_convert_escape_markdown_neutralises(evil: str) -> None:
    out = convert.escape_markdown(evil)
    assert re.search(r"(?<!\\)\]\(", out) is None  # no link can form
    assert re.search(r"(?<!\\)[<>]", out) is None  # no HTML
    assert "://" not in out  # no autolink
    assert re.search(r"(?<!\\)\*\*", out) is None  # no emphasis


def test_convert_escape_markdown_keeps_arns_readable() -> None:
    arn = "arn:aws:iam::111122223333:role/app-role"
    assert convert.escape_markdown(arn) == arn
    assert convert.escape_markdown("- item") == "\\- item"
    assert convert.escape_markdown("a\nb") == "a b"


def test_convert_code_span_handles_backticks() -> None:
    assert convert.code_span("a`b") == "``a`b``"
    assert convert.code_span("x\ny") == "`x y`"


def test_settings_with_and_without_section_key() -> None:
    a = parse_settings({"accessdenied": {"logs": {"include": ["*.txt"]}}})
    b = parse_settings({"logs": {"include": ["*.txt"]}})
    assert a == b
    assert a.logs.include == ["*.txt"]
    assert parse_settings(None).logs.include[0] == "**/*.log"
    assert parse_settings({"logs": {"include": "*.one"}}).logs.include == ["*.one"]
    assert parse_settings({"aws": {"liveMode": True}}).aws.live_mode is True


@pytest.mark.parametrize(
    "bad",
    [
        {"logs": {"pollInterval": "fast"}},
        {"logs": {"include": 5}},
        {"logs": {"pollInterval": 0}},
        "not a table",
    ],
)
def test_settings_bad_values_raise(bad: object) -> None:
    with pytest.raises(SettingsError):
        parse_settings(bad)


def test_settings_camel_case_round_trip() -> None:
    table = settings_to_json(parse_settings({"logs": {"maxDiagnostics": 7}}))
    assert table["logs"]["maxDiagnostics"] == 7
    assert "max_diagnostics" not in table["logs"]
