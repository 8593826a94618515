"""Position-aware HCL: python-hcl2's Lark tree as blocks, attributes and expressions.

python-hcl2 parses (a real grammar, not regexes); this module keeps what its dict
output drops: the offsets of every block, attribute, object member and tuple item, so
edits can touch only the bytes they mean to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree

from accessdenied.text import LineIndex


class HclError(ValueError):
    """The file is not valid HCL (message names the 1-based line and column)."""


@dataclass(frozen=True, slots=True)
class Expr:
    """One HCL expression with its offsets.

    kind: object | tuple | string | template | number | bool | null | heredoc | call |
    ref | for | dynamic (an operator, conditional or directive: known only at plan time).
    """

    kind: str
    start: int
    end: int
    value: Any = None  # literal value; heredoc body; reference text
    items: tuple[Expr, ...] = ()  # tuple items, call arguments, template parts
    members: tuple[Member, ...] = ()  # object members
    name: str | None = None  # function name
    #: heredoc: offsets of the body; `<<-` strips the common indentation.
    body: tuple[int, int] | None = None
    trim: bool = False

    def member(self, key: str) -> Member | None:
        """The object member named `key` (None when absent)."""
        for m in self.members:
            if m.key == key:
                return m
        return None


@dataclass(frozen=True, slots=True)
class Member:
    """`key = value` (or `key: value`) inside an object expression."""

    key: str
    key_start: int
    key_end: int
    quoted: bool
    sep: str  # "=" or ":"
    value: Expr


@dataclass(frozen=True, slots=True)
class Attribute:
    """`name = value` in a body."""

    name: str
    start: int
    end: int
    value: Expr


@dataclass(frozen=True, slots=True)
class Block:
    """`type "label" ... { body }`."""

    type: str
    labels: tuple[str, ...]
    start: int
    end: int
    lbrace: int
    rbrace: int
    attributes: tuple[Attribute, ...] = ()
    blocks: tuple[Block, ...] = ()

    def attr(self, name: str) -> Attribute | None:
        """The attribute `name` of this block's body (None when absent)."""
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    def value(self, name: str) -> Expr | None:
        """The expression of attribute `name` (None when absent)."""
        a = self.attr(name)
        return a.value if a is not None else None

    def children(self, type_: str) -> tuple[Block, ...]:
        """The nested blocks of one type."""
        return tuple(b for b in self.blocks if b.type == type_)

    @property
    def address(self) -> str:
        """`aws_iam_role.app`, `data.aws_iam_policy_document.x`, `module.m`, ..."""
        if self.type == "resource":
            return ".".join(self.labels[:2])
        if self.type in ("data", "module", "variable", "output"):
            return ".".join((self.type, *self.labels[:2]))
        return ".".join((self.type, *self.labels))


@dataclass(frozen=True, slots=True)
class HclFile:
    """A parsed file: its top-level attributes and blocks."""

    text: str
    attributes: tuple[Attribute, ...] = ()
    blocks: tuple[Block, ...] = ()
    lines: LineIndex = field(default_factory=lambda: LineIndex(""))

    def line(self, offset: int) -> int:
        """1-based line of an offset."""
        return self.lines.pos(offset).line


_PARSED: dict[str, HclFile | HclError] = {}


def parse_hcl(text: str) -> HclFile:
    """Parse HCL text (HclError with line:column when it does not parse); memoised."""
    hit = _PARSED.get(text)
    if hit is None:
        try:
            hit = _parse_hcl(text)
        except HclError as exc:
            hit = exc
        except RecursionError:
            hit = HclError("expressions nested too deeply to read safely")
        if len(_PARSED) > 512:
            _PARSED.clear()
        _PARSED[text] = hit
    if isinstance(hit, HclError):
        raise HclError(str(hit))
    return hit


def _parse_hcl(text: str) -> HclFile:
    from hcl2.api import parses_to_tree

    try:
        tree = parses_to_tree(text)
    except Exception as exc:  # lark's UnexpectedInput family, hcl2's RuntimeError
        line = getattr(exc, "line", None)
        col = getattr(exc, "column", None)
        where = f"line {line}, column {col}: " if line and line > 0 else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise HclError(f"{where}{first or type(exc).__name__}") from None
    body = _child(tree, "body")
    attrs, blocks = _body(body, text) if body is not None else ((), ())
    return HclFile(text, attrs, blocks, LineIndex(text))


