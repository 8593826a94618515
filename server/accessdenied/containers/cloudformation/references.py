"""References to a template's own resources (`!GetAtt Orders.Arn` instead of a literal).

`template_references` lists the resources with their ARN patterns; `match_reference`
finds the one a denied ARN is; `acyclic_references` drops those that would make the
policy's owner depend on itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accessdenied.containers.base import Reference
from accessdenied.containers.cloudformation.resolver import (
    ARN_FORMATS,
    TemplateResolver,
)
from accessdenied.containers.cloudformation.template import KEY_SPANS, SPANS


def template_references(resolver: TemplateResolver) -> tuple[Reference, ...]:
    """Every resource of the template that has an ARN, with its pattern."""
    out: list[Reference] = []
    for logical, res in resolver.resources.items():
        if logical in (SPANS, KEY_SPANS) or not isinstance(res, dict):
            continue
        spec = ARN_FORMATS.get(str(res.get("Type")))
        if spec is None:
            continue
        arn = resolver.arn(logical)
        if arn is None:
            continue
        # `Ref` where it yields the ARN (topics, secrets, state machines), else GetAtt.
        attr = None if spec[3] else spec[2]
        if attr is None and not spec[3]:
            continue  # neither GetAtt nor Ref yields the ARN
        out.append(Reference(arn, logical, attr))
    return tuple(out)


def _direct_refs(value: Any) -> set[str]:
    """Logical ids a resource definition names (Ref, GetAtt, ${X} / ${X.Attr} in Sub)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                parts = v.split(".", 1) if isinstance(v, str) else v
                if isinstance(parts, list) and parts:
                    out.add(str(parts[0]))
            elif k == "Fn::Sub":
                tmpl = v[0] if isinstance(v, list) and v else v
                if isinstance(tmpl, str):
                    out |= {
                        m.split(".", 1)[0] for m in re.findall(r"\$\{([^}!]+)\}", tmpl)
                    }
                if isinstance(v, list) and len(v) > 1:
                    out |= _direct_refs(v[1])
            elif k == "DependsOn":
                out |= set(v) if isinstance(v, list) else {str(v)}
            else:
                out |= _direct_refs(v)
    elif isinstance(value, list):
        for v in value:
            out |= _direct_refs(v)
    return out


def depends_on(resources: Mapping[str, Any], src: str, dst: str) -> bool:
    """Whether resource `src` (transitively) references `dst` (a cycle if dst -> src)."""
    seen: set[str] = set()
    stack = [src]
    while stack:
        cur = stack.pop()
        if cur == dst:
            return True
        if cur in seen:
            continue
        seen.add(cur)
        stack.extend(n for n in _direct_refs(resources.get(cur)) if n in resources)
    return False


def acyclic_references(
    references: tuple[Reference, ...], resources: Mapping[str, Any], owner: str | None
) -> tuple[Reference, ...]:
    """References the owner of a document may use without a circular dependency."""
    if not owner or owner not in resources:
        return references
    return tuple(r for r in references if not depends_on(resources, r.logical, owner))


def match_reference(
    references: tuple[Reference, ...], resource: str
) -> Reference | None:
    """The template resource a denied ARN is (exactly, or its objects: `/*`)."""
    for ref in references:
        if ref.matches(resource):
            return ref
    for ref in references:
        if ":s3:::" in ref.literal and ref.with_suffix("/*").matches(resource):
            # Exactly the denied object under the bucket: `${Bucket.Arn}/key`.
            return ref.with_suffix("/" + resource.split("/", 1)[1])
    return None


def json_intrinsic(ref: Reference) -> dict[str, Any]:
    """A reference in CloudFormation JSON syntax."""
    if ref.suffix:
        inner = (
            f"${{{ref.logical}.{ref.attribute}}}"
            if ref.attribute
            else f"${{{ref.logical}}}"
        )
        return {"Fn::Sub": inner + ref.suffix}
    if ref.attribute:
        return {"Fn::GetAtt": [ref.logical, ref.attribute]}
    return {"Ref": ref.logical}


def base_arn(resource: str, ref: Reference) -> str:
    """The resource's own ARN from an ARN under it (`bucket/key` -> `bucket`)."""
    if ref.suffix.startswith("/") and ":s3:::" in resource:
        return resource.split("/", 1)[0]
    return resource
