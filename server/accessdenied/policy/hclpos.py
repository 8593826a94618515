"""A small position-aware HCL expression reader (Terraform `jsonencode({...})` etc.).

`HclReader(text, pos, lines).value()` reads one HCL expression into the `jsonpos` node
tree with file spans; references, function calls, `for` expressions and operator
expressions become placeholder strings ("${...}"); heredocs become strings. Set
`blocks = True` to also read `name { ... }` nested blocks (HCL bodies).
"""

from __future__ import annotations

import re

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonBool,
    JsonMember,
    JsonNode,
    JsonNull,
    JsonNumber,
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import Finding
from accessdenied.text import LineIndex

__all__ = ["HclReader"]


class HclReader:
    """A small HCL expression reader for `jsonencode({...})` arguments."""

    _WS = re.compile(r"(?:[ \t\r\n]+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.S)
    _IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
    _NUM = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
    _STR = re.compile(r'"(?:[^"\\$]|\\.|\$\{[^}]*\}|\$(?!\{))*"')
    _REF = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_*-]+|\[[^\]]*\])*")

    def __init__(self, text: str, pos: int, lines: LineIndex) -> None:
        self.text = text
        self.pos = pos
        self.lines = lines
        self.errors: list[Finding] = []
        self.depth = 0
        self.blocks = (
            False  # accept `name { ... }` blocks (HCL bodies, not expressions)
        )

    def ws(self) -> None:
        m = self._WS.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def err(self, message: str) -> None:
        end = min(self.pos + 1, len(self.text))
        # A warning: the expression reader is deliberately small, and Terraform
        # itself reports real syntax errors.
        self.errors.append(
            Finding("hcl-syntax", "warning", self.lines.span(self.pos, end), message)
        )

    def value(self) -> JsonNode | None:
        """A value; operator expressions, conditionals and heredocs become placeholders."""
        self.ws()
        start = self.pos
        t = self.text
        if t.startswith("<<", start):
            return self.heredoc(start)
        node = self.primary()
        if node is None or isinstance(node, JsonObject | JsonArray):
            return node
        j = self.pos
        while j < len(t) and t[j] in " \t":
            j += 1
        if j < len(t) and t[j] in "?=!&|+-*/%<>[.":
            self.pos = j
            self.rest_of_expression()
            end = self.pos
            while end > start and t[end - 1] in " \t\r":
                end -= 1
            return JsonString(start, end, self.lines, "${expr}", t[start:end], True)
        return node

    def rest_of_expression(self) -> None:
        """Skip to the end of an expression (a newline, ',' or an outer closer)."""
        t = self.text
        depth = 0
        while self.pos < len(t):
            c = t[self.pos]
            if c == '"':
                m = self._STR.match(t, self.pos)
                self.pos = m.end() if m else self.pos + 1
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif c in ",\n" and depth == 0:
                return
            self.pos += 1

    def heredoc(self, start: int) -> JsonString | None:
        m = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n").match(
            self.text, start
        )
        if m is None:
            self.err("expected a heredoc marker after '<<'")
            self.pos = start + 2
            return None
        end = re.compile(rf"^[ \t]*{m.group(1)}[ \t]*\r?$", re.M).search(
            self.text, m.end()
        )
        if end is None:
            self.err(f"unterminated heredoc (no closing {m.group(1)})")
            self.pos = len(self.text)
            return None
        self.pos = end.end()
        body = self.text[m.end() : end.start()]
        return JsonString(
            start, self.pos, self.lines, body, self.text[start : self.pos]
        )

    def primary(self) -> JsonNode | None:
        self.ws()
        t, i = self.text, self.pos
        if i >= len(t) or self.depth > 200:
            self.err("expected a value")
            return None
        c = t[i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            m = self._STR.match(t, i)
            if m is None:
                self.err("unterminated string")
                self.pos = len(t)
                return None
            self.pos = m.end()
            raw = m.group(0)
            body = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            return JsonString(i, m.end(), self.lines, body, raw, True)
        m = self._NUM.match(t, i)
        if m:
            self.pos = m.end()
            v = m.group(0)
            num: int | float = int(v) if v.lstrip("-").isdigit() else float(v)
            return JsonNumber(i, m.end(), self.lines, num, v)
        m = self._REF.match(t, i)
        if m:
            word = m.group(0)
            self.pos = m.end()
            if word in ("true", "false"):
                return JsonBool(i, m.end(), self.lines, word == "true")
            if word == "null":
                return JsonNull(i, m.end(), self.lines)
            self.ws()
            if self.pos < len(t) and t[self.pos] == "(":
                self.skip_balanced("(", ")")
            return JsonString(
                i, self.pos, self.lines, "${" + word + "}", t[i : self.pos], True
            )
        self.err(f"unexpected character {c!r}")
        self.pos = i + 1
        return None

    def skip_balanced(self, open_: str, close: str) -> None:
        depth = 0
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c == '"':
                m = self._STR.match(t, self.pos)
                self.pos = m.end() if m else self.pos + 1
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return
            self.pos += 1

    def obj(self) -> JsonObject:
        t = self.text
        start = self.pos
        self.pos += 1
        self.depth += 1
        members: list[JsonMember] = []
        close = None
        while True:
            self.ws()
            if self.pos >= len(t):
                self.err("unclosed object: expected '}'")
                break
            c = t[self.pos]
            if c == "}":
                close = self.pos
                self.pos += 1
                break
            if c == ",":
                self.pos += 1
                continue
            k0 = self.pos
            m = self._STR.match(t, k0) if c == '"' else self._IDENT.match(t, k0)
            if m is None:
                self.err("expected an attribute name")
                self.pos += 1
                continue
            self.pos = m.end()
            name = m.group(0).strip('"') if c == '"' else m.group(0)
            key = JsonString(k0, m.end(), self.lines, name, m.group(0), True)
            self.ws()
            if self.pos < len(t) and t[self.pos] in "=:":
                self.pos += 1
            elif self.blocks and self.pos < len(t) and t[self.pos] == "{":
                members.append(JsonMember(key, self.obj(), None))  # a nested block
                continue
            else:
                self.err("expected '=' or ':' after the attribute name")
                members.append(JsonMember(key, None, None))
                continue
            members.append(JsonMember(key, self.value(), None))
        self.depth -= 1
        end = close + 1 if close is not None else self.pos
        return JsonObject(start, end, self.lines, tuple(members), start, close, ())

    def arr(self) -> JsonArray | JsonString:
        t = self.text
        start = self.pos
        self.ws()
        if re.match(r"\[\s*for\b", t[start : start + 40]):
            self.skip_balanced("[", "]")
            return JsonString(
                start, self.pos, self.lines, "${for}", t[start : self.pos], True
            )
        self.pos += 1
        self.depth += 1
        items: list[JsonNode] = []
        close = None
        while True:
            self.ws()
            if self.pos >= len(t):
                self.err("unclosed list: expected ']'")
                break
            c = t[self.pos]
            if c == "]":
                close = self.pos
                self.pos += 1
                break
            if c == ",":
                self.pos += 1
                continue
            before = self.pos
            v = self.value()
            if v is not None:
                items.append(v)
            elif self.pos == before:
                self.pos += 1
        self.depth -= 1
        end = close + 1 if close is not None else self.pos
        return JsonArray(start, end, self.lines, tuple(items), start, close, ())
