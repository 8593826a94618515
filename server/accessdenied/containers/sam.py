"""AWS SAM templates (`Transform: AWS::Serverless-2016-10-31`): function policies.

A function (or state machine) without `Role` gets an implicit role, logical id
`<LogicalId>Role`, deployed as `<stack>-<LogicalId>Role-<suffix>`; its permissions are
the function's `Policies`: inline documents, SAM policy templates (`DynamoDBReadPolicy:
{TableName: !Ref Orders}`, expanded from the templates aws-sam-translator ships, copied
into `data/` by scripts/build_sam_templates.py), and managed policy names or ARNs
(outside the workspace: named in the reason, not evaluated). SAM also attaches
AWSLambdaBasicExecutionRole to a function's implicit role. Fixes add the statement to
the first inline document of `Policies`, or a new `- Statement:` item, or a new
`Policies` property.

`Globals.Function` is merged into every function as the SAM translator does (its
`GlobalProperties`): a scalar or intrinsic of the function replaces the global one, maps
merge key by key, lists are the global items followed by the function's. Of the
properties Globals supports, `PermissionsBoundary` and `RolePath` shape the implicit
role; `Policies` and `Role` are not Globals properties (the transform rejects them),
so they are never inherited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from accessdenied.containers.base import (
    Binding,
    EditError,
    Grant,
    NotEditable,
    Plan,
    Site,
    TextEdit,
    register,
)
from accessdenied.containers.cfnyaml import plan_in_node, written_statement
from accessdenied.containers.cloudformation import (
    KEY_SPANS,
    SPANS,
    TemplateResolver,
    base_arn,
    json_spans,
    resolver_for,
    strip_spans,
    template_bindings,
    template_references,
    yaml_tree,
)
from accessdenied.containers.yamledit import (
    compose,
    content_end,
    detect_yaml_style,
    find_node,
    render_block,
    render_flow,
)

__all__ = [
    "expand_policies",
    "inherited_properties",
    "is_sam",
    "merge_globals",
    "policy_templates",
    "sam_bindings",
]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_ROLE_OWNERS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")

#: Globals section name of each role owner, and the role-relevant properties it may
#: carry there (samtranslator/plugins/globals/globals.py `supported_properties`; the
#: state machine's Globals support only PropagateTags).
_GLOBALS_OF = {"AWS::Serverless::Function": "Function"}
_ROLE_GLOBALS = ("PermissionsBoundary", "RolePath", "AssumeRolePolicyDocument")
_INTRINSICS = frozenset(
    {
        "Ref",
        "Condition",
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::Transform",
        "Fn::And",
        "Fn::Equals",
        "Fn::Not",
        "Fn::Or",
    }
)

#: AWS managed policy AWSLambdaBasicExecutionRole (attached to every implicit
#: function role by SAM), as AWS publishes it.
_BASIC_EXECUTION = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}


def _is_intrinsic(value: Any) -> bool:
    keys = [k for k in value if k not in (SPANS, KEY_SPANS)]
    return len(keys) == 1 and keys[0] in _INTRINSICS


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals merge of one property value (local: the resource's own).

    Maps (not intrinsics) merge recursively, lists concatenate global + local, and any
    other pair (scalars, intrinsics, differing types) keeps the local value.
    """
    g_map = isinstance(global_value, dict) and not _is_intrinsic(global_value)
    l_map = isinstance(local_value, dict) and not _is_intrinsic(local_value)
    if g_map and l_map:
        merged = dict(global_value)
        for key, value in local_value.items():
            if key in (SPANS, KEY_SPANS):
                continue
            merged[key] = merge_globals(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def inherited_properties(
    data: Mapping[str, Any], rtype: str, props: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the role-relevant properties after the Globals merge, names taken from Globals)."""
    out = {k: props[k] for k in _ROLE_GLOBALS if k in props}
    section = _GLOBALS_OF.get(rtype)
    globals_ = data.get("Globals")
    if section is None or not isinstance(globals_, dict):
        return out, ()
    defaults = globals_.get(section)
    if not isinstance(defaults, dict):
        return out, ()
    inherited: list[str] = []
    for key in _ROLE_GLOBALS:
        if key not in defaults:
            continue
        if key in props:
            out[key] = merge_globals(defaults[key], props[key])
        else:
            out[key] = defaults[key]
            inherited.append(key)
    return out, tuple(inherited)


def is_sam(data: Mapping[str, Any]) -> bool:
    """Whether a loaded template uses the SAM transform."""
    t = data.get("Transform")
    items = t if isinstance(t, list) else [t]
    return any(isinstance(x, str) and x.startswith("AWS::Serverless") for x in items)


@cache
def policy_templates() -> Mapping[str, Any]:
    """SAM policy templates by name (the copy shipped in containers/data)."""
    ref = (
        resources.files("accessdenied.containers")
        / "data"
        / "sam_policy_templates.json"
    )
    data = json.loads(ref.read_text(encoding="utf-8"))
    templates = data.get("Templates", {})
    return templates if isinstance(templates, dict) else {}


def _substitute(value: Any, params: Mapping[str, Any]) -> Any:
    """A template definition with `Ref <Parameter>` replaced by the supplied values."""
    if isinstance(value, dict):
        if list(value) == ["Ref"] and value["Ref"] in params:
            return params[value["Ref"]]
        return {k: _substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    return value


def expand_policies(
    policies: Any, resolver: TemplateResolver
) -> tuple[list[dict[str, Any]], list[str]]:
    """(statements as evaluated, notes) of a SAM `Policies` value."""
    items = policies if isinstance(policies, list) else [policies]
    statements: list[dict[str, Any]] = []
    notes: list[str] = []
    templates = policy_templates()
    for item in items:
        item = strip_spans(item)
        if isinstance(item, str):
            from accessdenied.containers.managed import managed_policy

            doc = managed_policy(item)
            if doc is None:
                notes.append(
                    f"managed policy {item} (unknown to the shipped AWS managed "
                    "policies: assumed to grant nothing)"
                )
                continue
            stmts = doc.get("Statement")
            statements += [s for s in _as_list(stmts) if isinstance(s, dict)]
            notes.append(f"AWS managed policy {item} (evaluated)")
            continue
        if not isinstance(item, dict):
            continue
        if "Statement" in item:
            doc = resolver.resolve(item)
            stmts = doc.get("Statement") if isinstance(doc, dict) else None
            statements += [s for s in _as_list(stmts) if isinstance(s, dict)]
            continue
        if len(item) == 1:
            name = next(iter(item))
            if name in templates:
                params = item[name] if isinstance(item[name], dict) else {}
                definition = _substitute(templates[name].get("Definition", {}), params)
                doc = resolver.resolve(definition)
                stmts = doc.get("Statement") if isinstance(doc, dict) else None
                statements += [s for s in _as_list(stmts) if isinstance(s, dict)]
                notes.append(f"SAM policy template {name}")
                continue
            if name in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::ImportValue", "Fn::If"):
                notes.append(f"a policy given with {name} (not evaluated)")
                continue
            notes.append(f"unknown SAM policy template {name} (not evaluated)")
    return statements, notes


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def function_document(
    kind: str, policies: Any, resolver: TemplateResolver
) -> tuple[dict[str, Any], list[str]]:
    """The implicit role's identity document (as evaluated) and notes."""
    statements, notes = expand_policies(policies, resolver) if policies else ([], [])
    if kind == "AWS::Serverless::Function":
        statements = [dict(_BASIC_EXECUTION), *statements]
        notes.append("AWSLambdaBasicExecutionRole (attached by SAM)")
    return _document(statements), notes


def sam_bindings(
    path: Path, text: str, data: Mapping[str, Any], is_json: bool
) -> list[Binding]:
    """Bindings of a SAM template: plain resources plus implicit function roles."""
    out = template_bindings(path, text, data, is_json)
    resources_ = data["Resources"]
    params = data.get("Parameters") if isinstance(data.get("Parameters"), dict) else {}
    r = TemplateResolver(resources_, params)
    refs = template_references(r)
    spans_of = json_spans(text) if is_json else None
    for logical, res in resources_.items():
        if logical == SPANS or not isinstance(res, dict):
            continue
        rtype = str(res.get("Type"))
        if rtype not in _ROLE_OWNERS:
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            props = {}
        if "Role" in props:
            continue  # an explicit role: bound through that role's own resources
        policies = props.get("Policies")
        doc, notes = function_document(rtype, policies, r)
        if spans_of is not None:
            span = spans_of(("Resources", logical, "Properties", "Policies"))
            if span is None:
                span = spans_of(("Resources", logical, "Properties"))
        else:
            spans = props.get(SPANS) if isinstance(props, dict) else None
            span = spans.get("Policies") if isinstance(spans, dict) else None
            if span is None:
                res_spans = res.get(SPANS)
                span = (
                    res_spans.get("Properties") if isinstance(res_spans, dict) else None
                )
        embed = "sam-policies" if policies is not None else "sam-function"
        if is_json:
            embed = embed.replace("sam-", "sam-json-")
        role = f"{logical}Role"
        out.append(
            Binding(
                kind="identity",
                # SAM's implicit role <LogicalId>Role, deployed <stack>-<LogicalId>Role-<suffix>.
                target=f"arn:*:iam::*:role/*-{role}-*",
                logical=logical,
                document=doc,
                span=span,
                file=path,
                origin="sam",
                embed=embed,
                confidence="inferred",
                reason=(
                    f"Policies of {rtype} {logical} in {path.name} (its implicit role "
                    f"{role}, deployed as <stack>-{role}-<suffix>"
                    + (f"; includes {', '.join(notes)}" if notes else "")
                    + ")"
                ),
                not_editable=None
                if span is not None
                else "the function has no Properties to add Policies to",
                references=refs,
            )
        )
        role_props, inherited = inherited_properties(data, rtype, props)
        out.append(
            _trust_binding(
                path,
                rtype,
                logical,
                props,
                role_props,
                inherited,
                r,
                refs,
                is_json,
                spans_of,
            )
        )
        boundary = _boundary(role_props.get("PermissionsBoundary"), resources_, r)
        if boundary is not None:
            bdoc, bwhy = boundary
            if "PermissionsBoundary" in inherited:
                bwhy += " (inherited from Globals.Function)"
            out.append(
                Binding(
                    kind="boundary",
                    target=f"arn:*:iam::*:role/*-{role}-*",
                    logical=logical,
                    document=bdoc,
                    span=None,
                    file=path,
                    origin="sam",
                    embed="sam-boundary",
                    confidence="inferred",
                    reason=f"permissions boundary of {rtype} {logical} in {path.name}: "
                    + bwhy,
                    not_editable="a permissions boundary is not widened automatically",
                    references=refs,
                )
            )
    return out


#: The trust policy SAM writes for an implicit role without AssumeRolePolicyDocument.
_DEFAULT_TRUST = {
    "AWS::Serverless::Function": "lambda.amazonaws.com",
    "AWS::Serverless::StateMachine": "states.amazonaws.com",
}


def _trust_binding(
    path: Path,
    rtype: str,
    logical: str,
    props: Mapping[str, Any],
    role_props: Mapping[str, Any],
    inherited: tuple[str, ...],
    r: TemplateResolver,
    refs: tuple[Any, ...],
    is_json: bool,
    spans_of: Any,
) -> Binding:
    """The implicit role's trust policy: the function's own, inherited, or SAM's default.

    Only a document written on the function itself (and not merged with Globals) is
    edited, in place, by the template's own container; an inherited one would widen
    every function's role, and SAM's default is not in the file.
    """
    from accessdenied.containers.cloudformation import evaluated

    role = f"{logical}Role"
    target = f"arn:*:iam::*:role/*-{role}-*"
    own = "AssumeRolePolicyDocument" in props
    from_globals = "AssumeRolePolicyDocument" in inherited or (
        own
        and strip_spans(role_props.get("AssumeRolePolicyDocument"))
        != strip_spans(props.get("AssumeRolePolicyDocument"))
    )
    span: Any = None
    why: str | None
    if "AssumeRolePolicyDocument" in role_props:
        document, why = evaluated(role_props["AssumeRolePolicyDocument"], r)
        if own and not from_globals:
            if spans_of is not None:
                span = spans_of(
                    ("Resources", logical, "Properties", "AssumeRolePolicyDocument")
                )
            else:
                spans = props.get(SPANS)
                span = (
                    spans.get("AssumeRolePolicyDocument")
                    if isinstance(spans, dict)
                    else None
                )
            origin = "the function's AssumeRolePolicyDocument"
        else:
            why = why or (
                "the trust policy is inherited from Globals.Function (editing it would "
                f"change every function's role); give {logical} its own "
                "AssumeRolePolicyDocument"
            )
            origin = "AssumeRolePolicyDocument inherited from Globals.Function"
    else:
        service = _DEFAULT_TRUST.get(rtype, "lambda.amazonaws.com")
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": [service]},
                    "Action": ["sts:AssumeRole"],
                }
            ],
        }
        why = (
            f"SAM writes this trust policy ({service} only); add "
            f"AssumeRolePolicyDocument to {logical} to change it"
        )
        origin = "SAM's default trust policy"
    if span is None and why is None:
        why = "the trust policy's position in the template is unknown"
    return Binding(
        kind="trust",
        target=target,
        logical=logical,
        document=document,
        span=span,
        file=path,
        # Edited (when it is) by the template's CloudFormation container.
        origin="cloudformation",
        embed="cfn-json" if is_json else "cfn-yaml",
        confidence="inferred",
        reason=f"trust policy of {rtype} {logical}'s implicit role {role} in "
        f"{path.name} ({origin})",
        not_editable=why,
        references=refs,
    )


