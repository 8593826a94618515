"""Position-aware, error-tolerant JSON parsing (regex tokenizer + recursive descent).

Every node keeps its 0-based `str` offsets (`start`/`end`, exclusive) and converts them
to a 1-based `text.Span` on demand through one shared `LineIndex`. Objects and arrays
also keep the offsets of their brackets and commas, which is what minimal text edits
need. A damaged document (cut at the cursor, missing comma or quote, trailing comma,
missing value, unclosed brackets) still yields a partial tree plus syntax findings.

`parse_json(text, start, end)` can parse a slice of a larger text (a policy embedded in
a template): offsets and positions are then those of the whole text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

from accessdenied.policy.model import Finding
from accessdenied.text import LineIndex, Span

__all__ = [
    "JsonArray",
    "JsonBool",
    "JsonMember",
    "JsonNode",
    "JsonNull",
    "JsonNumber",
    "JsonObject",
    "JsonParse",
    "JsonString",
    "parse_json",
]

MAX_DEPTH = 256
MAX_ERRORS = 100

# Group numbers: 1 string, 2 number, 3 punctuation, 4 word, 5 comment, 6 anything else.
_STR, _NUM, _PUNCT, _WORD, _COMMENT, _BAD = 1, 2, 3, 4, 5, 6
# The same tokens as (leading whitespace, token) pairs: `findall` plus cumulative lengths
# give every offset without a Python-level loop over match objects.
_PAIRS = re.compile(
    r'([ \t\r\n]*)("[^"\\\n]*(?:\\.[^"\\\n]*)*"?'
    r"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|[{}\[\]:,]"
    r"|[A-Za-z_$][A-Za-z0-9_$.\-]*"
    r"|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?"
    r"|[^ \t\r\n])"
)
_FIRST: dict[str, int] = {'"': _STR, "{": _PUNCT, "}": _PUNCT, "[": _PUNCT}
_FIRST.update({"]": _PUNCT, ":": _PUNCT, ",": _PUNCT, "_": _WORD, "$": _WORD})
_FIRST.update(dict.fromkeys("0123456789", _NUM))
_FIRST.update(
    dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", _WORD)
)


@dataclass(frozen=True, slots=True)
class _Node:
    start: int
    end: int
    lines: LineIndex = field(repr=False, compare=False)

    @property
    def span(self) -> Span:
        return self.lines.span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class JsonString(_Node):
    """A string; `value` is decoded, `raw` the source text with its quotes."""

    value: str
    raw: str
    terminated: bool = True

    def to_python(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class JsonNumber(_Node):
    value: int | float
    raw: str

    def to_python(self) -> int | float:
        return self.value


@dataclass(frozen=True, slots=True)
class JsonBool(_Node):
    value: bool

    def to_python(self) -> bool:
        return self.value


@dataclass(frozen=True, slots=True)
class JsonNull(_Node):
    def to_python(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class JsonMember:
    """`"key": value`; `value` is None when the document stops (or lacks one) there."""

    key: JsonString
    value: JsonNode | None
    colon: int | None = None

    @property
    def start(self) -> int:
        return self.key.start

    @property
    def end(self) -> int:
        return self.value.end if self.value is not None else self.key.end

    @property
    def span(self) -> Span:
        return self.key.lines.span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class JsonObject(_Node):
    """`{...}`; `open`/`close` are bracket offsets (`close` None when unclosed)."""

    members: tuple[JsonMember, ...]
    open: int
    close: int | None
    commas: tuple[int, ...] = ()

    def get(self, key: str) -> JsonNode | None:
        """The value of the last member named `key` (as JSON parsers do), or None."""
        found: JsonNode | None = None
        for m in self.members:
            if m.key.value == key:
                found = m.value
        return found

    def member(self, key: str) -> JsonMember | None:
        found = None
        for m in self.members:
            if m.key.value == key:
                found = m
        return found

    def keys(self) -> tuple[str, ...]:
        return tuple(m.key.value for m in self.members)

    def to_python(self) -> dict[str, Any]:
        return {
            m.key.value: m.value.to_python()
            for m in self.members
            if m.value is not None
        }


@dataclass(frozen=True, slots=True)
class JsonArray(_Node):
    """`[...]`; `open`/`close` are bracket offsets (`close` None when unclosed)."""

    items: tuple[JsonNode, ...]
    open: int
    close: int | None
    commas: tuple[int, ...] = ()

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]


JsonNode = Union[JsonObject, JsonArray, JsonString, JsonNumber, JsonBool, JsonNull]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class JsonParse:
    """A parse result: the root (None for an empty or hopeless text) plus syntax errors."""

    root: JsonNode | None
    errors: tuple[Finding, ...]
    text: str = field(default="", repr=False)
    lines: LineIndex | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors and self.root is not None


def _slot_setter(cls: type, name: str) -> Any:
    """The slot descriptor's setter (bypasses the frozen `__setattr__`)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name].__set__
    raise AttributeError(name)  # pragma: no cover


