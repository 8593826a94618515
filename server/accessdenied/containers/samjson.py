"""AWS SAM templates written in JSON: fixes in a function's `Policies`, as JSON text.

The same three fixes as the YAML SAM container (`sam.py`): extend or add to the first
inline document of `Policies` (the CloudFormation JSON editor, `plan_json_grant`), a
new `{"Statement": [...]}` item appended to `Policies`, or a new `Policies` property
appended to the function's `Properties`. New text copies the file's indentation and
line endings; references to template resources are written as JSON intrinsics and
the verifier sees the document with them resolved.
"""

from __future__ import annotations

import json
import re
from typing import Any

from accessdenied.containers.base import (
    EditError,
    Grant,
    NotEditable,
    Plan,
    Site,
    TextEdit,
    register,
)
from accessdenied.containers.cloudformation import (
    TemplateResolver,
    acyclic_references,
    json_intrinsic,
    json_spans,
    load_template,
    match_reference,
    resolver_for,
    strip_spans,
)

__all__ = ["SamJsonContainer"]


def _function(text: str, logical: str) -> tuple[str, dict[str, Any]]:
    """(resource type, Properties) of `logical` in a JSON template."""
    data = strip_spans(load_template(text, is_json=True))
    res = (data.get("Resources") or {}).get(logical)
    if not isinstance(res, dict):
        raise EditError(f"resource {logical} was not found in the template")
    props = res.get("Properties")
    return str(res.get("Type")), props if isinstance(props, dict) else {}


def _document(text: str, logical: str, known: dict[str, str]) -> dict[str, Any]:
    from accessdenied.containers.sam import function_document

    rtype, props = _function(text, logical)
    doc, _ = function_document(
        rtype, props.get("Policies"), resolver_for(text, known=known)
    )
    return doc


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent_of(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    m = re.match(r"[ \t]*", text[start:offset])
    return m.group(0) if m else ""


def _unit(text: str) -> str:
    """The file's indentation step (the smallest non-zero leading whitespace)."""
    widths = [
        len(m.group(1))
        for m in re.finditer(r"^( +)\S", text, re.MULTILINE)
        if m.group(1)
    ]
    if "\n\t" in text:
        return "\t"
    return " " * (min(widths) if widths else 2)


def _render(value: Any, indent: str, unit: str, nl: str) -> str:
    """`value` as JSON in the file's style; first line unindented, others at `indent`."""
    if "\t" in unit:
        dumped = json.dumps(value, indent="\t")
    else:
        dumped = json.dumps(value, indent=len(unit))
    lines = dumped.split("\n")
    return nl.join([lines[0], *(indent + line for line in lines[1:])])


def _reference_render(
    text: str, site: Site, grant: Grant, resolver: TemplateResolver
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], str]:
    """(literal statement, written statement, known references, note)."""
    from accessdenied.fixes.synthesize import build_statement, make_sid

    stmt = build_statement(
        grant.kind,
        grant.actions,
        grant.resource,
        grant.principal,
        grant.sid or make_sid(grant.actions, set()),
    )
    if grant.condition:
        stmt["Condition"] = dict(grant.condition)
    written = dict(stmt)
    known = _known(text, site, grant, resolver)
    note = ""
    if known and stmt.get("Resource") not in (None, "*"):
        ref = _ref(site, grant, resolver)
        assert ref is not None
        written["Resource"] = json_intrinsic(ref)
        note = f"; Resource references {ref.logical}"
    return stmt, written, known, note


def _ref(site: Site, grant: Grant, resolver: TemplateResolver) -> Any:
    from accessdenied.containers.cloudformation import template_references

    references = acyclic_references(
        template_references(resolver), resolver.resources, site.logical
    )
    return match_reference(references, grant.resource)


def _known(
    text: str, site: Site, grant: Grant, resolver: TemplateResolver
) -> dict[str, str]:
    """The deployed ARN a reference in the new statement stands for (the denied one)."""
    from accessdenied.containers.cloudformation import base_arn

    ref = _ref(site, grant, resolver)
    if ref is None:
        return {}
    key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
    return {key: base_arn(grant.resource, ref)}