def _boundary(
    value: Any, resources_: Mapping[str, Any], r: TemplateResolver
) -> tuple[dict[str, Any], str] | None:
    """(document, origin) of a function's PermissionsBoundary, when it is known."""
    value = strip_spans(value)
    if value is None:
        return None
    if isinstance(value, dict) and list(value) == ["Ref"]:
        res = resources_.get(str(value["Ref"]))
        if isinstance(res, dict) and res.get("Type") == "AWS::IAM::ManagedPolicy":
            props = strip_spans(res.get("Properties") or {})
            doc = r.resolve(props.get("PolicyDocument"))
            if isinstance(doc, dict):
                return doc, f"AWS::IAM::ManagedPolicy {value['Ref']}"
        return None
    text = r.string(value)
    if text and ":iam::aws:policy/" in text:
        from accessdenied.containers.managed import managed_policy

        doc = managed_policy(text)
        if doc is not None:
            return doc, f"AWS managed policy {text.rsplit('/', 1)[-1]}"
    return None


def _policies_after(text: str, start: int, embed: str) -> tuple[Any, str]:
    """(the Policies value, the owner's resource type) in an edited template."""
    root = compose(text)
    node = find_node(root, start)
    if node is None:  # pragma: no cover - planner bug
        raise EditError("internal: the edited Policies were not found")
    value = strip_spans(yaml_tree(node))
    if embed == "sam-function":
        value = value.get("Policies") if isinstance(value, dict) else None
    return value, ""


