"""Serverless Framework `serverless.yml`: the generated Lambda roles and their statements.

The provider role is named `<service>-<stage>-<region>-lambdaRole` (or
`provider.iam.role.name`); its statements are `provider.iam.role.statements` (v3+) or
the legacy `provider.iamRoleStatements`. With the serverless-iam-roles-per-function
plugin, a function's `iamRoleStatements` make its own role
`<service>-<stage>-<function>-<region>-lambdaRole` (plus the provider's statements with
`iamRoleStatementsInherit: true`). Serverless variables (`${self:...}`, `${sls:stage}`,
`${opt:...}`, `${aws:...}`, ...) resolve to static values where the file holds them,
else `*`; CloudFormation intrinsics resolve against `resources.Resources`. New
statements reference those resources with `Fn::GetAtt` / `Fn::Join` (never `Fn::Sub`,
whose `${}` Serverless would read as its own variables).
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
    Site,
    TextEdit,
    register,
    register_locator,
)
from accessdenied.containers.cfnyaml import written_statement
from accessdenied.containers.cloudformation import (
    SPANS,
    TemplateResolver,
    base_arn,
    strip_spans,
    template_references,
    yaml_tree,
)
from accessdenied.containers.yamledit import (
    Intrinsic,
    compose,
    content_end,
    detect_yaml_style,
    find_node,
    plan_statement_list,
    render_block,
)

__all__ = ["serverless_bindings"]

_NAMES = ("serverless.yml", "serverless.yaml")
_PER_FUNCTION = "serverless-iam-roles-per-function"
_VAR = re.compile(
    r"\$\{((?:self|sls|opt|aws|env|ssm|cf|s3|param|file|strToBool)[^{}]*)\}"
)


def _spans(node: Mapping[str, Any], key: str) -> tuple[int, int] | None:
    spans = node.get(SPANS)
    found = spans.get(key) if isinstance(spans, dict) else None
    return (int(found[0]), int(found[1])) if isinstance(found, tuple) else None


class _Vars:
    """Serverless variables over one file."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def self_ref(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return strip_spans(node)

    def one(self, inner: str) -> str:
        source, _, rest = inner.partition(":")
        rest = rest.split(",", 1)[0].strip()
        if source == "self":
            value = self.self_ref(rest)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return self.string(str(value))
            return "*"
        return "*"  # sls:stage, opt:, aws:region, env:, ssm: ... known only at deploy

    def string(self, value: str) -> str:
        for _ in range(5):
            new = _VAR.sub(lambda m: self.one(m.group(1)), value)
            if new == value:
                break
            value = new
        return value

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


def _static(value: Any, v: _Vars, default: str) -> str:
    if isinstance(value, str):
        return v.string(value)
    return default


def _logs_statement(service: str, stage: str) -> dict[str, Any]:
    # Serverless adds these for the functions' log groups to every generated role.
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents"],
        "Resource": f"arn:*:logs:*:*:log-group:/aws/lambda/{service}-{stage}*:*",
    }


def _document(
    statements: Any, v: _Vars, r: TemplateResolver, service: str, stage: str
) -> tuple[dict[str, Any] | None, str | None]:
    raw = strip_spans(statements) if statements is not None else []
    if not isinstance(raw, list):
        return None, "the statements are not a list"
    resolved = r.resolve(v.resolve(raw))
    stmts = [s for s in resolved if isinstance(s, dict)]
    return {
        "Version": "2012-10-17",
        "Statement": [_logs_statement(service, stage), *stmts],
    }, None