def _fast_string_factory() -> Any:
    """A JsonString constructor that skips the frozen-dataclass `__setattr__` path."""
    new = object.__new__
    set_start = _slot_setter(JsonString, "start")
    set_end = _slot_setter(JsonString, "end")
    set_lines = _slot_setter(JsonString, "lines")
    set_value = _slot_setter(JsonString, "value")
    set_raw = _slot_setter(JsonString, "raw")
    set_term = _slot_setter(JsonString, "terminated")

    def make(
        start: int, end: int, lines: LineIndex, value: str, raw: str
    ) -> JsonString:
        obj = new(JsonString)
        set_start(obj, start)
        set_end(obj, end)
        set_lines(obj, lines)
        set_value(obj, value)
        set_raw(obj, raw)
        set_term(obj, True)
        return obj  # type: ignore[no-any-return,unused-ignore]

    return make


def _fast_member_factory() -> Any:
    new = object.__new__
    set_key = _slot_setter(JsonMember, "key")
    set_value = _slot_setter(JsonMember, "value")
    set_colon = _slot_setter(JsonMember, "colon")

    def make(key: JsonString, value: JsonNode | None, colon: int | None) -> JsonMember:
        obj = new(JsonMember)
        set_key(obj, key)
        set_value(obj, value)
        set_colon(obj, colon)
        return obj  # type: ignore[no-any-return,unused-ignore]

    return make


_make_member: Callable[[JsonString, JsonNode | None, int | None], JsonMember] = (
    _fast_member_factory()
)
_make_string: Callable[[int, int, LineIndex, str, str], JsonString] = (
    _fast_string_factory()
)


def iter_nodes(node: JsonNode | None) -> Iterator[JsonNode]:
    """Every node under (and including) `node`, depth first."""
    stack: list[JsonNode] = [node] if node is not None else []
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, JsonObject):
            stack.extend(m.value for m in reversed(n.members) if m.value is not None)
            stack.extend(m.key for m in reversed(n.members))
        elif isinstance(n, JsonArray):
            stack.extend(reversed(n.items))


def iter_objects(node: JsonNode | None) -> Iterator[JsonObject]:
    """Every object under (and including) `node`, in `iter_nodes` order."""
    stack: list[JsonNode] = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, JsonObject):
            yield n
            stack.extend(
                m.value
                for m in reversed(n.members)
                if isinstance(m.value, (JsonObject, JsonArray))
            )
        elif isinstance(n, JsonArray):
            stack.extend(
                i for i in reversed(n.items) if isinstance(i, (JsonObject, JsonArray))
            )