class SamContainer:
    """The Policies of SAM functions and state machines (YAML)."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Add to an inline document, or a new `- Statement:` item, or `Policies:`."""
        if site.span is None:
            raise EditError("the function's position in the template is unknown")
        root = compose(text)
        node = find_node(root, site.span[0])
        if node is None:
            raise EditError("the function's Policies were not found in the template")
        resolver = resolver_for(text)
        rtype = _rtype_of(root, site.logical) or "AWS::Serverless::Function"
        value = strip_spans(yaml_tree(node))
        policies = value.get("Policies") if site.embed == "sam-function" else value
        before, _ = function_document(rtype, policies, resolver)
        known: dict[str, str] = {}
        if site.embed == "sam-function":
            edits, fkind, stmt, how, known = _add_policies(text, node, grant, resolver)
        else:
            edits, fkind, stmt, how, known = _plan_policies(text, node, grant, resolver)
        from accessdenied.fixes.edits import apply_edits

        new_text = apply_edits(text, edits)
        new_policies, _ = _policies_after(new_text, site.span[0], site.embed)
        after, _ = function_document(
            rtype, new_policies, resolver_for(new_text, known=known)
        )
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


def _rtype_of(root: yaml.Node, logical: str | None) -> str | None:
    data = strip_spans(yaml_tree(root))
    res = (data.get("Resources") or {}).get(logical or "")
    return str(res.get("Type")) if isinstance(res, dict) else None


