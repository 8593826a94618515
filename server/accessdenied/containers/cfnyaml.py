"""Policy documents inside CloudFormation YAML templates (also SAM's, via `sam`).

The document is located by its span in the composed file, edited with `yamledit`
(minimal insertions in the file's style) and evaluated through the template's
resolver, with the references the new statement writes (`!GetAtt Orders.Arn`)
resolved to the denied resource they name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from accessdenied.containers.base import (
    EditError,
    Grant,
    NotEditable,
    Plan,
    Reference,
    Site,
    TextEdit,
    register,
)
from accessdenied.containers.cloudformation import (
    TemplateResolver,
    acyclic_references,
    base_arn,
    evaluated,
    match_reference,
    resolver_for,
    strip_spans,
    template_references,
    yaml_tree,
)
from accessdenied.containers.yamledit import (
    Intrinsic,
    compose,
    find_node,
    plan_yaml_grant,
)

__all__ = ["CfnYamlContainer", "intrinsic_for", "plan_in_node"]


def intrinsic_for(ref: Reference) -> Intrinsic:
    """The intrinsic that yields a reference's ARN (plus suffix)."""
    if ref.suffix:
        inner = (
            f"${{{ref.logical}.{ref.attribute}}}"
            if ref.attribute
            else f"${{{ref.logical}}}"
        )
        return Intrinsic("Fn::Sub", inner + ref.suffix)
    if ref.attribute:
        return Intrinsic("Fn::GetAtt", [ref.logical, ref.attribute])
    return Intrinsic("Ref", ref.logical)


def _sids(doc: yaml.Node) -> set[str]:
    value = strip_spans(yaml_tree(doc))
    out: set[str] = set()
    stmts = value.get("Statement") if isinstance(value, dict) else None
    for s in stmts if isinstance(stmts, list) else [stmts]:
        if isinstance(s, dict) and isinstance(s.get("Sid"), str):
            out.add(s["Sid"])
    return out


def written_statement(
    grant: Grant, taken: set[str], references: tuple[Reference, ...]
) -> tuple[dict[str, Any], dict[str, Any], Reference | None]:
    """(literal statement, statement as written with references, the reference used)."""
    from accessdenied.fixes.synthesize import build_statement, make_sid

    stmt = build_statement(
        grant.kind,
        grant.actions,
        grant.resource,
        grant.principal,
        grant.sid or make_sid(grant.actions, taken),
    )
    if grant.condition:
        stmt["Condition"] = dict(grant.condition)
    written: dict[str, Any] = dict(stmt)
    ref = None
    if stmt.get("Resource") not in (None, "*"):
        ref = match_reference(references, grant.resource)
        if ref is not None:
            written["Resource"] = intrinsic_for(ref)
    cond = stmt.get("Condition")
    if isinstance(cond, dict):
        # The source a service acts for, by reference when it is in the template.
        new_cond: dict[str, Any] = {}
        for op, body in cond.items():
            new_body = dict(body) if isinstance(body, dict) else body
            if isinstance(new_body, dict):
                for key, value in body.items():
                    src = (
                        match_reference(references, value)
                        if isinstance(value, str)
                        else None
                    )
                    if (
                        key.lower() == "aws:sourcearn"
                        and src is not None
                        and not src.suffix
                    ):
                        new_body[key] = intrinsic_for(src)
            new_cond[op] = new_body
        written["Condition"] = new_cond
    return stmt, written, ref


def plan_in_node(
    text: str,
    doc: yaml.Node,
    grant: Grant,
    resolver: TemplateResolver,
    owner: str | None = None,
) -> tuple[tuple[TextEdit, ...], str, dict[str, Any], str, dict[str, str]]:
    """Plan a grant inside a composed document node: (edits, kind, stmt, how, known).

    `owner` is the resource holding the document: resources that reference it are
    written as literals (a reference back would be a circular dependency).
    """
    references = acyclic_references(
        template_references(resolver), resolver.resources, owner
    )
    stmt, written, ref = written_statement(grant, _sids(doc), references)
    known: dict[str, str] = {}
    principal = written.get("Principal")
    if isinstance(principal, dict) and isinstance(principal.get("AWS"), str):
        # A role or user of the same template is named by reference too.
        pref = match_reference(references, principal["AWS"])
        if pref is not None and ":iam::" in pref.literal and pref.attribute == "Arn":
            written["Principal"] = {"AWS": intrinsic_for(pref)}
            known[f"{pref.logical}.Arn"] = principal["AWS"]
    edits, fkind, how = plan_yaml_grant(text, doc, written, grant.actions, grant.kind)
    if ref is not None:
        key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
        # The denied ARN is the deployed resource the reference names.
        known[key] = base_arn(grant.resource, ref)
        if fkind == "insert-statement":
            how += f"; Resource is {render_reference(ref)}"
    return edits, fkind, stmt, how, known


