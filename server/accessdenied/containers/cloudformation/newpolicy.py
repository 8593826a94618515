"""A role or user of a CloudFormation JSON template with no policy document of its own.

Embed `cfn-json-new-inline-policy`: the fix adds an inline policy (`Policies` with one
`PolicyName`/`PolicyDocument` item holding the least-privilege statement) to the
resource's `Properties`, in the file's indentation and line endings; references to
template resources are written as JSON intrinsics. The role's AWS managed policies
(`ManagedPolicyArns`) are evaluated but never edited: they belong to AWS.
"""

from __future__ import annotations

import json
from typing import Any

from accessdenied.containers.base import (
    EditError,
    Grant,
    NotEditable,
    Plan,
    Site,
    TextEdit,
)
from accessdenied.containers.cloudformation.resolver import resolver_for
from accessdenied.containers.cloudformation.template import (
    json_spans,
    load_template,
    strip_spans,
)

__all__ = ["NewJsonInlinePolicyContainer"]

EMPTY = {"Version": "2012-10-17", "Statement": []}


def _properties(text: str, logical: str) -> dict[str, Any]:
    data = strip_spans(load_template(text, is_json=True))
    res = (data.get("Resources") or {}).get(logical)
    if not isinstance(res, dict):
        raise EditError(f"resource {logical} was not found in the template")
    props = res.get("Properties")
    if not isinstance(props, dict):
        raise NotEditable(f"{logical} has no Properties object")
    return props


def _new_document(text: str, logical: str, known: dict[str, str]) -> Any:
    props = _properties(text, logical)
    policies = props.get("Policies")
    if not isinstance(policies, list) or not policies:  # pragma: no cover - planner bug
        raise EditError("internal: the new inline policy was not written")
    item = policies[-1]
    doc = item.get("PolicyDocument") if isinstance(item, dict) else None
    return resolver_for(text, known=known).resolve(doc)


class NewJsonInlinePolicyContainer:
    """`Policies` added to (or filled in) a JSON role's or user's Properties."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Append a `Policies` property (or fill an empty one) with the statement."""
        from accessdenied.containers.samjson import (
            _indent_of,
            _key_offset,
            _reference_render,
            _render,
            _unit,
        )
        from accessdenied.fixes.edits import apply_edits

        if site.logical is None:
            raise EditError("the role's logical id is unknown")
        logical = site.logical
        props = _properties(text, logical)
        if not props:
            raise NotEditable(f"{logical} has an empty Properties object")
        policies = props.get("Policies")
        if policies is not None and policies != []:
            raise NotEditable(f"{logical} already has Policies")
        resolver = resolver_for(text)
        stmt, written, known, note = _reference_render(text, site, grant, resolver)
        name = f"{logical}-granted"
        item = {
            "PolicyName": name,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [written]},
        }
        spans = json_spans(text)
        base = ("Resources", logical, "Properties")
        nl = "\r\n" if "\r\n" in text else "\n"
        unit = _unit(text)
        if policies == []:
            span = spans((*base, "Policies"))
            if span is None:  # pragma: no cover - spans come from the same parse
                raise EditError("the Policies of the role were not found")
            indent = _indent_of(text, _key_offset(text, span[0]))
            new = _render([item], indent, unit, nl)
            edit = TextEdit(span[0], span[1], new)
        else:
            last = list(props)[-1]
            last_span = spans((*base, last))
            if last_span is None:  # pragma: no cover - spans come from the same parse
                raise EditError("the role's Properties were not found")
            key_at = _key_offset(text, last_span[0])
            indent = _indent_of(text, key_at)
            props_span = spans(base)
            if props_span is not None and text.rfind("\n", 0, key_at) < props_span[0]:
                # Properties written on one line: `{"RoleName": "x"}`.
                new = ", " + json.dumps({"Policies": [item]})[1:-1]
            else:
                new = (
                    ","
                    + nl
                    + indent
                    + '"Policies": '
                    + _render([item], indent, unit, nl)
                )
            edit = TextEdit(last_span[1], last_span[1], new)
        how = (
            f"new statement {stmt['Sid']!r} in a new inline policy {name} of {logical}"
            + note
        )
        new_text = apply_edits(text, (edit,))
        after = _new_document(new_text, logical, known)
        if not isinstance(after, dict):  # pragma: no cover - planner bug
            raise EditError("internal: the new inline policy is not an object")
        return Plan(
            (edit,),
            "insert-statement",
            stmt,
            how,
            EMPTY,
            after,
            check_before=json.dumps(EMPTY),
            check_after=json.dumps(after),
        )