def serverless_bindings(
    path: Path, text: str, known: Mapping[str, str] | None = None
) -> list[Binding]:
    """Bindings of a serverless.yml ([] for other files)."""
    if path.name not in _NAMES:
        return []
    try:
        root = compose(text)
    except EditError as exc:
        return [
            Binding(
                kind="unparsable",
                target="",
                logical="",
                document=None,
                span=None,
                file=path,
                origin="serverless",
                embed="serverless-statements",
                confidence="guess",
                reason=f"{path.name}: {exc}",
                not_editable=str(exc),
            )
        ]
    data = yaml_tree(root)
    if not isinstance(data, dict) or not isinstance(data.get("provider"), dict):
        return []
    v = _Vars(data)
    service_raw = data.get("service")
    if isinstance(service_raw, dict):
        service_raw = service_raw.get("name")
    service = _static(service_raw, v, "*")
    provider = data["provider"]
    stage = _static(provider.get("stage"), v, "dev")
    region = _static(provider.get("region"), v, "us-east-1")
    res = data.get("resources")
    resources = res.get("Resources") if isinstance(res, dict) else None
    r = TemplateResolver(
        resources if isinstance(resources, dict) else {}, {}, None, known
    )
    refs = template_references(r)
    out: list[Binding] = []

    def add(
        target: str,
        logical: str,
        statements: Any,
        span: tuple[int, int] | None,
        embed: str,
        why: str,
        extra: Any = None,
    ) -> None:
        doc, not_editable = _document(statements, v, r, service, stage)
        if doc is not None and extra:
            doc["Statement"] += [
                s
                for s in r.resolve(v.resolve(strip_spans(extra)))
                if isinstance(s, dict)
            ]
        out.append(
            Binding(
                kind="identity",
                target=target,
                logical=logical,
                document=doc,
                span=span,
                file=path,
                origin="serverless",
                embed=embed,
                confidence="guess"
                if "*" in target.split(":role/", 1)[-1]
                else "inferred",
                reason=why,
                not_editable=not_editable,
                references=refs,
            )
        )

    iam = provider.get("iam")
    role = iam.get("role") if isinstance(iam, dict) else None
    provider_statements = None
    if isinstance(role, dict) or role is None:
        name = f"{service}-{stage}-{region}-lambdaRole"
        role_path = "/"
        if isinstance(role, dict):
            if isinstance(role.get("name"), str):
                name = v.string(role["name"])
            if isinstance(role.get("path"), str):
                role_path = v.string(role["path"])
        middle = role_path.strip("/") + "/" if role_path.strip("/") else ""
        target = f"arn:*:iam::*:role/{middle}{name}"
        if isinstance(role, dict) and "statements" in role:
            provider_statements = role["statements"]
            span, embed, where = (
                _spans(role, "statements"),
                "serverless-statements",
                "provider.iam.role.statements",
            )
        elif "iamRoleStatements" in provider:
            provider_statements = provider["iamRoleStatements"]
            span, embed, where = (
                _spans(provider, "iamRoleStatements"),
                "serverless-statements",
                "provider.iamRoleStatements",
            )
        elif iam is None:
            span, embed, where = (
                _spans(data, "provider"),
                "serverless-provider",
                "provider (no iam statements yet)",
            )
        else:
            span, embed, where = None, "serverless-statements", "provider.iam"
        add(
            target,
            "provider",
            provider_statements,
            span,
            embed,
            f"{where} in {path.name}: the generated role {name} "
            f"(<service>-<stage>-<region>-lambdaRole)",
        )
    if isinstance(resources, dict):
        # Roles, policies and resource policies declared as CloudFormation resources.
        from accessdenied.containers.cloudformation import template_bindings

        out.extend(
            b
            for b in template_bindings(path, text, {"Resources": resources}, False)
            if b.embed == "cfn-yaml"
        )
    plugins = data.get("plugins")
    plugin_list = plugins.get("modules") if isinstance(plugins, dict) else plugins
    per_function = isinstance(plugin_list, list) and _PER_FUNCTION in plugin_list
    functions = data.get("functions")
    if per_function and isinstance(functions, dict):
        for fn, spec in functions.items():
            if (
                fn == SPANS
                or not isinstance(spec, dict)
                or "iamRoleStatements" not in spec
            ):
                continue
            fn_name = f"{service}-{stage}-{fn}-{region}-lambdaRole"
            inherit = spec.get("iamRoleStatementsInherit") is True
            add(
                f"arn:*:iam::*:role/{fn_name}",
                f"functions.{fn}",
                spec["iamRoleStatements"],
                _spans(spec, "iamRoleStatements"),
                "serverless-statements",
                f"functions.{fn}.iamRoleStatements in {path.name} ({_PER_FUNCTION}): the "
                f"role {fn_name}",
                extra=provider_statements if inherit else None,
            )
    return out


