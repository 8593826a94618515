"""lsp/terminal.py line reassembly and lsp/completion.py JSON context (no server)."""

from __future__ import annotations

from accessdenied.lsp.completion import json_context
from accessdenied.lsp.hover import token_at
from accessdenied.lsp.terminal import TerminalBuffer, terminal_uri


def test_terminal_buffer_reassembles_across_chunks() -> None:
    buf = TerminalBuffer(name="t", uri=terminal_uri("t"))
    assert buf.feed("aws s3 ls", "hello wo") is True  # the command header line
    assert buf.lines == ["$ aws s3 ls"]
    assert buf.feed("aws s3 ls", "rld\r\nsecond") is True
    assert buf.lines == ["$ aws s3 ls", "hello world"]
    assert buf.pending == "second"
    # A new command flushes the partial line first.
    buf.feed("date", "x\n")
    assert buf.lines[-3:] == ["second", "$ date", "x"]


def test_terminal_uri_is_escaped() -> None:
    assert terminal_uri("bash (2)") == "accessdenied-terminal:/bash%20%282%29"
    assert terminal_uri("a/b") == "accessdenied-terminal:/a%2Fb"


def test_json_context_value_positions() -> None:
    text = '{"Version": "20", "Statement": [{"Effect": "Al", "Action": ["s3:Ge'
    ctx = json_context(text, len(text))
    assert ctx is not None
    assert ctx.key == "Action"
    assert ctx.prefix == "s3:Ge"
    assert not ctx.in_key
    ctx = json_context(text, text.index('"Al"') + 3)
    assert ctx is not None
    assert ctx.key == "Effect"
    assert ctx.prefix == "Al"


def test_json_context_key_positions() -> None:
    text = '{"Statement": [{"Condition": {"StringEquals": {"aw'
    ctx = json_context(text, len(text))
    assert ctx is not None
    assert ctx.in_key
    assert ctx.path[-2:] == ["Condition", "StringEquals"]
    assert json_context("", 0) is None


def test_hover_token_at_prefers_arns_over_actions() -> None:
    line = "User: arn:aws:iam::1:user/a is not authorized to perform: s3:GetObject."
    tok = token_at(line, line.index("iam"))
    assert tok is not None
    assert (tok.kind, tok.text) == ("arn", "arn:aws:iam::1:user/a")
    tok = token_at(line, line.index("GetObject"))
    assert tok is not None
    assert (tok.kind, tok.text) == ("action", "s3:GetObject")
    assert token_at(line, 1) is None