class SamJsonContainer:
    """The Policies of SAM functions and state machines in JSON templates."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Extend an inline document, add a Statement item, or add `Policies`."""
        if site.logical is None:
            raise EditError("the function's logical id is unknown")
        logical = site.logical
        resolver = resolver_for(text)
        _, props = _function(text, logical)
        policies = props.get("Policies")
        spans = json_spans(text)
        base = ("Resources", logical, "Properties")
        nl = "\r\n" if "\r\n" in text else "\n"
        unit = _unit(text)
        known: dict[str, str] = {}
        edits: tuple[TextEdit, ...]
        if policies is None:
            span = spans(base)
            if span is None or not props:
                raise NotEditable("the function has no Properties to add Policies to")
            stmt, written, known, note = _reference_render(text, site, grant, resolver)
            last = list(props)[-1]
            last_span = spans((*base, last))
            key_indent = _indent_of(text, _key_offset(text, last_span[0]))
            new_prop: list[Any] = [{"Statement": [written]}]
            new = (
                ","
                + nl
                + key_indent
                + '"Policies": '
                + _render(new_prop, key_indent, unit, nl)
            )
            edits = (TextEdit(last_span[1], last_span[1], new),)
            fkind = "insert-statement"
            how = f"new statement {stmt['Sid']!r} in a new Policies property" + note
        else:
            inline = _inline_path(policies)
            if inline is not None:
                return self._in_document(
                    text, site, grant, (*base, "Policies", *inline)
                )
            if not isinstance(policies, list):
                raise NotEditable(
                    "Policies is a single managed policy or policy template; make it "
                    "a list to add a statement"
                )
            stmt, written, known, note = _reference_render(text, site, grant, resolver)
            value = {"Statement": [written]}
            if policies:
                last_span = spans((*base, "Policies", len(policies) - 1))
                indent = _indent_of(text, last_span[0])
                same_line = (
                    _line_start(text, last_span[0]) <= spans((*base, "Policies"))[0]
                )
                if same_line:  # a one-line list: [ "A", "B" ]
                    new = ", " + json.dumps(value)
                else:
                    new = "," + nl + indent + _render(value, indent, unit, nl)
                edits = (TextEdit(last_span[1], last_span[1], new),)
            else:
                span = spans((*base, "Policies"))
                edits = (TextEdit(span[0] + 1, span[1] - 1, json.dumps(value)),)
            fkind = "insert-statement"
            how = (
                f"new statement {stmt['Sid']!r} in a new inline policy item of "
                "Policies" + note
            )
        from accessdenied.fixes.edits import apply_edits

        before = _document(text, logical, {})
        new_text = apply_edits(text, edits)
        after = _document(new_text, logical, known)
        return Plan(
            edits,
            fkind,
            stmt,
            how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )

    def _in_document(
        self, text: str, site: Site, grant: Grant, path: tuple[Any, ...]
    ) -> Plan:
        from accessdenied.containers.cloudformation import CfnJsonContainer
        from accessdenied.fixes.edits import apply_edits

        span = json_spans(text)(path)
        if span is None:  # pragma: no cover - spans come from the same parse
            raise EditError("the inline policy of Policies was not found")
        inner = CfnJsonContainer().plan_grant(
            text, Site("cfn-json", site.kind, span, site.logical), grant
        )
        assert site.logical is not None
        known = _known(text, site, grant, resolver_for(text))
        new_text = apply_edits(text, inner.edits)
        before = _document(text, site.logical, {})
        after = _document(new_text, site.logical, known)
        how = inner.how + " (inline policy of Policies)"
        return Plan(
            inner.edits,
            inner.fix_kind,
            inner.statement,
            how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )


def _key_offset(text: str, value_start: int) -> int:
    """The offset of the key whose value starts at `value_start` (`"Key": value`)."""
    colon = text.rfind(":", 0, value_start)
    quote_end = text.rfind('"', 0, colon)
    quote_start = text.rfind('"', 0, quote_end)
    return quote_start if quote_start >= 0 else value_start


def _inline_path(policies: Any) -> tuple[Any, ...] | None:
    if isinstance(policies, dict) and "Statement" in policies:
        return ()
    if isinstance(policies, list):
        for i, item in enumerate(policies):
            if isinstance(item, dict) and "Statement" in item:
                return (i,)
    return None


register(("sam-json-policies", "sam-json-function"), SamJsonContainer())
