"""textDocument/hover: principal ARNs, resource ARNs, actions and wildcards.

- principal ARN -> effective permissions from the workspace model (allowed actions per
  service and access level, explicit denies) and, on a denial line, the deciding statement;
- resource ARN -> its parsed fields, resource type(s), and who in the workspace may do what;
- action or wildcard -> description, access level, resource types, condition keys, expansion.

Markdown only: every value is escaped or put in a code span, so nothing from a log can
inject links, `command:` URIs or HTML.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import convert, explain, live
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, path_to_uri
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

logger = logging.getLogger(__name__)


def _catalog() -> Catalog:
    """The IAM catalog (imported on first use: server start stays fast)."""
    from accessdenied.catalog import load_catalog

    return load_catalog()


ARN_RE = re.compile(
    r"arn:[A-Za-z0-9-]+:[A-Za-z0-9-]*:[A-Za-z0-9-]*:[A-Za-z0-9-]*:[^\s\"'`,;)\]}<>]+"
)
ACTION_RE = re.compile(
    r"(?<![\w:/.$-])([A-Za-z][A-Za-z0-9-]*):([A-Za-z0-9*?]+)(?![\w:/])"
)
PRINCIPAL_KINDS = frozenset({"user", "role", "assumed_role", "federated_user", "root"})
MAX_LIST = 25
MAX_PRINCIPALS = 20
INDEX_WAIT = 5.0
MAX_EXPANSION = 120


@dataclass(frozen=True)
class Token:
    kind: str  # "arn" | "action"
    text: str
    start: int
    end: int


def token_at(text: str, offset: int) -> Token | None:
    """The ARN or action under `offset` (line-local search)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end]
    col = offset - line_start
    for m in ARN_RE.finditer(line):
        value = m.group(0).rstrip(".")
        if m.start() <= col <= m.start() + len(value):
            return Token(
                "arn",
                value,
                line_start + m.start(),
                line_start + m.start() + len(value),
            )
    for m in ACTION_RE.finditer(line):
        if m.start() <= col <= m.end():
            return Token(
                "action", m.group(0), line_start + m.start(), line_start + m.end()
            )
    return None


def content_kind(ls: AccessDeniedServer) -> types.MarkupKind:
    """Markdown when the client lists it in hover `contentFormat` (or lists nothing)."""
    formats = ls.client_supports("text_document.hover.content_format", None)
    if not formats or types.MarkupKind.Markdown in formats:
        return types.MarkupKind.Markdown
    return types.MarkupKind.PlainText


def _code(value: object) -> str:
    return convert.code_span(value)


def _esc(value: object) -> str:
    return convert.escape_markdown(value)


def action_markdown(name: str) -> str | None:
    """Markdown for an action or a wildcard pattern (worker thread)."""
    cat = _catalog()
    if "*" in name or "?" in name:
        expanded = cat.expand(name)
        if not expanded:
            return f"{_code(name)} matches no known action"
        lines = [f"**{_code(name)}** matches {len(expanded)} action(s)", ""]
        by_level: dict[str, int] = {}
        for a in expanded:
            by_level[a.access_level] = by_level.get(a.access_level, 0) + 1
        lines.append(
            "Access levels: "
            + ", ".join(f"{_esc(k)} {v}" for k, v in sorted(by_level.items()))
        )
        lines.append("")
        by_level_names: dict[str, list[str]] = {}
        for a in expanded[:MAX_EXPANSION]:
            by_level_names.setdefault(a.access_level, []).append(a.full_name)
        for level, names in sorted(by_level_names.items()):
            shown = ", ".join(_code(n) for n in names)
            lines.append(f"- {_esc(level)}: {shown}")
        if len(expanded) > MAX_EXPANSION:
            lines.append(f"- ... and {len(expanded) - MAX_EXPANSION} more")
        return "\n".join(lines)
    action = cat.action(name)
    if action is None:
        return None
    lines = [f"**{_code(action.full_name)}** ({_esc(action.access_level)})", ""]
    if action.description:
        lines += [_esc(action.description), ""]
    if action.resources:
        lines.append("Resource types:")
        for r in action.resources:
            star = " (required)" if r.required else ""
            fmt = r.resource_type.arn_formats[0] if r.resource_type.arn_formats else ""
            lines.append(
                f"- {_code(r.resource_type.name)}{star} {_code(fmt) if fmt else ''}"
            )
    else:
        lines.append('Resource types: none (use `"Resource": "*"`)')
    if action.condition_keys:
        lines += [
            "",
            "Condition keys: "
            + ", ".join(_code(k) for k in action.condition_keys[:MAX_LIST]),
        ]
    deps = tuple(getattr(action, "dependent_actions", ()) or ())
    if deps:
        lines += ["", "Dependent actions: " + ", ".join(_code(d) for d in deps)]
    return "\n".join(lines)


