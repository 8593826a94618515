"""Lambda function policies in CloudFormation: `AWS::Lambda::Permission` resources.

A function's resource-based policy is not a document in the template: each
`AWS::Lambda::Permission` naming the function adds one statement. The binding's
document is those statements (as Lambda builds them); a fix adds a new Permission
resource after the function, in the template's style, with `SourceArn` (and
`SourceAccount` when the source ARN has no account) for a service principal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from accessdenied.containers.base import (
    Binding,
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
    SPANS,
    TemplateResolver,
    load_template,
    match_reference,
    resolver_for,
    strip_spans,
    template_references,
)
from accessdenied.containers.yamledit import (
    Intrinsic,
    compose,
    content_end,
    detect_yaml_style,
    find_node,
    render_block,
)

__all__ = ["lambda_bindings"]

FUNCTIONS = ("AWS::Lambda::Function", "AWS::Serverless::Function")
EMBED = "cfn-lambda-permission"
JSON_EMBED = "cfn-json-lambda-permission"


def _target(
    value: Any, functions: Mapping[str, str], r: TemplateResolver
) -> str | None:
    """The logical id of the function a Permission's FunctionName names."""
    if isinstance(value, dict):
        if "Ref" in value:
            name = str(value["Ref"])
            return name if name in functions else None
        att = value.get("Fn::GetAtt")
        if isinstance(att, str):
            att = att.split(".", 1)
        if isinstance(att, list) and att and str(att[0]) in functions:
            return str(att[0])
        return None
    if isinstance(value, str):
        for logical, arn in functions.items():
            name = arn.rsplit(":", 1)[-1]
            if value in (arn, name) or value.endswith(f":function:{name}"):
                return logical
    return None


def _statement(
    props: Mapping[str, Any], arn: str, r: TemplateResolver
) -> dict[str, Any]:
    """The policy statement Lambda adds for one Permission."""
    principal = r.string(props.get("Principal")) or "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        p: Any = {"Service": principal}
    elif re.fullmatch(r"\d{12}", principal):
        p = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        p = {"AWS": principal} if principal != "*" else "*"
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": p,
        "Action": r.string(props.get("Action")) or "lambda:InvokeFunction",
        "Resource": arn,
    }
    cond: dict[str, dict[str, str]] = {}
    if "SourceArn" in props:
        cond["ArnLike"] = {"AWS:SourceArn": r.string(props["SourceArn"]) or "*"}
    if "SourceAccount" in props:
        cond["StringEquals"] = {
            "AWS:SourceAccount": r.string(props["SourceAccount"]) or "*"
        }
    if cond:
        stmt["Condition"] = cond
    return stmt


def lambda_bindings(
    path: Path,
    data: Mapping[str, Any],
    r: TemplateResolver,
    embed: str,
    spans_of: Any = None,
) -> list[Binding]:
    """One resource binding per function: its Permission statements."""
    resources = data["Resources"]
    functions: dict[str, str] = {}
    for logical, res in resources.items():
        if logical != SPANS and isinstance(res, dict) and res.get("Type") in FUNCTIONS:
            arn = r.arn(logical)
            if arn:
                functions[logical] = arn
    statements: dict[str, list[dict[str, Any]]] = {k: [] for k in functions}
    for _logical, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Lambda::Permission":
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        fn = _target(props.get("FunctionName"), functions, r)
        if fn is not None:
            statements[fn].append(_statement(strip_spans(props), functions[fn], r))
    out: list[Binding] = []
    res_spans = resources.get(SPANS) if isinstance(resources, dict) else None
    refs = template_references(r)
    for logical, arn in functions.items():
        span = res_spans.get(logical) if isinstance(res_spans, dict) else None
        if spans_of is not None:
            span = spans_of(("Resources", logical))
        out.append(
            Binding(
                kind="resource",
                target=arn,
                logical=logical,
                document={"Version": "2012-10-17", "Statement": statements[logical]},
                span=span,
                file=path,
                origin="cloudformation",
                embed=EMBED if embed == "cfn-yaml" else JSON_EMBED,
                confidence="guess"
                if "*" in arn.split(":function:")[-1]
                else "inferred",
                reason=(
                    f"function policy of {resources[logical].get('Type')} {logical} in "
                    f"{path.name} (its AWS::Lambda::Permission resources)"
                ),
                not_editable=None
                if embed == "cfn-yaml" or span is not None
                else "the function's position in the template is unknown",
                references=refs,
            )
        )
    return out