def node_at(root: JsonNode | None, offset: int) -> list[JsonNode]:
    """The chain of nodes from the root down to the innermost one containing `offset`."""
    chain: list[JsonNode] = []
    node = root
    while node is not None and node.start <= offset <= node.end:
        chain.append(node)
        nxt: JsonNode | None = None
        if isinstance(node, JsonObject):
            for m in node.members:
                if m.key.start <= offset <= m.key.end:
                    nxt = m.key
                    break
                if m.value is not None and m.value.start <= offset <= m.value.end:
                    nxt = m.value
                    break
        elif isinstance(node, JsonArray):
            for it in node.items:
                if it.start <= offset <= it.end:
                    nxt = it
                    break
        node = nxt
    return chain


def _decode_string(raw: str) -> tuple[str, str | None]:
    """(value, error message or None) for a string token (with or without end quote)."""
    terminated = len(raw) >= 2 and raw.endswith('"') and not _odd_backslashes(raw)
    body = raw[1:-1] if terminated else raw[1:]
    if "\\" not in body:
        return body, None
    try:
        return json.loads('"' + body + '"', strict=False), None
    except ValueError:
        # Decode what we can, escape by escape.
        out: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch != "\\" or i + 1 >= len(body):
                out.append(ch)
                i += 1
                continue
            nxt = body[i + 1]
            simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
            if nxt in '"\\/':
                out.append(nxt)
                i += 2
            elif nxt in simple:
                out.append(simple[nxt])
                i += 2
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
            else:
                out.append(nxt)
                i += 2
        return "".join(out), "invalid escape sequence in string"


def _odd_backslashes(raw: str) -> bool:
    """Whether the final quote of `raw` is escaped (so the string is unterminated)."""
    n = 0
    i = len(raw) - 2
    while i >= 1 and raw[i] == "\\":
        n += 1
        i -= 1
    return n % 2 == 1