def render_reference(ref: Reference) -> str:
    """How a reference reads in YAML (for explanations)."""
    i = intrinsic_for(ref)
    if i.fn == "Fn::GetAtt":
        return f"!GetAtt {ref.logical}.{ref.attribute}"
    if i.fn == "Ref":
        return f"!Ref {ref.logical}"
    return f'!Sub "{i.arg}"'


def document_at(text: str, span: tuple[int, int]) -> tuple[yaml.Node, yaml.Node]:
    """(root, the document node at `span`) of a YAML file; EditError if absent."""
    root = compose(text)
    node = find_node(root, span[0])
    if node is None:
        raise EditError("the policy document was not found in the template")
    return root, node


def evaluate_node(node: yaml.Node, resolver: TemplateResolver) -> Mapping[str, Any]:
    """The document at a node as the evaluator sees it (EditError if not static)."""
    doc, why = evaluated(yaml_tree(node), resolver)
    if doc is None:
        raise NotEditable(why or "the policy document is not static")
    return doc


class CfnYamlContainer:
    """CloudFormation YAML templates."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """YAML text edits; evaluation through the template's resolver."""
        if site.span is None:
            raise EditError("the policy document's position in the template is unknown")
        _, node = document_at(text, site.span)
        resolver = resolver_for(text)
        if isinstance(node, yaml.ScalarNode) and not (node.tag or "").startswith("!"):
            return plan_json_string(text, node, grant)
        if (node.tag or "").startswith("!"):
            raise NotEditable(
                f"the policy document is built with {node.tag} (from parameters or "
                "conditions)"
            )
        before = evaluate_node(node, resolver)
        edits, fkind, stmt, how, known = plan_in_node(
            text, node, grant, resolver, site.logical
        )
        return finish(text, site.span[0], edits, fkind, stmt, how, before, known)


def finish(
    text: str,
    start: int,
    edits: tuple[TextEdit, ...],
    fkind: str,
    stmt: dict[str, Any],
    how: str,
    before: Mapping[str, Any],
    known: Mapping[str, str],
    doc_path: tuple[Any, ...] = (),
) -> Plan:
    """Apply, re-read the edited template and evaluate the new document."""
    from accessdenied.fixes.edits import apply_edits

    new_text = apply_edits(text, edits)
    try:
        root = compose(new_text)
    except EditError as exc:  # pragma: no cover - a planner bug, never written
        raise EditError(
            f"internal: the edited template would not parse ({exc})"
        ) from exc
    node = find_node(root, start)
    if node is None:  # pragma: no cover - a planner bug
        raise EditError("internal: the edited document was not found")
    for key in doc_path:
        node = _child(node, key)
    after = evaluate_node(node, resolver_for(new_text, known=known))
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