def _principals(index: Any) -> list[str]:
    """Principals the workspace maps policies to (config, IaC), in index order."""
    found: list[str] = []
    for ref in getattr(index, "refs", ()) or ():
        if getattr(ref, "kind", "") != "identity":
            continue
        p = getattr(ref, "principal", None) or getattr(ref, "target", None)
        if p and "*" not in str(p) and str(p) not in found:
            found.append(str(p))
    return found[:MAX_PRINCIPALS]


def principal_markdown(ls: AccessDeniedServer, arn: str, at_denial: Any) -> str:
    """Effective permissions of a principal (worker thread)."""
    from accessdenied.evaluate import effective_permissions, parse_principal

    info = parse_principal(arn)
    kind = str(info.kind).replace("_", " ")
    head = f"**Principal** {_code(arn)}: {_esc(kind)}"
    if info.account:
        head += f" in account {_code(info.account)}"
    lines = [head, ""]
    index = ls.index
    if index is None:
        lines.append("The workspace index is not ready yet.")
        return "\n".join(lines)
    refs = tuple(index.policies_for(arn))
    if refs:
        lines.append("Policies in this workspace:")
        for ref in refs[:MAX_LIST]:
            label = explain.label_for(path_to_uri(ref.path), ls.root_path)
            lines.append(f"- {_code(label)} ({_esc(ref.kind)}, {_esc(ref.confidence)})")
    else:
        lines.append(
            "No policy in this workspace is known to belong to this principal."
        )
    policy_set = index.policy_set_for(arn, "*")
    eff = effective_permissions(policy_set, arn, _catalog())
    services = eff.by_service()
    lines += ["", f"**Allowed**: {len(eff.allowed)} action(s)"]
    for service in sorted(services)[:MAX_LIST]:
        levels = services[service]
        parts = ", ".join(
            f"{_esc(level)}: "
            + ", ".join(_code(a.action) for a in acts[:6])
            + (" ..." if len(acts) > 6 else "")
            for level, acts in sorted(levels.items())
        )
        lines.append(f"- {_code(service)}: {parts}")
    denied = eff.denied
    if denied:
        lines += ["", f"**Denied** (explicit Deny): {len(denied)} action(s)"]
        groups: dict[tuple[Any, ...], list[str]] = {}
        for a in denied:
            for g in a.denies[:1]:
                key = (g.file, g.line, g.sid, tuple(g.resources), g.not_resource)
                groups.setdefault(key, []).append(a.action)
        for (file, line, sid, resources, not_resource), names in list(groups.items())[
            :MAX_LIST
        ]:
            where = ""
            if file:
                label = explain.label_for(path_to_uri(str(file)), ls.root_path)
                where = f" in {_code(f'{label}:{line}' if line else label)}"
            stmt = f"statement {_code(sid)}" if sid else "a statement"
            scope = ", ".join(_code(r) for r in resources[:3])
            on = (
                f" on {'everything except ' if not_resource else ''}{scope}"
                if scope
                else ""
            )
            shown = ", ".join(_code(n) for n in names[:5])
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            lines.append(f"- {stmt}{where}{on}: {shown}{more}")
    if at_denial is not None:
        lines += ["", denial_section(ls, at_denial)]
    if ls.settings.aws.live_mode:
        lines += ["", live_section(ls, arn)]
    return "\n".join(lines)


def live_section(ls: AccessDeniedServer, arn: str) -> str:
    try:
        return str(live.hover_markdown(arn, ls.settings))
    except Exception as exc:
        logger.warning("live lookup of %s failed: %s", arn, exc)
        return f"_Live lookup failed: {_esc(exc)}_"


def denial_section(ls: AccessDeniedServer, denial: Any) -> str:
    exp = explain.explain(denial, ls.index, ls.read_text)
    what = _code(denial.action or denial.operation or "the request")
    on = f" on {_code(denial.resource)}" if denial.resource else ""
    lines = [f"**This denial**: {what}{on} was denied: {_esc(explain.reason(denial))}"]
    for rel in exp.related:
        label = explain.label_for(path_to_uri(rel.path), ls.root_path)
        line = rel.span.start_line if rel.span is not None else rel.line
        where = f"{label}:{line}" if line else label
        lines.append(f"- {_code(where)}: {_esc(rel.message)}")
    return "\n".join(lines)