class _Parser:
    __slots__ = (
        "ends",
        "errors",
        "kinds",
        "lines",
        "n",
        "pos",
        "starts",
        "text",
        "vals",
    )

    def __init__(self, text: str, start: int, end: int, lines: LineIndex) -> None:
        self.text = text
        self.lines = lines
        self.errors: list[Finding] = []
        pairs = _PAIRS.findall(text, start, end)
        vals: list[str] = [t for _w, t in pairs]
        offsets = list(
            itertools.accumulate(
                map(len, itertools.chain.from_iterable(pairs)), initial=start
            )
        )
        starts = offsets[1::2]
        ends = offsets[2::2]
        first = _FIRST.get
        kinds = [first(t[0], _BAD) for t in vals]
        if _BAD in kinds:
            for i, t in enumerate(vals):
                if kinds[i] != _BAD:
                    continue
                if t[0] == "-" and len(t) > 1:
                    kinds[i] = _NUM
                elif t[:2] in ("//", "/*"):
                    kinds[i] = _COMMENT
            if _COMMENT in kinds:
                for i in range(len(kinds) - 1, -1, -1):
                    if kinds[i] == _COMMENT:
                        self.error(
                            starts[i], ends[i], "comments are not allowed in JSON"
                        )
                        del kinds[i], starts[i], ends[i], vals[i]
                self.errors.reverse()
        self.kinds = kinds
        self.starts = starts
        self.ends = ends
        self.vals = vals
        self.n = len(kinds)
        self.pos = 0

    def error(
        self, start: int, end: int, message: str, code: str = "json-syntax"
    ) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                Finding(code, "error", self.lines.span(start, end), message, None)
            )

    def error_at(self, i: int, message: str) -> None:
        if i < self.n:
            self.error(self.starts[i], self.ends[i], message)
        else:
            self.error_eof(message)

    def error_eof(self, message: str) -> None:
        end = self.ends[-1] if self.n else 0
        start = self.starts[-1] if self.n else 0
        self.error(start, end, message)

    def _is(self, i: int, punct: str) -> bool:
        return i < self.n and self.kinds[i] == _PUNCT and self.vals[i] == punct

    def _value_start(self, i: int) -> bool:
        if i >= self.n:
            return False
        k = self.kinds[i]
        return k in (_STR, _NUM, _WORD) or (k == _PUNCT and self.vals[i] in "{[")

    def string(self, i: int) -> JsonString:
        raw = self.vals[i]
        s, e = self.starts[i], self.ends[i]
        if raw[-1] == '"' and len(raw) >= 2 and "\\" not in raw:
            return _make_string(s, e, self.lines, raw[1:-1], raw)
        value, err = _decode_string(raw)
        terminated = len(raw) >= 2 and raw.endswith('"') and not _odd_backslashes(raw)
        if not terminated:
            self.error(s, e, "unterminated string: missing closing quote")
        elif err:
            self.error(s, e, err)
        return JsonString(s, e, self.lines, value, raw, terminated)

    def value(self, depth: int, closers: str) -> JsonNode | None:
        i = self.pos
        if i >= self.n:
            self.error_eof("expected a value, found the end of the document")
            return None
        k = self.kinds[i]
        v = self.vals[i]
        s, e = self.starts[i], self.ends[i]
        if k == _PUNCT:
            if v == "{" or v == "[":
                if depth >= MAX_DEPTH:
                    self.error(s, e, "document nested too deeply")
                    self.pos = self.n
                    return None
                return (
                    self.obj(depth + 1, closers)
                    if v == "{"
                    else self.arr(depth + 1, closers)
                )
            self.error(s, e, f"expected a value, found '{v}'")
            return None
        self.pos = i + 1
        if k == _STR:
            return self.string(i)
        if k == _NUM:
            num: int | float
            num = int(v) if v.lstrip("-").isdigit() else float(v)
            return JsonNumber(s, e, self.lines, num, v)
        if k == _WORD:
            if v == "true" or v == "false":
                return JsonBool(s, e, self.lines, v == "true")
            if v == "null":
                return JsonNull(s, e, self.lines)
            self.error(s, e, f"unexpected '{v}': strings need double quotes")
            return JsonString(s, e, self.lines, v, v, False)
        self.error(s, e, f"unexpected character '{v}'")
        return None

    def obj(self, depth: int, closers: str) -> JsonObject:
        i = self.pos
        open_ = self.starts[i]
        self.pos = i + 1
        inner = closers + "}"
        kinds, vals, starts, ends = self.kinds, self.vals, self.starts, self.ends
        n = self.n
        lines = self.lines
        members: list[JsonMember] = []
        commas: list[int] = []
        close: int | None = None
        expect_member = True  # after '{' or ','
        while True:
            i = self.pos
            if i >= self.n:
                self.error(open_, open_ + 1, "unclosed object: expected '}'")
                break
            k, v = self.kinds[i], self.vals[i]
            if k == _PUNCT:
                if v == "}":
                    if commas and expect_member and members:
                        self.error(commas[-1], commas[-1] + 1, "trailing comma")
                    close = self.starts[i]
                    self.pos = i + 1
                    break
                if v == ",":
                    if expect_member:
                        self.error_at(i, "unexpected comma")
                    commas.append(self.starts[i])
                    expect_member = True
                    self.pos = i + 1
                    continue
                if v == "]":
                    if "]" in closers and not self._deeper(i, open_):
                        self.error(open_, open_ + 1, "unclosed object: expected '}'")
                        break
                    self.error_at(i, "unexpected ']'")
                    self.pos = i + 1
                    continue
                if v == ":":
                    self.error_at(i, "expected a property name before ':'")
                    self.pos = i + 1
                    continue
                # '{' or '[' where a key should be: skip the whole value.
                self.error_at(i, "expected a property name in double quotes")
                self.value(depth, inner)
                continue
            if k not in (_STR, _WORD):
                self.error_at(i, "expected a property name in double quotes")
                self.pos = i + 1
                continue
            if expect_member and k == _STR and self._is(i + 1, ":"):
                # Fast path: a well-formed `"key": "value"` / `"key": {` / `"key": [`.
                raw = v
                j = i + 2
                if j < n and raw[-1] == '"' and len(raw) >= 2 and "\\" not in raw:
                    kj = kinds[j]
                    vj = vals[j]
                    if (
                        kj == _STR
                        and vj[-1] == '"'
                        and len(vj) >= 2
                        and "\\" not in vj
                        and not (
                            j + 1 < n and kinds[j + 1] == _PUNCT and vals[j + 1] == ":"
                        )
                    ):
                        key = _make_string(starts[i], ends[i], lines, raw[1:-1], raw)
                        val = _make_string(starts[j], ends[j], lines, vj[1:-1], vj)
                        members.append(_make_member(key, val, starts[i + 1]))
                        self.pos = j + 1
                        expect_member = False
                        continue
                    if kj == _PUNCT and (vj == "{" or vj == "["):
                        key = _make_string(starts[i], ends[i], lines, raw[1:-1], raw)
                        self.pos = j
                        expect_member = False
                        members.append(
                            _make_member(key, self.value(depth, inner), starts[i + 1])
                        )
                        continue
            if not expect_member and members:
                prev_end = members[-1].end
                self.error(prev_end, self.ends[i], "missing comma between properties")
            if k == _WORD:
                self.error_at(i, "property names need double quotes")
                key = JsonString(
                    self.starts[i], self.ends[i], self.lines, self.vals[i], v, False
                )
            else:
                key = self.string(i)
            self.pos = i + 1
            expect_member = False
            j = self.pos
            colon: int | None = None
            if self._is(j, ":"):
                colon = self.starts[j]
                self.pos = j + 1
            else:
                # `"key" value` on one line: a missing colon; otherwise a half-typed key.
                same_line = (
                    j < self.n and "\n" not in self.text[key.end : self.starts[j]]
                )
                if (
                    self._value_start(j)
                    and same_line
                    and not (self.kinds[j] == _STR and self._is(j + 1, ":"))
                ):
                    self.error(key.start, key.end, "missing ':' after property name")
                else:
                    self.error(key.start, key.end, "expected ':' after property name")
                    members.append(JsonMember(key, None, None))
                    continue
            j = self.pos
            if j >= self.n:
                self.error(key.start, (colon or key.end) + 1, "missing value")
                members.append(JsonMember(key, None, colon))
                continue
            if self.kinds[j] == _PUNCT and self.vals[j] in ",}]":
                self.error(key.start, (colon or key.end) + 1, "missing value")
                members.append(JsonMember(key, None, colon))
                continue
            if (
                self.kinds[j] == _STR
                and self._is(j + 1, ":")
                and "\n" in self.text[(colon or key.end) : self.starts[j]]
            ):
                # `"Effect":` then a new line with the next `"key":`.
                self.error(key.start, (colon or key.end) + 1, "missing value")
                members.append(JsonMember(key, None, colon))
                continue
            members.append(_make_member(key, self.value(depth, inner), colon))
        end = close + 1 if close is not None else self._last_end(open_ + 1)
        return JsonObject(
            open_, end, self.lines, tuple(members), open_, close, tuple(commas)
        )

    def _indent(self, offset: int) -> tuple[int, bool]:
        """(indentation of the line of `offset`, whether `offset` starts that line)."""
        text = self.text
        start = text.rfind("\n", 0, offset) + 1
        i = start
        while i < offset and text[i] in " \t":
            i += 1
        return i - start, i == offset

    def _deeper(self, i: int, open_: int) -> bool:
        """Whether a mismatched closer belongs to something inner that lost its opener.

        True when the closer at token `i` starts its line and is indented deeper than
        the line that opened the current container (not an outer container's closer).
        """
        closer_indent, first = self._indent(self.starts[i])
        if not first:
            return False
        open_indent, _ = self._indent(open_)
        return closer_indent > open_indent

    def _last_end(self, floor: int) -> int:
        """End of the last token consumed (for an unclosed container)."""
        i = self.pos - 1
        return max(self.ends[i], floor) if i >= 0 else floor

    def arr(self, depth: int, closers: str) -> JsonArray:
        i = self.pos
        open_ = self.starts[i]
        self.pos = i + 1
        inner = closers + "]"
        lines = self.lines
        kinds, vals, starts, ends = self.kinds, self.vals, self.starts, self.ends
        n = self.n
        items: list[JsonNode] = []
        commas: list[int] = []
        close: int | None = None
        expect_item = True
        while True:
            i = self.pos
            # Fast path: `"simple string"` then `,` or `]` (most of a policy's arrays).
            if expect_item and i + 1 < n and kinds[i] == _STR:
                raw = vals[i]
                nk, nv = kinds[i + 1], vals[i + 1]
                if (
                    nk == _PUNCT
                    and (nv == "," or nv == "]")
                    and raw[-1] == '"'
                    and len(raw) >= 2
                    and "\\" not in raw
                ):
                    items.append(
                        _make_string(starts[i], ends[i], lines, raw[1:-1], raw)
                    )
                    if nv == ",":
                        commas.append(starts[i + 1])
                        self.pos = i + 2
                        continue
                    close = starts[i + 1]
                    self.pos = i + 2
                    break
            if i >= n:
                self.error(open_, open_ + 1, "unclosed array: expected ']'")
                break
            k, v = self.kinds[i], self.vals[i]
            if k == _PUNCT:
                if v == "]":
                    if commas and expect_item and items:
                        self.error(commas[-1], commas[-1] + 1, "trailing comma")
                    close = self.starts[i]
                    self.pos = i + 1
                    break
                if v == ",":
                    if expect_item:
                        self.error_at(i, "unexpected comma")
                    commas.append(self.starts[i])
                    expect_item = True
                    self.pos = i + 1
                    continue
                if v == "}":
                    if "}" in closers and not self._deeper(i, open_):
                        self.error(open_, open_ + 1, "unclosed array: expected ']'")
                        break
                    self.error_at(i, "unexpected '}'")
                    self.pos = i + 1
                    continue
                if v == ":":
                    self.error_at(i, "unexpected ':' in an array")
                    self.pos = i + 1
                    continue
            if k == _STR and self._is(i + 1, ":") and "}" in closers:
                # `"Resource": ...` inside an array: the array was never closed.
                self.error(open_, open_ + 1, "unclosed array: expected ']'")
                break
            if not expect_item and items:
                self.error(items[-1].end, self.ends[i], "missing comma between items")
            expect_item = False
            if k == _STR:  # fast path: a well-formed string item
                raw = self.vals[i]
                if raw[-1] == '"' and len(raw) >= 2 and "\\" not in raw:
                    items.append(
                        _make_string(
                            self.starts[i], self.ends[i], lines, raw[1:-1], raw
                        )
                    )
                    self.pos = i + 1
                    continue
            node = self.value(depth, inner)
            if node is None:
                if self.pos == i:
                    self.pos = i + 1
                continue
            items.append(node)
        end = close + 1 if close is not None else self._last_end(open_ + 1)
        return JsonArray(
            open_, end, self.lines, tuple(items), open_, close, tuple(commas)
        )

    def document(self) -> JsonNode | None:
        if self.n == 0:
            return None
        root = self.value(0, "")
        if root is None and self.pos == 0:
            self.pos = 1
        if self.pos < self.n:
            self.error(
                self.starts[self.pos],
                self.ends[self.n - 1],
                "unexpected content after the end of the document",
            )
        return root


def parse_json(
    text: str,
    start: int = 0,
    end: int | None = None,
    lines: LineIndex | None = None,
) -> JsonParse:
    """Parse `text[start:end]` tolerantly; offsets and positions refer to `text`.

    Never raises on any input. `lines` lets callers share one `LineIndex` per text.
    """
    if end is None or end > len(text):
        end = len(text)
    index = lines if lines is not None else LineIndex(text)
    p = _Parser(text, start, end, index)
    root = p.document()
    if root is None and not p.errors:
        p.error(start, end, "empty document: expected a JSON value")
    return JsonParse(root, tuple(p.errors), text, index)
