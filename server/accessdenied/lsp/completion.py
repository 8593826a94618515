"""textDocument/completion in policy documents.

Where the cursor is decides what is offered: policy and statement keys; `Effect` and
`Version` values; actions and wildcards in `Action`/`NotAction`; ARN templates for the
statement's actions in `Resource`/`NotResource`; operators and then condition keys inside
`Condition`. The JSON context is read with a small tolerant lexer (the text under edit is
often invalid); names come from the catalog and the evaluator's operator registry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import convert
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

logger = logging.getLogger(__name__)


def _catalog() -> Catalog:
    """The IAM catalog (imported on first use: server start stays fast)."""
    from accessdenied.catalog import load_catalog

    return load_catalog()


POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
VERSIONS = ("2012-10-17", "2008-10-17")
EFFECTS = ("Allow", "Deny")
MAX_ITEMS = 400


@dataclass
class Frame:
    kind: str  # "object" | "array"
    key: str | None = None  # the key this container is the value of
    current_key: str | None = None  # object: the last key read
    expecting_key: bool = True  # object: before ':'
    keys: list[str] = field(default_factory=list)


@dataclass
class Context:
    path: list[str | None]  # keys from the root to the cursor's container
    in_key: bool  # the cursor is on an object key (or where one goes)
    string_start: int | None  # offset of the opening quote when inside a string
    prefix: str  # text typed so far inside the string
    key: str | None  # for a value position: its key


def json_context(text: str, offset: int) -> Context | None:
    """Where `offset` sits in (possibly broken) JSON: container path, key or value."""
    stack: list[Frame] = []
    i = 0
    pending_key: str | None = None
    while i < offset:
        c = text[i]
        if c == '"':
            j = i + 1
            buf: list[str] = []
            while j < len(text) and text[j] != '"' and text[j] != "\n":
                if text[j] == "\\":
                    j += 1
                if j < len(text):
                    buf.append(text[j])
                j += 1
            if j >= offset:  # the cursor is inside this string
                frame = stack[-1] if stack else None
                in_key = bool(frame and frame.kind == "object" and frame.expecting_key)
                prefix = text[i + 1 : offset]
                key = None
                if frame is not None and frame.kind == "object" and not in_key:
                    key = frame.current_key
                elif frame is not None and frame.kind == "array":
                    key = frame.key
                return Context(_path(stack), in_key, i, prefix, key)
            value = "".join(buf)
            frame = stack[-1] if stack else None
            if frame is not None and frame.kind == "object" and frame.expecting_key:
                frame.current_key = value
                frame.keys.append(value)
                pending_key = value
            i = j + 1
            continue
        if c == "{" or c == "[":
            frame = stack[-1] if stack else None
            key = None
            if frame is not None:
                key = frame.current_key if frame.kind == "object" else frame.key
            stack.append(Frame("object" if c == "{" else "array", key=key))
            pending_key = None
        elif c == "}" or c == "]":
            if stack:
                stack.pop()
        elif c == ":":
            if stack and stack[-1].kind == "object":
                stack[-1].expecting_key = False
        elif c == "," and stack and stack[-1].kind == "object":
            stack[-1].expecting_key = True
            stack[-1].current_key = None
        i += 1
    del pending_key
    if not stack:
        return None
    frame = stack[-1]
    in_key = frame.kind == "object" and frame.expecting_key
    key = frame.current_key if frame.kind == "object" else frame.key
    return Context(_path(stack), in_key, None, "", None if in_key else key)


def _path(stack: list[Frame]) -> list[str | None]:
    return [f.key for f in stack]


def _item(
    label: str,
    kind: types.CompletionItemKind,
    ctx: Context,
    index: LineIndex,
    offset: int,
    encoding: str,
    detail: str | None = None,
    documentation: str | None = None,
    sort: str | None = None,
) -> types.CompletionItem:
    """An item replacing the whole typed string content (labels contain ':' and '*')."""
    if ctx.string_start is not None:
        edit_range = convert.offsets_to_lsp_range(
            index, ctx.string_start + 1, offset, encoding
        )
        new_text = label
    else:
        pos = convert.offsets_to_lsp_range(index, offset, offset, encoding)
        edit_range = pos
        new_text = f'"{label}"'
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=(
            types.MarkupContent(kind=types.MarkupKind.Markdown, value=documentation)
            if documentation
            else None
        ),
        filter_text=label,
        sort_text=sort,
        text_edit=types.TextEdit(range=edit_range, new_text=new_text),
    )


def statement_actions(text: str, offset: int) -> list[str]:
    """The Action values of the statement around `offset` (tolerant parse)."""
    from accessdenied.policy import parse_policy

    try:
        doc = parse_policy(text)
    except Exception:
        return []
    for st in getattr(doc, "statements", ()):
        span = getattr(st, "span", None)
        if span is not None and span.start <= offset <= span.end:
            value = st.action
            if isinstance(value, str):
                return [value]
            if isinstance(value, list | tuple):
                return [str(v) for v in value]
    return []


def complete(text: str, offset: int, encoding: str) -> list[types.CompletionItem]:
    """Completion items at `offset` (worker thread)."""
    ctx = json_context(text, offset)
    if ctx is None:
        return []
    index = LineIndex(text)
    path = [p for p in ctx.path if p is not None]
    in_statement = "Statement" in path
    parent = ctx.path[-1] if ctx.path else None
    items: list[types.CompletionItem] = []

    def add(label: str, kind: types.CompletionItemKind, **kw: Any) -> None:
        items.append(_item(label, kind, ctx, index, offset, encoding, **kw))

    if ctx.in_key:
        if parent == "Condition":
            for op in _operators():
                add(op, types.CompletionItemKind.Operator, detail="condition operator")
            return items
        if len(path) >= 2 and path[-2] == "Condition":
            return _condition_keys(text, offset, ctx, index, encoding)
        if in_statement and parent in ("Statement", None) and len(ctx.path) >= 2:
            for k in STATEMENT_KEYS:
                add(k, types.CompletionItemKind.Property, detail="statement element")
            return items
        if len(ctx.path) == 1:
            for k in POLICY_KEYS:
                add(k, types.CompletionItemKind.Property, detail="policy element")
        return items
    key = ctx.key
    if key == "Version":
        for v in VERSIONS:
            add(v, types.CompletionItemKind.Value, detail="policy language version")
    elif key == "Effect":
        for v in EFFECTS:
            add(v, types.CompletionItemKind.EnumMember)
    elif key in ("Action", "NotAction"):
        items.extend(_actions(ctx, index, offset, encoding))
    elif key in ("Resource", "NotResource"):
        items.extend(_arn_templates(text, offset, ctx, index, encoding))
    return items[:MAX_ITEMS]


def _operators() -> list[str]:
    from accessdenied.evaluate.conditions import REGISTRY

    base = sorted(REGISTRY)
    out = list(base)
    out += [f"{op}IfExists" for op in base if op != "Null"]
    out += [f"ForAllValues:{op}" for op in base if op != "Null"]
    out += [f"ForAnyValue:{op}" for op in base if op != "Null"]
    return out


def _actions(
    ctx: Context, index: LineIndex, offset: int, encoding: str
) -> list[types.CompletionItem]:
    cat = _catalog()
    prefix = ctx.prefix
    out: list[types.CompletionItem] = []
    if ":" not in prefix:
        for svc in cat.services():
            if svc.startswith(prefix.lower()):
                service = cat.service(svc)
                name = getattr(service, "name", svc) if service is not None else svc
                out.append(
                    _item(
                        f"{svc}:",
                        types.CompletionItemKind.Module,
                        ctx,
                        index,
                        offset,
                        encoding,
                        detail=str(name),
                    )
                )
        if "*".startswith(prefix):
            out.append(
                _item(
                    "*",
                    types.CompletionItemKind.Constant,
                    ctx,
                    index,
                    offset,
                    encoding,
                    detail="every action",
                )
            )
        return out
    svc, _, partial = prefix.partition(":")
    service = cat.service(svc)
    if service is None:
        return out
    actions = list(service.actions or cat.expand(f"{svc}:*"))
    out.append(
        _item(
            f"{service.prefix}:*",
            types.CompletionItemKind.Constant,
            ctx,
            index,
            offset,
            encoding,
            detail=f"every {service.prefix} action",
            sort="0",
        )
    )
    verbs = sorted({_verb(a.name) for a in actions if _verb(a.name)})
    for verb in verbs:
        out.append(
            _item(
                f"{service.prefix}:{verb}*",
                types.CompletionItemKind.Constant,
                ctx,
                index,
                offset,
                encoding,
                detail="wildcard",
                sort="1" + verb,
            )
        )
    for a in actions:
        if partial and not a.name.lower().startswith(partial.lower().rstrip("*")):
            continue
        out.append(
            _item(
                a.full_name,
                types.CompletionItemKind.Function,
                ctx,
                index,
                offset,
                encoding,
                detail=a.access_level,
                documentation=convert.escape_markdown(a.description or ""),
                sort="2" + a.name,
            )
        )
    return out


def _verb(name: str) -> str:
    for i, ch in enumerate(name[1:], 1):
        if ch.isupper():
            return name[:i]
    return ""


def _arn_templates(
    text: str, offset: int, ctx: Context, index: LineIndex, encoding: str
) -> list[types.CompletionItem]:
    cat = _catalog()
    seen: set[str] = set()
    out: list[types.CompletionItem] = []
    for pattern in statement_actions(text, offset):
        for action in cat.expand(pattern)[:50]:
            for res in action.resources:
                for fmt in res.resource_type.arn_formats:
                    if fmt in seen:
                        continue
                    seen.add(fmt)
                    out.append(
                        _item(
                            fmt,
                            types.CompletionItemKind.Snippet,
                            ctx,
                            index,
                            offset,
                            encoding,
                            detail=f"{res.resource_type.service}:{res.resource_type.name}",
                        )
                    )
    if "*" not in seen:
        out.append(
            _item(
                "*",
                types.CompletionItemKind.Constant,
                ctx,
                index,
                offset,
                encoding,
                detail="every resource",
            )
        )
    return out


def _condition_keys(
    text: str, offset: int, ctx: Context, index: LineIndex, encoding: str
) -> list[types.CompletionItem]:
    cat = _catalog()
    keys: dict[str, str] = {}
    for pattern in statement_actions(text, offset):
        for action in cat.expand(pattern)[:50]:
            for k in action.condition_keys:
                keys.setdefault(k, action.full_name)
            for res in action.resources:
                for k in res.resource_type.condition_keys:
                    keys.setdefault(k, res.resource_type.name)
    for k in _global_keys(cat):
        keys.setdefault(k, "global")
    out = []
    for k, origin in sorted(keys.items()):
        ck = cat.condition_key(k)
        detail = f"{getattr(ck, 'type', '')} ({origin})".strip()
        out.append(
            _item(
                k,
                types.CompletionItemKind.Variable,
                ctx,
                index,
                offset,
                encoding,
                detail=detail,
                documentation=convert.escape_markdown(
                    getattr(ck, "description", "") or ""
                ),
                sort=("1" if origin == "global" else "0") + k,
            )
        )
    return out


def _global_keys(cat: Any) -> list[str]:
    """The catalog's global `aws:` condition keys."""
    return [k.name for k in cat.global_condition_keys()]