def _known(ref: Any, grant: Grant) -> dict[str, str]:
    if ref is None:
        return {}
    key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
    return {key: base_arn(grant.resource, ref)}


def _new_item_lines(
    stmt: dict[str, Any], style: Any, dash: int, key_col: int
) -> list[str]:
    """`- Statement:` and the statement below it, as lines (first unindented)."""
    seq_dash = key_col + style.seq_indent
    body = render_block(stmt, style, seq_dash + 2)
    return [
        "Statement:",
        " " * seq_dash + "- " + body[0],
        *body[1:],
    ]


def _plan_policies(
    text: str, node: yaml.Node, grant: Grant, resolver: TemplateResolver
) -> tuple[tuple[TextEdit, ...], str, dict[str, Any], str, dict[str, str]]:
    if isinstance(node, yaml.MappingNode) and any(
        getattr(k, "value", None) == "Statement" for k, _ in node.value
    ):
        return plan_in_node(text, node, grant, resolver)
    if not isinstance(node, yaml.SequenceNode):
        raise NotEditable(
            "Policies is a single managed policy or policy template; make it a list "
            "to add a statement"
        )
    for item in node.value:
        if isinstance(item, yaml.MappingNode) and any(
            getattr(k, "value", None) == "Statement" for k, _ in item.value
        ):
            edits, fkind, stmt, how, known = plan_in_node(text, item, grant, resolver)
            return edits, fkind, stmt, how + " (inline policy of Policies)", known
    style = detect_yaml_style(text, node)
    stmt, written, ref = written_statement(grant, set(), template_references(resolver))
    sid = stmt["Sid"]
    if node.flow_style or not node.value:
        rendered = "{Statement: [" + render_flow(written, style) + "]}"
        if node.value:
            end = node.value[-1].end_mark.index
            edit = TextEdit(end, end, ", " + rendered)
        else:
            edit = TextEdit(
                node.start_mark.index + 1, node.end_mark.index - 1, rendered
            )
    else:
        from accessdenied.containers.yamledit import _dash_column, _line_end

        last = node.value[-1]
        dash = _dash_column(text, last)
        if dash is None:
            raise NotEditable("the Policies list layout is not recognised")
        key_col = dash + 2
        lines = _new_item_lines(written, style, dash, key_col)
        at = _line_end(text, content_end(text, node))
        new = style.newline + " " * dash + "- " + style.newline.join(lines)
        edit = TextEdit(at, at, new)
    how = f"new statement {sid!r} in a new inline policy item of Policies"
    return (edit,), "insert-statement", stmt, how, _known(ref, grant)


def _add_policies(
    text: str, props: yaml.Node, grant: Grant, resolver: TemplateResolver
) -> tuple[tuple[TextEdit, ...], str, dict[str, Any], str, dict[str, str]]:
    if not isinstance(props, yaml.MappingNode) or props.flow_style or not props.value:
        raise NotEditable("the function's Properties are not a block mapping")
    from accessdenied.containers.yamledit import _line_end

    style = detect_yaml_style(text, props)
    stmt, written, ref = written_statement(grant, set(), template_references(resolver))
    col = props.value[0][0].start_mark.column
    dash = col + style.seq_indent
    lines = _new_item_lines(written, style, dash, dash + 2)
    at = _line_end(text, content_end(text, props))
    new = style.newline.join(
        ["", " " * col + "Policies:", " " * dash + "- " + lines[0], *lines[1:]]
    )
    how = f"new statement {stmt['Sid']!r} in a new Policies property"
    return (TextEdit(at, at, new),), "insert-statement", stmt, how, _known(ref, grant)


register(("sam-policies", "sam-function"), SamContainer())