def _serverless_intrinsic(i: Intrinsic) -> Intrinsic:
    """`Fn::Sub` "${X.Arn}/key" as `Fn::Join` (Serverless reads `${}` as variables)."""
    if i.fn != "Fn::Sub" or not isinstance(i.arg, str):
        return i
    m = re.fullmatch(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z]+))?\}(.*)", i.arg, re.S)
    if m is None:
        return i
    head = (
        Intrinsic("Fn::GetAtt", [m.group(1), m.group(2)])
        if m.group(2)
        else Intrinsic("Ref", m.group(1))
    )
    return Intrinsic("Fn::Join", ["", [head, m.group(3)]])


class ServerlessContainer:
    """Statements of the roles Serverless generates."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Append or extend a statement; evaluated as the file's bindings."""
        if site.span is None:
            raise NotEditable(
                "the role's statements could not be located (provider.iam without "
                "role.statements); add them by hand"
            )
        path = Path(_NAMES[0])
        before_b = _binding_at(serverless_bindings(path, text), site)
        if before_b.document is None:
            raise NotEditable(before_b.not_editable or "the statements are not static")
        root = compose(text)
        node = find_node(root, site.span[0])
        if node is None:
            raise EditError("the statements were not found in serverless.yml")
        short = re.search(r"(?m):\s+![A-Z][A-Za-z]+\b", text) is not None
        stmt, written, ref = written_statement(grant, _sids(node), before_b.references)
        if isinstance(written.get("Resource"), Intrinsic):
            written["Resource"] = _serverless_intrinsic(written["Resource"])
        if site.embed == "serverless-provider":
            edits, fkind, how = _add_iam(text, node, written, short, stmt["Sid"])
        else:
            if not isinstance(node, yaml.SequenceNode):
                raise NotEditable("the statements are not a list")
            edits, fkind, how = plan_statement_list(
                text, node, written, grant.actions, grant.kind, short
            )
        known: dict[str, str] = {}
        if ref is not None:
            key = f"{ref.logical}.{ref.attribute}" if ref.attribute else ref.logical
            known[key] = base_arn(grant.resource, ref)
        from accessdenied.fixes.edits import apply_edits

        new_text = apply_edits(text, edits)
        after_b = _binding_at(
            serverless_bindings(path, new_text, known), site, moved=True
        )
        if after_b.document is None:  # pragma: no cover - planner bug
            raise EditError("internal: the edited statements do not evaluate")
        return Plan(
            edits,
            fkind,
            stmt,
            how,
            before_b.document,
            after_b.document,
            check_before=json.dumps(before_b.document),
            check_after=json.dumps(after_b.document),
        )


def _sids(node: yaml.Node) -> set[str]:
    value = strip_spans(yaml_tree(node))
    items = value if isinstance(value, list) else []
    return {
        s["Sid"] for s in items if isinstance(s, dict) and isinstance(s.get("Sid"), str)
    }


def _binding_at(bindings: list[Binding], site: Site, moved: bool = False) -> Binding:
    for b in bindings:
        if b.logical == site.logical and (
            moved or (b.span and site.span and b.span[0] == site.span[0])
        ):
            return b
    raise EditError("the role's statements were not found in serverless.yml")


def _add_iam(
    text: str, provider: yaml.Node, written: dict[str, Any], short: bool, sid: str
) -> tuple[tuple[TextEdit, ...], str, str]:
    """`iam: role: statements: [...]` added at the end of the provider block."""
    from dataclasses import replace

    from accessdenied.containers.yamledit import _line_end

    if (
        not isinstance(provider, yaml.MappingNode)
        or provider.flow_style
        or not provider.value
    ):
        raise NotEditable("provider is not a block mapping")
    style = replace(detect_yaml_style(text, provider), short_forms=short)
    col = provider.value[0][0].start_mark.column
    u = style.unit
    dash = col + 2 * u + style.seq_indent
    body = render_block(written, style, dash + 2)
    lines = [
        "",
        " " * col + "iam:",
        " " * (col + u) + "role:",
        " " * (col + 2 * u) + "statements:",
        " " * dash + "- " + body[0],
        *body[1:],
    ]
    at = _line_end(text, content_end(text, provider))
    return (
        (TextEdit(at, at, style.newline.join(lines)),),
        "insert-statement",
        f"new statement {sid!r} in a new provider.iam.role.statements",
    )


register(("serverless-statements", "serverless-provider"), ServerlessContainer())
register_locator("serverless", serverless_bindings)