async def completion(
    ls: AccessDeniedServer, params: types.CompletionParams
) -> types.CompletionList | None:
    ls.fault("completion")
    uri = params.text_document.uri
    doc = ls.open_document(uri)
    if doc is None or ls.kinds.get(uri) == "log":
        return None
    text = str(doc.source)
    if ls.kinds.get(uri) != "policy" and not any(
        k in text for k in ('"Statement"', '"Version"', '"Effect"')
    ):
        return None
    index = LineIndex(text)
    offset = convert.from_lsp_position(index, params.position, ls.encoding)
    items = await ls.in_thread(complete, text, offset, ls.encoding)
    if not items:
        return None
    return types.CompletionList(is_incomplete=False, items=items)


class CompletionFeature(Feature):
    """Completion of actions, condition keys and operators in policy files."""

    name = "completion"

    def register(self) -> None:
        server = self.server

        @server.feature(
            types.TEXT_DOCUMENT_COMPLETION,
            types.CompletionOptions(trigger_characters=['"', ":", "*"]),
        )
        async def on_completion(
            ls: AccessDeniedServer, params: types.CompletionParams
        ) -> types.CompletionList | None:
            try:
                return await completion(ls, params)
            except Exception:
                logger.exception("completion in %s failed", params.text_document.uri)
                return None