def resource_markdown(ls: AccessDeniedServer, arn: str) -> str:
    """Parsed ARN, resource types, and who in the workspace may do what to it."""
    from accessdenied.evaluate import (
        Request,
        effective_permissions,
        evaluate,
        parse_arn,
    )

    parsed = parse_arn(arn)
    lines = [f"**Resource** {_code(arn)}", ""]
    if parsed is not None:
        lines += [
            "| field | value |",
            "| --- | --- |",
            f"| partition | {convert.table_cell(parsed.partition)} |",
            f"| service | {convert.table_cell(parsed.service)} |",
            f"| region | {convert.table_cell(parsed.region or '-')} |",
            f"| account | {convert.table_cell(parsed.account or '-')} |",
            f"| resource | {convert.table_cell(parsed.resource)} |",
            "",
        ]
    cat = _catalog()
    rtypes = cat.resource_types_for_arn(arn)
    if rtypes:
        lines.append(
            "Resource type: "
            + ", ".join(f"{_code(t.service + ':' + t.name)}" for t in rtypes)
        )
    index = ls.index
    if index is None:
        return "\n".join(lines)
    grants: list[str] = []
    budget = 300
    for principal in _principals(index):
        try:
            policy_set = index.policy_set_for(principal, arn)
            eff = effective_permissions(policy_set, principal, cat)
        except Exception:
            continue
        allowed = []
        for a in eff.allowed:
            if parsed is not None and a.service != parsed.service:
                continue
            if budget <= 0:
                break
            budget -= 1
            if evaluate(
                Request(principal=principal, action=a.action, resource=arn), policy_set
            ).allowed:
                allowed.append(a.action)
        if allowed:
            shown = ", ".join(_code(x) for x in allowed[:8])
            more = f" and {len(allowed) - 8} more" if len(allowed) > 8 else ""
            grants.append(f"- {_code(principal)}: {shown}{more}")
    lines += ["", "Who in this workspace can act on it:"]
    lines += grants or ["- nobody (no workspace policy allows an action on it)"]
    refs = tuple(index.resource_policies_for(arn))
    if refs:
        lines += ["", "Resource policies:"]
        for ref in refs[:MAX_LIST]:
            label = explain.label_for(path_to_uri(ref.path), ls.root_path)
            lines.append(f"- {_code(label)} ({_esc(ref.kind)})")
    return "\n".join(lines)


def _denial_at(ls: AccessDeniedServer, uri: str, position: types.Position) -> Any:
    for d in ls.store.get(uri):
        data = d.data if isinstance(d.data, dict) else None
        if not data or data.get("kind") != "denial":
            continue
        r = d.range
        if (
            (r.start.line, r.start.character)
            <= (position.line, position.character)
            <= (
                r.end.line,
                r.end.character,
            )
        ):
            return convert.denial_from_data(data.get("denial"))
    return None


def hover_markdown(
    ls: AccessDeniedServer, text: str, token: Token, at_denial: Any
) -> str | None:
    """The hover text for `token` (worker thread)."""
    if token.kind == "action":
        return action_markdown(token.text)
    from accessdenied.evaluate import parse_principal

    info = parse_principal(token.text)
    if info.kind in PRINCIPAL_KINDS:
        return principal_markdown(ls, token.text, at_denial)
    return resource_markdown(ls, token.text)


async def hover(
    ls: AccessDeniedServer, params: types.HoverParams
) -> types.Hover | None:
    from accessdenied.denials import redact

    ls.fault("hover")
    uri = params.text_document.uri
    doc = ls.open_document(uri)
    if doc is None:
        return None
    text = str(doc.source)
    version = doc.version
    index = LineIndex(text)
    offset = convert.from_lsp_position(index, params.position, ls.encoding)
    token = token_at(text, offset)
    if token is None:
        return None
    if token.kind == "arn":
        token = Token(token.kind, redact(token.text), token.start, token.end)
    at_denial = _denial_at(ls, uri, params.position)
    if ls.root_path is not None:
        # Right after start-up: the answer needs the workspace model; wait a little.
        await ls.indexes.wait(INDEX_WAIT)
    value = await ls.in_thread(hover_markdown, ls, text, token, at_denial)
    current = ls.open_document(uri)
    if value is None or current is None or current.version != version:
        return None
    kind = content_kind(ls)
    if kind == types.MarkupKind.PlainText:
        value = convert.markdown_to_plaintext(value)
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=value),
        range=convert.offsets_to_lsp_range(index, token.start, token.end, ls.encoding),
    )


class HoverFeature(Feature):
    """Hovers on ARNs, actions and denials."""

    name = "hover"

    def register(self) -> None:
        server = self.server

        @server.feature(types.TEXT_DOCUMENT_HOVER)
        async def on_hover(
            ls: AccessDeniedServer, params: types.HoverParams
        ) -> types.Hover | None:
            try:
                return await hover(ls, params)
            except Exception:
                logger.exception("hover in %s failed", params.text_document.uri)
                return None