def _permission(
    logical: str, grant: Grant, references: tuple[Reference, ...]
) -> tuple[dict[str, Any], str | None]:
    """Properties of the new Permission (written form) and the source it pins."""
    from accessdenied.containers.cfnyaml import intrinsic_for

    principal = grant.principal or ""
    props: dict[str, Any] = {
        "FunctionName": Intrinsic("Fn::GetAtt", [logical, "Arn"]),
        "Action": grant.actions[0],
    }
    if principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        props["Principal"] = principal
    elif re.fullmatch(r"arn:aws[a-z-]*:(iam|sts)::\d{12}:.*", principal):
        props["Principal"] = principal.split(":")[4]
    else:
        raise NotEditable(
            f"a Lambda permission cannot name the principal {principal!r}"
        )
    source = None
    cond = grant.condition or {}
    for body in cond.values():
        if isinstance(body, dict):
            for key, value in body.items():
                if key.lower() == "aws:sourcearn" and isinstance(value, str):
                    source = value
                    ref = match_reference(references, value)
                    props["SourceArn"] = (
                        intrinsic_for(ref) if ref and not ref.suffix else value
                    )
                elif key.lower() == "aws:sourceaccount" and isinstance(value, str):
                    props["SourceAccount"] = value
    return props, source


class LambdaPermissionContainer:
    """A new AWS::Lambda::Permission after the function (CloudFormation/SAM YAML)."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Add a Permission resource; the function policy evaluated before and after."""
        if site.span is None or site.logical is None:
            raise EditError("the function's position in the template is unknown")
        if len(grant.actions) != 1:
            raise NotEditable("a Lambda permission grants one action")
        root = compose(text)
        node = find_node(root, site.span[0])
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            raise NotEditable("the function resource is not a block mapping")
        resources = _resources_node(root)
        key_col = next(k.start_mark.column for k, v in resources.value if v is node)
        style = detect_yaml_style(text, resources)
        resolver = resolver_for(text)
        props, source = _permission(site.logical, grant, template_references(resolver))
        if (
            grant.principal
            and grant.principal.endswith(".amazonaws.com")
            and source is None
        ):
            raise NotEditable(
                "the source (rule, topic, bucket) of the service is unknown; a permission "
                "for any source of any account is too broad"
            )
        taken = {str(k.value) for k, _ in resources.value}
        service = (grant.principal or "Account").split(".", 1)[0].capitalize()
        new_logical = f"{site.logical}{service}InvokePermission"
        n = 2
        while new_logical in taken:
            new_logical = f"{site.logical}{service}InvokePermission{n}"
            n += 1
        body = render_block(
            {"Type": "AWS::Lambda::Permission", "Properties": props},
            style,
            key_col + style.unit,
        )
        from accessdenied.containers.yamledit import _line_end

        at = _line_end(text, content_end(text, node))
        nl = style.newline
        blank = (
            nl if re.search(r"\n[ \t]*\r?\n[ \t]*[A-Za-z0-9]+:\s*\r?\n", text) else ""
        )
        new = (
            nl
            + blank
            + " " * key_col
            + new_logical
            + ":"
            + nl
            + " " * (key_col + style.unit)
            + body[0]
            + "".join(nl + line for line in body[1:])
        )
        edit = TextEdit(at, at, new)
        from accessdenied.fixes.edits import apply_edits

        before = _document_of(text, site.logical)
        new_text = apply_edits(text, (edit,))
        after = _document_of(new_text, site.logical)
        stmt = after["Statement"][-1] if after["Statement"] else {}
        how = f"new AWS::Lambda::Permission {new_logical} for {site.logical}"
        return Plan(
            (edit,),
            "edit-resource-policy",
            stmt,
            how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )


def _resources_node(root: yaml.Node) -> yaml.MappingNode:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if getattr(k, "value", None) == "Resources" and isinstance(
                v, yaml.MappingNode
            ):
                return v
    raise EditError("the template has no Resources mapping")


def _document_of(text: str, logical: str, is_json: bool = False) -> dict[str, Any]:
    data = load_template(text, is_json)
    resources = data.get("Resources")
    params = data.get("Parameters")
    r = TemplateResolver(
        resources if isinstance(resources, dict) else {},
        params if isinstance(params, dict) else {},
    )
    embed = "cfn-json" if is_json else "cfn-yaml"
    for b in lambda_bindings(Path("t"), data, r, embed):
        if b.logical == logical and b.document is not None:
            return dict(b.document)
    raise EditError(f"the function {logical} was not found")


def _new_logical(site_logical: str, grant: Grant, taken: set[str]) -> str:
    service = (grant.principal or "Account").split(".", 1)[0].capitalize()
    new_logical = f"{site_logical}{service}InvokePermission"
    n = 2
    while new_logical in taken:
        new_logical = f"{site_logical}{service}InvokePermission{n}"
        n += 1
    return new_logical


class JsonLambdaPermissionContainer:
    """A new AWS::Lambda::Permission after the function (CloudFormation/SAM JSON)."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Add a Permission resource as JSON text in the file's indentation."""
        from accessdenied.containers.cloudformation import json_intrinsic, json_spans
        from accessdenied.containers.samjson import _indent_of, _key_offset, _render
        from accessdenied.containers.samjson import _unit as unit_of
        from accessdenied.fixes.edits import apply_edits

        if site.logical is None:
            raise EditError("the function's logical id is unknown")
        if len(grant.actions) != 1:
            raise NotEditable("a Lambda permission grants one action")
        span = json_spans(text)(("Resources", site.logical))
        if span is None:
            raise EditError("the function's position in the template is unknown")
        resolver = resolver_for(text)
        references = template_references(resolver)
        props, source = _permission(site.logical, grant, references)
        if (
            grant.principal
            and grant.principal.endswith(".amazonaws.com")
            and source is None
        ):
            raise NotEditable(
                "the source (rule, topic, bucket) of the service is unknown; a permission "
                "for any source of any account is too broad"
            )
        props["FunctionName"] = {"Fn::GetAtt": [site.logical, "Arn"]}
        if source is not None:
            ref = match_reference(references, source)
            props["SourceArn"] = (
                json_intrinsic(ref) if ref and not ref.suffix else source
            )
        data = strip_spans(load_template(text, True))
        taken = set(data.get("Resources") or {})
        new_logical = _new_logical(site.logical, grant, taken)
        nl = "\r\n" if "\r\n" in text else "\n"
        indent = _indent_of(text, _key_offset(text, span[0]))
        value = {"Type": "AWS::Lambda::Permission", "Properties": props}
        new = (
            ","
            + nl
            + indent
            + json.dumps(new_logical)
            + ": "
            + _render(value, indent, unit_of(text), nl)
        )
        edit = TextEdit(span[1], span[1], new)
        before = _document_of(text, site.logical, True)
        new_text = apply_edits(text, (edit,))
        after = _document_of(new_text, site.logical, True)
        stmt = after["Statement"][-1] if after["Statement"] else {}
        how = f"new AWS::Lambda::Permission {new_logical} for {site.logical}"
        return Plan(
            (edit,),
            "edit-resource-policy",
            stmt,
            how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )


register((EMBED,), LambdaPermissionContainer())
register((JSON_EMBED,), JsonLambdaPermissionContainer())