def _child(tree: Tree[Any], name: str) -> Tree[Any] | None:
    for c in tree.children:
        if isinstance(c, Tree) and c.data == name:
            return c
    return None


def _subtrees(tree: Tree[Any]) -> list[Tree[Any]]:
    return [
        c
        for c in tree.children
        if isinstance(c, Tree) and c.data != "new_line_or_comment"
    ]


def _span(node: Tree[Any] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return int(node.start_pos or 0), int(node.end_pos or 0)
    return int(node.meta.start_pos), int(node.meta.end_pos)


def _body(
    body: Tree[Any], text: str
) -> tuple[tuple[Attribute, ...], tuple[Block, ...]]:
    attrs: list[Attribute] = []
    blocks: list[Block] = []
    for c in _subtrees(body):
        if c.data == "attribute":
            parts = _subtrees(c)
            name = _name(parts[0])
            value = _expr(parts[-1], text)
            s, e = _span(c)
            attrs.append(Attribute(name, s, e, value))
        elif c.data == "block":
            blocks.append(_block(c, text))
    return tuple(attrs), tuple(blocks)


def _name(node: Tree[Any]) -> str:
    tok = node.children[0]
    return str(tok)


def _block(node: Tree[Any], text: str) -> Block:
    labels: list[str] = []
    type_ = ""
    lbrace = rbrace = 0
    inner: Tree[Any] | None = None
    for c in node.children:
        if isinstance(c, Token):
            if c.type == "LBRACE":
                lbrace = int(c.start_pos or 0)
            elif c.type == "RBRACE":
                rbrace = int(c.start_pos or 0)
            continue
        if c.data == "body":
            inner = c
        elif c.data in ("identifier", "keyword", "literal_value"):
            if not type_:
                type_ = _name(c)
            else:
                labels.append(_name(c))
        elif c.data == "string":
            labels.append(_string_literal(c) or "")
    attrs, blocks = _body(inner, text) if inner is not None else ((), ())
    s, e = _span(node)
    return Block(type_, tuple(labels), s, e, lbrace, rbrace, attrs, blocks)


def _string_literal(node: Tree[Any]) -> str | None:
    parts = []
    for p in _subtrees(node):
        tok = p.children[0]
        if isinstance(tok, Token) and tok.type == "STRING_CHARS":
            parts.append(_unescape(str(tok)))
        elif isinstance(tok, Token) and tok.type == "ESCAPED_INTERPOLATION":
            parts.append(str(tok)[1:])
        else:
            return None
    return "".join(parts)


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                digits = raw[i + 2 : i + 2 + width]
                try:
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                    continue
                except ValueError:
                    pass
        out.append(ch)
        i += 1
    return "".join(out)


_REF_TERMS = (
    "identifier",
    "get_attr_expr_term",
    "index_expr_term",
    "attr_splat_expr_term",
    "full_splat_expr_term",
)


def _expr(node: Tree[Any], text: str) -> Expr:
    s, e = _span(node)
    if node.data == "expr_term":
        kids = _subtrees(node)
        if len(kids) == 1 and not any(
            isinstance(c, Token) and c.type == "LPAR" for c in node.children
        ):
            return _expr(kids[0], text)
        if len(kids) == 1:  # (expression)
            inner = _expr(kids[0], text)
            return Expr(
                inner.kind,
                s,
                e,
                inner.value,
                inner.items,
                inner.members,
                inner.name,
                inner.body,
                inner.trim,
            )
        return Expr("dynamic", s, e, text[s:e])
    kind = node.data
    if kind == "object":
        return Expr(
            "object", s, e, members=tuple(_member(c, text) for c in _subtrees(node))
        )
    if kind == "tuple":
        return Expr("tuple", s, e, items=tuple(_expr(c, text) for c in _subtrees(node)))
    if kind == "string":
        return _template(node, text)
    if kind in ("int_lit", "float_lit"):
        raw = str(node.children[0])
        try:
            num: int | float = int(raw) if kind == "int_lit" else float(raw)
        except ValueError:
            return Expr("dynamic", s, e, raw)
        return Expr("number", s, e, num)
    if kind == "literal_value":
        word = str(node.children[0])
        if word == "null":
            return Expr("null", s, e, None)
        return Expr("bool", s, e, word == "true")
    if kind in ("heredoc_template", "heredoc_template_trim"):
        return _heredoc(node, text, kind.endswith("trim"))
    if kind == "function_call":
        kids = _subtrees(node)
        names = [_name(k) for k in kids if k.data == "identifier"]
        args = next((k for k in kids if k.data == "arguments"), None)
        items = tuple(_expr(a, text) for a in _subtrees(args)) if args else ()
        return Expr("call", s, e, name="::".join(names), items=items)
    if kind in _REF_TERMS:
        raw = "".join(text[s:e].split())
        return Expr("ref", s, e, raw)
    if kind == "conditional":
        parts = _subtrees(node)
        exprs = [p for p in parts if p.data != "new_line_or_comment"]
        if len(exprs) == 3:
            return Expr(
                "conditional",
                s,
                e,
                text[s:e],
                items=tuple(_expr(x, text) for x in exprs),
            )
    if kind == "binary_op":
        parts = _subtrees(node)
        if len(parts) == 2 and parts[1].data == "binary_term":
            term = _subtrees(parts[1])
            if len(term) == 2:
                op = "".join(str(t) for t in term[0].children).strip()
                return Expr(
                    "binary",
                    s,
                    e,
                    text[s:e],
                    name=op,
                    items=(_expr(parts[0], text), _expr(term[1], text)),
                )
    if kind == "unary_op":
        toks = [c for c in node.children if isinstance(c, Token)]
        kids = _subtrees(node)
        if toks and kids:
            return Expr(
                "unary",
                s,
                e,
                text[s:e],
                name=str(toks[0]),
                items=(_expr(kids[0], text),),
            )
    if kind in ("for_tuple_expr", "for_object_expr"):
        return Expr("for", s, e, text[s:e])
    return Expr("dynamic", s, e, text[s:e])


def _member(node: Tree[Any], text: str) -> Member:
    kids = _subtrees(node)
    key_node = kids[0]
    sep = "="
    for c in node.children:
        if isinstance(c, Token) and c.type in ("EQ", "COLON"):
            sep = "=" if c.type == "EQ" else ":"
    ks, ke = _span(key_node)
    key_expr = _subtrees(key_node)
    quoted = False
    key = text[ks:ke]
    if key_expr:
        inner = _expr(key_expr[0], text) if key_expr[0].data != "keyword" else None
        if inner is not None and inner.kind == "string":
            key, quoted = str(inner.value), True
        elif inner is not None and inner.kind == "ref":
            key = str(inner.value)
    return Member(key, ks, ke, quoted, sep, _expr(kids[-1], text))


def _template(node: Tree[Any], text: str) -> Expr:
    s, e = _span(node)
    parts: list[Expr] = []
    literal = True
    for p in _subtrees(node):
        ps, pe = _span(p)
        tok = p.children[0]
        if isinstance(tok, Token) and tok.type == "STRING_CHARS":
            parts.append(Expr("string", ps, pe, _unescape(str(tok))))
        elif isinstance(tok, Token) and tok.type in (
            "ESCAPED_INTERPOLATION",
            "ESCAPED_DIRECTIVE",
        ):
            parts.append(Expr("string", ps, pe, str(tok)[1:]))
        elif isinstance(tok, Tree) and tok.data == "interpolation":
            inner = _subtrees(tok)
            parts.append(_expr(inner[0], text) if inner else Expr("dynamic", ps, pe))
            literal = False
        else:  # %{ if } / %{ for } directives
            parts.append(Expr("dynamic", ps, pe, text[ps:pe]))
            literal = False
    if literal:
        return Expr("string", s, e, "".join(str(p.value) for p in parts))
    return Expr("template", s, e, items=tuple(parts))


def _heredoc(node: Tree[Any], text: str, trim: bool) -> Expr:
    s, e = _span(node)
    raw = text[s:e]
    nl = raw.find("\n")
    marker = raw[(3 if trim else 2) : nl].rstrip("\r")
    body_start = s + nl + 1
    # The closing marker sits on the last line (the token includes its newline).
    stripped = raw.rstrip("\r\n")
    close_line = stripped.rfind("\n") + 1
    body_end = s + close_line if close_line > nl else body_start
    tok_end = s + len(stripped)
    body = text[body_start:body_end]
    if trim:
        body = _dedent(body)
    _ = marker
    return Expr("heredoc", s, tok_end, body, body=(body_start, body_end), trim=trim)


def _dedent(body: str) -> str:
    lines = body.split("\n")
    widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(ln[cut:] for ln in lines)
