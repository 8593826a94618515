"""Edits of policy documents inside CloudFormation JSON templates (`cfn-json`)."""

from __future__ import annotations

import json
from typing import Any

from accessdenied.containers.base import EditError, Grant, Plan, Reference, Site
from accessdenied.containers.cloudformation.references import (
    acyclic_references,
    base_arn,
    json_intrinsic,
    match_reference,
    template_references,
)
from accessdenied.containers.cloudformation.resolver import resolver_for


class CfnJsonContainer:
    """Policy documents inside CloudFormation JSON templates."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """JSON text edits; references written as intrinsics; evaluated resolved."""
        from accessdenied.containers.jsontext import load_region, plan_json_grant
        from accessdenied.fixes.edits import apply_edits

        if site.span is None:
            raise EditError("the policy document's position in the template is unknown")
        resolver = resolver_for(text)
        references = acyclic_references(
            template_references(resolver), resolver.resources, site.logical
        )
        ref = match_reference(references, grant.resource)
        render = None
        known: dict[str, str] = {}
        if ref is not None:
            written = json_intrinsic(ref)

            def render(stmt: dict[str, Any]) -> dict[str, Any]:
                return (
                    {**stmt, "Resource": written}
                    if "Resource" in stmt and stmt["Resource"] != "*"
                    else stmt
                )

            key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
            # The denied ARN is the deployed resource the reference names.
            known[key] = base_arn(grant.resource, ref)
        edits, fkind, stmt, how = plan_json_grant(
            text,
            grant.kind,
            grant.actions,
            grant.resource,
            grant.principal,
            site.span,
            render=render,
            condition=grant.condition,
        )
        if ref is not None and fkind == "insert-statement":
            how += f"; Resource references {ref.logical} ({_describe(ref)})"
        new_text = apply_edits(text, edits)
        delta = sum(len(e.new_text) - (e.end - e.start) for e in edits)
        new_span = (site.span[0], site.span[1] + delta)
        before_raw = load_region(text, site.span)
        after_raw = load_region(new_text, new_span)
        before = resolver_for(text).resolve(before_raw)
        after = resolver_for(new_text, known=known).resolve(after_raw)
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


def _describe(ref: Reference) -> str:
    if ref.suffix:
        return f"Fn::Sub ${{{ref.logical}.{ref.attribute}}}{ref.suffix}"
    return (
        f"Fn::GetAtt {ref.logical}.{ref.attribute}"
        if ref.attribute
        else f"Ref {ref.logical}"
    )