def plan_json_string(text: str, node: yaml.ScalarNode, grant: Grant) -> Plan:
    """A policy written as JSON inside a YAML string: JSON edits, mapped back.

    Every string style is edited in place (`yamlscalar`): the JSON edit is planned on
    the string's value, each edit lands where the text producing that part of the
    value starts, and the inserted text is written in the scalar's style (escaped in
    double quotes, continued at the block indentation in `|`/`>` blocks).
    """
    from accessdenied.containers.jsontext import load_region, plan_json_grant
    from accessdenied.containers.yamlscalar import encode, scalar_map
    from accessdenied.fixes.edits import apply_edits

    m = scalar_map(text, node)
    content = m.value
    edits, fkind, stmt, how = plan_json_grant(
        content,
        grant.kind,
        grant.actions,
        grant.resource,
        grant.principal,
        None,
        condition=grant.condition,
    )
    before = load_region(content, (0, len(content)))
    edited = apply_edits(content, edits)
    after = load_region(edited, (0, len(edited)))
    file_edits = tuple(
        TextEdit(
            m.to_file(e.start), m.to_file(e.end), encode(e.new_text, m.style, m.indent)
        )
        for e in edits
    )
    new_text = apply_edits(text, file_edits)
    try:
        root = compose(new_text)
    except EditError as exc:
        raise NotEditable(
            "the edited YAML string would not parse; edit it by hand"
        ) from exc
    new_node = find_node(root, node.start_mark.index)
    if (
        not isinstance(new_node, yaml.ScalarNode)
        or new_node.style != node.style
        or _loads(new_node.value) != after
    ):
        raise NotEditable(
            "the edited YAML string would not read back as the intended policy; "
            "edit it by hand"
        )
    return Plan(
        file_edits,
        fkind,
        stmt,
        how + " (in the JSON string)",
        before,
        after,
        check_before=json.dumps(before),
        check_after=json.dumps(after),
    )


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _child(node: yaml.Node, key: Any) -> yaml.Node:
    if isinstance(key, int) and isinstance(node, yaml.SequenceNode):
        item: yaml.Node = node.value[key]
        return item
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                value: yaml.Node = v
                return value
    raise EditError("internal: the edited document was not found")


class NewInlinePolicyContainer:
    """A role or user without policy documents: `Policies:` added to its Properties."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Append a `Policies` property holding one inline policy with the statement."""
        from accessdenied.containers.yamledit import (
            _line_end,
            content_end,
            detect_yaml_style,
            render_block,
        )

        if site.span is None or site.logical is None:
            raise EditError("the role's position in the template is unknown")
        _, props = document_at(text, site.span)
        if (
            not isinstance(props, yaml.MappingNode)
            or props.flow_style
            or not props.value
        ):
            raise NotEditable("the Properties are not a block mapping")
        if any(getattr(k, "value", None) == "Policies" for k, _ in props.value):
            raise NotEditable("the role already has Policies")
        resolver = resolver_for(text)
        references = acyclic_references(
            template_references(resolver), resolver.resources, site.logical
        )
        stmt, written, ref = written_statement(grant, set(), references)
        style = detect_yaml_style(text, props)
        col = props.value[0][0].start_mark.column
        dash = col + style.seq_indent
        inner = dash + 2
        doc = render_block(
            {"Version": "2012-10-17", "Statement": "__STATEMENTS__"},
            style,
            inner + style.unit,
        )
        body = render_block(written, style, inner + style.unit + style.seq_indent + 2)
        seq = " " * (inner + style.unit + style.seq_indent) + "- "
        stmt_lines = [seq + body[0], *body[1:]]
        doc_lines: list[str] = []
        for line in doc:
            if line.rstrip().endswith("__STATEMENTS__"):
                # The placeholder marks where the Statement list goes.
                doc_lines.append(line.replace(" " + _q("__STATEMENTS__", style), ""))
                doc_lines.extend(stmt_lines)
            else:
                doc_lines.append(line)
        lines = [
            "",
            " " * col + "Policies:",
            " " * dash + "- PolicyName: " + _q(f"{site.logical}-granted", style),
            " " * inner + "PolicyDocument:",
            " " * (inner + style.unit) + doc_lines[0],
            *doc_lines[1:],
        ]
        at = _line_end(text, content_end(text, props))
        edit = TextEdit(at, at, style.newline.join(lines))
        known: dict[str, str] = {}
        if ref is not None:
            key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
            known[key] = base_arn(grant.resource, ref)
        how = (
            f"new statement {stmt['Sid']!r} in a new inline policy "
            f"{site.logical}-granted of {site.logical}"
        )
        return finish(
            text,
            site.span[0],
            (edit,),
            "insert-statement",
            stmt,
            how,
            {"Version": "2012-10-17", "Statement": []},
            known,
            doc_path=("Policies", 0, "PolicyDocument"),
        )


def _q(value: str, style: Any) -> str:
    from accessdenied.containers.yamledit import scalar

    return scalar(value, style, False)


register(("cfn-yaml",), CfnYamlContainer())
register(("cfn-new-inline-policy",), NewInlinePolicyContainer())
