"""CloudFormation templates (JSON and YAML): policy documents, their owners, references.

`cloudformation_bindings(path, text)` finds every policy-bearing property (inline role
and user policies, trust policies, `AWS::IAM::Policy`/`ManagedPolicy`, key, bucket,
queue, topic, repository, secret and other resource policies, JSON strings holding
policies) and binds it to the principal or resource it governs. Intrinsics (`Ref`,
`Fn::Sub`, `Fn::GetAtt`, `Fn::Join`, short `!` forms) are resolved where the value is
static; pseudo parameters and generated names become `*` patterns (CloudFormation
names a resource without an explicit name `<stack>-<LogicalId>-<suffix>`), and such
bindings are labelled guesses. `references(...)` lists the template's resources with
their ARN patterns so a fix can write `!GetAtt Orders.Arn` instead of a literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from accessdenied import safeio
from accessdenied.containers.base import (
    Binding,
    EditError,
    Grant,
    Plan,
    Reference,
    Site,
    Span2,
    register,
    register_locator,
)

__all__ = [
    "TemplateResolver",
    "cloudformation_bindings",
    "load_template",
    "looks_like_cloudformation",
    "template_references",
]

SPANS = "__spans__"
KEY_SPANS = "__keyspans__"


def yaml_tree(node: yaml.Node) -> Any:
    """Python value of a composed YAML node; dicts keep value spans under `__spans__`.

    Short-form intrinsics become their long form (`!GetAtt A.Arn` -> `{"Fn::GetAtt":
    ["A", "Arn"]}`), as CloudFormation reads them.
    """
    tag = node.tag or ""
    if isinstance(node, yaml.ScalarNode):
        value: Any = node.value
        if not tag.startswith("!") and node.style is None:
            value = _plain_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = [yaml_tree(n) for n in node.value]
    else:
        value = {}
        spans: dict[str, Span2] = {}
        for k, v in node.value:
            key = str(k.value)
            value[key] = yaml_tree(v)
            spans[key] = (v.start_mark.index, v.end_mark.index)
        value[SPANS] = spans
    if tag.startswith("!"):
        name = tag[1:]
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        fn = (
            "Ref"
            if name == "Ref"
            else "Condition"
            if name == "Condition"
            else f"Fn::{name}"
        )
        return {fn: value}
    return value


def _plain_scalar(node: yaml.ScalarNode) -> Any:
    """Booleans, nulls and numbers as YAML 1.1 reads them (strings stay strings)."""
    tag = node.tag or ""
    if tag.endswith(":bool"):
        return node.value.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":null"):
        return None
    if tag.endswith(":int") or tag.endswith(":float"):
        try:
            return int(node.value) if tag.endswith(":int") else float(node.value)
        except ValueError:
            return node.value
    return node.value


def strip_spans(value: Any) -> Any:
    """The value without the `__spans__` bookkeeping."""
    if isinstance(value, dict):
        return {
            k: strip_spans(v) for k, v in value.items() if k not in (SPANS, KEY_SPANS)
        }
    if isinstance(value, list):
        return [strip_spans(v) for v in value]
    return value


def looks_like_cloudformation(text: str) -> bool:
    """Cheap sniff: a template mentions AWSTemplateFormatVersion or AWS:: resource types."""
    return "AWSTemplateFormatVersion" in text or (
        "Resources" in text and re.search(r"AWS::[A-Za-z0-9]+::", text) is not None
    )


class TemplateError(EditError):
    """The template does not parse."""


def load_template(text: str, is_json: bool | None = None) -> dict[str, Any]:
    """The template as Python values (YAML dicts carry `__spans__`); TemplateError."""
    if is_json is None:
        is_json = text.lstrip().startswith("{")
    try:
        if is_json:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TemplateError("the template is not a JSON object")
            return data
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise TemplateError(
            f"the template does not parse ({where}{exc.problem or exc})"
        ) from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise TemplateError(f"the template does not parse ({exc})") from exc
    if node is None:
        raise TemplateError("the template is empty")
    if safeio.yaml_too_large(node):  # billion laughs: aliases expanding without end
        raise TemplateError("the template's YAML aliases expand too far; not read")
    tree = yaml_tree(node)
    if not isinstance(tree, dict):
        raise TemplateError("the template is not a mapping")
    return tree


#: Resource type -> (name property, ARN format, attribute giving the ARN, Ref gives ARN).
#: `{name}` is the physical name; `{p}`, `{r}`, `{a}` partition, region and account.
ARN_FORMATS: dict[str, tuple[str | None, str, str | None, bool]] = {
    "AWS::DynamoDB::Table": (
        "TableName",
        "arn:{p}:dynamodb:{r}:{a}:table/{name}",
        "Arn",
        False,
    ),
    "AWS::DynamoDB::GlobalTable": (
        "TableName",
        "arn:{p}:dynamodb:{r}:{a}:table/{name}",
        "Arn",
        False,
    ),
    "AWS::Serverless::SimpleTable": (
        "TableName",
        "arn:{p}:dynamodb:{r}:{a}:table/{name}",
        None,
        False,
    ),
    "AWS::S3::Bucket": ("BucketName", "arn:{p}:s3:::{name}", "Arn", False),
    "AWS::SQS::Queue": ("QueueName", "arn:{p}:sqs:{r}:{a}:{name}", "Arn", False),
    "AWS::SNS::Topic": ("TopicName", "arn:{p}:sns:{r}:{a}:{name}", "TopicArn", True),
    "AWS::KMS::Key": (None, "arn:{p}:kms:{r}:{a}:key/{name}", "Arn", False),
    "AWS::SecretsManager::Secret": (
        "Name",
        "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-??????",
        None,
        True,
    ),
    "AWS::Lambda::Function": (
        "FunctionName",
        "arn:{p}:lambda:{r}:{a}:function:{name}",
        "Arn",
        False,
    ),
    "AWS::Serverless::Function": (
        "FunctionName",
        "arn:{p}:lambda:{r}:{a}:function:{name}",
        "Arn",
        False,
    ),
    "AWS::Logs::LogGroup": (
        "LogGroupName",
        "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
        "Arn",
        False,
    ),
    "AWS::Kinesis::Stream": (
        "Name",
        "arn:{p}:kinesis:{r}:{a}:stream/{name}",
        "Arn",
        False,
    ),
    "AWS::StepFunctions::StateMachine": (
        "StateMachineName",
        "arn:{p}:states:{r}:{a}:stateMachine:{name}",
        "Arn",
        True,
    ),
    "AWS::Serverless::StateMachine": (
        "Name",
        "arn:{p}:states:{r}:{a}:stateMachine:{name}",
        "Arn",
        True,
    ),
    "AWS::ECR::Repository": (
        "RepositoryName",
        "arn:{p}:ecr:{r}:{a}:repository/{name}",
        "Arn",
        False,
    ),
    "AWS::Events::EventBus": (
        "Name",
        "arn:{p}:events:{r}:{a}:event-bus/{name}",
        "Arn",
        False,
    ),
    "AWS::Events::Rule": ("Name", "arn:{p}:events:{r}:{a}:rule/{name}", "Arn", False),
    "AWS::SSM::Parameter": (
        "Name",
        "arn:{p}:ssm:{r}:{a}:parameter/{name}",
        None,
        False,
    ),
    "AWS::IAM::Role": ("RoleName", "arn:{p}:iam::{a}:role/{path}{name}", "Arn", False),
    "AWS::IAM::User": ("UserName", "arn:{p}:iam::{a}:user/{path}{name}", "Arn", False),
    "AWS::IAM::ManagedPolicy": (
        "ManagedPolicyName",
        "arn:{p}:iam::{a}:policy/{path}{name}",
        None,
        True,
    ),
}

_NAME_KEYS = (
    "RoleName",
    "UserName",
    "BucketName",
    "QueueName",
    "TopicName",
    "TableName",
    "FunctionName",
    "ManagedPolicyName",
    "PolicyName",
    "LogGroupName",
    "RepositoryName",
    "StateMachineName",
    "Name",
)


class TemplateResolver:
    """Static values of intrinsics in one template (`*` where only the deploy knows)."""

    def __init__(
        self,
        resources: Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        context: Mapping[str, str] | None = None,
        known: Mapping[str, str] | None = None,
    ) -> None:
        self.resources = resources
        self.parameters = parameters or {}
        self.context = context or {}
        #: "Logical" or "Logical.Attr" -> a concrete value (the deployed ARN).
        self.known = known or {}
        #: Why something did not resolve (parameters, conditions, unknown names).
        self.unresolved: list[str] = []

    def pseudo(self, name: str) -> str | None:
        if name == "AWS::Partition":
            return self.context.get("partition", "aws")
        if name == "AWS::AccountId":
            return self.context.get("account", "*")
        if name == "AWS::Region":
            return self.context.get("region", "*")
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        if name in ("AWS::StackName", "AWS::StackId"):
            return self.context.get("stack", "*")
        if name == "AWS::NoValue":
            return None
        return None

    def physical(self, logical: str) -> str | None:
        """The physical name of a resource (None when the template sets none)."""
        res = self.resources.get(logical)
        if not isinstance(res, dict):
            return None
        props = res.get("Properties") or {}
        if not isinstance(props, dict):
            return None
        spec = ARN_FORMATS.get(str(res.get("Type")))
        keys = (spec[0],) if spec and spec[0] else _NAME_KEYS
        for key in keys:
            if key in props:
                return self.string(props[key])
        return None

    def generated(self, logical: str) -> str:
        """CloudFormation's generated name pattern for a resource without a name."""
        res = self.resources.get(logical)
        rtype = str(res.get("Type")) if isinstance(res, dict) else ""
        if rtype == "AWS::S3::Bucket":
            return f"*-{logical.lower()}-*"
        return f"*-{logical}-*"

    def arn(self, logical: str) -> str | None:
        """The ARN pattern of a template resource (None for unknown types)."""
        if logical in self.known:
            return self.known[logical]
        res = self.resources.get(logical)
        if not isinstance(res, dict):
            return None
        spec = ARN_FORMATS.get(str(res.get("Type")))
        if spec is None:
            return None
        name = self.physical(logical) if spec[0] else None
        if name is None:
            name = (
                "*" if res.get("Type") == "AWS::KMS::Key" else self.generated(logical)
            )
        props = res.get("Properties") or {}
        path = props.get("Path") if isinstance(props, dict) else None
        prefix = (
            (path.strip("/") + "/") if isinstance(path, str) and path.strip("/") else ""
        )
        return spec[1].format(
            p=self.context.get("partition", "aws"),
            r=self.context.get("region", "*"),
            a=self.context.get("account", "*"),
            name=name,
            path=prefix,
        )

    def ref(self, name: str) -> str | None:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            param = self.parameters[name]
            default = param.get("Default") if isinstance(param, dict) else None
            if isinstance(default, str | int | float):
                self.unresolved.append(f"parameter {name} (its Default is assumed)")
                return str(default)
            self.unresolved.append(f"parameter {name}")
            return "*"
        res = self.resources.get(name)
        if isinstance(res, dict):
            spec = ARN_FORMATS.get(str(res.get("Type")))
            if spec is not None and spec[3]:
                return self.arn(name)
            if res.get("Type") == "AWS::SQS::Queue":
                return None  # Ref of a queue is its URL
            return self.physical(name) or self.generated(name)
        self.unresolved.append(f"Ref {name}")
        return "*"

    def getatt(self, logical: str, attr: str) -> str | None:
        key = f"{logical}.{attr}"
        if key in self.known:
            return self.known[key]
        res = self.resources.get(logical)
        if isinstance(res, dict):
            spec = ARN_FORMATS.get(str(res.get("Type")))
            if spec is not None and attr in ("Arn", spec[2]):
                return self.arn(logical)
            if attr in ("Name", "QueueName", "TopicName"):
                return self.physical(logical) or self.generated(logical)
        return "*"

    def sub(
        self, template: str, variables: Mapping[str, Any] | None = None
    ) -> str | None:
        def repl(m: re.Match[str]) -> str:
            inner = m.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"  # ${!Literal}
            if variables and inner in variables:
                return self.string(variables[inner]) or "*"
            if "." in inner and not inner.startswith("AWS::"):
                logical, attr = inner.split(".", 1)
                return self.getatt(logical, attr) or "*"
            return self.ref(inner) or "*"

        return re.sub(r"\$\{([^}]+)\}", repl, template)

    def string(self, value: Any) -> str | None:
        """A static string, `*` in place of what is only known at deploy time."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, dict) and len([k for k in value if k != SPANS]) == 1:
            key = next(k for k in value if k != SPANS)
            arg = value[key]
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::Sub":
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    variables = (
                        arg[1] if len(arg) > 1 and isinstance(arg[1], dict) else None
                    )
                    return self.sub(arg[0], variables)
                if isinstance(arg, str):
                    return self.sub(arg)
                return None
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                if isinstance(parts, list) and len(parts) == 2:
                    return self.getatt(str(parts[0]), str(parts[1]))
                return "*"
            if key == "Fn::Join":
                if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                    parts = [self.string(v) for v in arg[1]]
                    if all(isinstance(p, str) for p in parts):
                        return str(arg[0]).join(p for p in parts if p is not None)
                return "*"
            if key in ("Fn::ImportValue", "Fn::FindInMap", "Fn::Select", "Fn::GetAZs"):
                self.unresolved.append(key)
                return "*"
            if key == "Fn::If":
                self.unresolved.append("Fn::If (a condition)")
                return "*"
        return None

    def resolve(self, value: Any) -> Any:
        """Intrinsics replaced by static values (documents as the evaluator sees them)."""
        if isinstance(value, dict):
            keys = [k for k in value if k not in (SPANS, KEY_SPANS)]
            if len(keys) == 1 and (keys[0] == "Ref" or keys[0].startswith("Fn::")):
                if keys[0] == "Fn::If":
                    self.unresolved.append("Fn::If (a condition)")
                    arg = value[keys[0]]
                    if isinstance(arg, list) and len(arg) == 3:
                        return self.resolve(arg[1])
                    return "*"
                s = self.string(value)
                return "*" if s is None else s
            return {k: self.resolve(value[k]) for k in keys}
        if isinstance(value, list):
            out = []
            for v in value:
                r = self.resolve(v)
                if not (isinstance(v, dict) and v.get("Ref") == "AWS::NoValue"):
                    out.append(r)
            return out
        return value


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


def _role_pattern(
    logical: str, res: Mapping[str, Any], r: TemplateResolver, kind: str
) -> str:
    props = res.get("Properties") or {}
    path = props.get("Path") if isinstance(props.get("Path"), str) else None
    name = r.physical(logical)
    what = "role" if kind == "AWS::IAM::Role" else "user"
    if name is None:
        # CloudFormation names it <stack>-<LogicalId>-<suffix>.
        name = f"*-{logical}-*"
    prefix = (path or "/").strip("/")
    middle = f"{prefix}/" if prefix else ""
    return f"arn:*:iam::*:{what}/{middle}{name}"


#: Resource-policy resource types: (policy property, target property, ARN suffixes).
RESOURCE_POLICIES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket", ("", "/*")),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues", ("",)),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics", ("",)),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "SecretId", ("",)),
    "AWS::ECR::Repository": ("RepositoryPolicyText", None, ("",)),
    "AWS::ECR::RegistryPolicy": ("PolicyText", None, ("",)),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument", None, ("",)),
    "AWS::Events::EventBusPolicy": ("Statement", None, ("",)),
    "AWS::OpenSearchService::Domain": ("AccessPolicies", None, ("", "/*")),
    "AWS::Elasticsearch::Domain": ("AccessPolicies", None, ("", "/*")),
    "AWS::EFS::FileSystem": ("FileSystemPolicy", None, ("",)),
    "AWS::Backup::BackupVault": ("AccessPolicy", None, ("",)),
    "AWS::Glacier::Vault": ("AccessPolicy", None, ("",)),
    "AWS::IoT::Policy": ("PolicyDocument", None, ("",)),
    "AWS::ApiGateway::RestApi": ("Policy", None, ("",)),
    "AWS::S3::AccessPoint": ("Policy", None, ("",)),
    "AWS::Lambda::LayerVersionPermission": ("", None, ("",)),
}


def cloudformation_bindings(path: Path, text: str) -> list[Binding]:
    """Bindings declared in a CloudFormation template (JSON or YAML; [] when it is none)."""
    if path.suffix.lower() not in (".yaml", ".yml", ".template", ".json") or (
        not looks_like_cloudformation(text)
    ):
        return []
    is_json = text.lstrip().startswith("{")
    try:
        data = load_template(text, is_json)
    except TemplateError as exc:
        # Recorded (kind "unparsable", bound to nothing) so routing can say why the
        # policy may be missing instead of "no policy found".
        return [
            Binding(
                kind="unparsable",
                target="",
                logical="",
                document=None,
                span=None,
                file=path,
                origin="cloudformation",
                embed="cfn-json" if is_json else "cfn-yaml",
                confidence="guess",
                reason=f"{path.name}: {exc}",
                not_editable=str(exc),
            )
        ]
    if not isinstance(data.get("Resources"), dict):
        return []
    from accessdenied.containers import sam

    if sam.is_sam(data):
        return sam.sam_bindings(path, text, data, is_json)
    return template_bindings(path, text, data, is_json)


def template_bindings(
    path: Path, text: str, data: Mapping[str, Any], is_json: bool
) -> list[Binding]:
    """Bindings of an already loaded template."""
    resources = data["Resources"]
    params = data.get("Parameters") if isinstance(data.get("Parameters"), dict) else {}
    r = TemplateResolver(resources, params)
    refs = template_references(r)
    embed = "cfn-json" if is_json else "cfn-yaml"
    spans_of = json_spans(text) if is_json else None
    out: list[Binding] = []

    def span(logical: str, *keys: Any) -> Span2 | None:
        if spans_of is not None:
            found: Span2 | None = spans_of(("Resources", logical, "Properties", *keys))
            return found
        node: Any = resources.get(logical, {}).get("Properties", {})
        for key in keys[:-1]:
            node = node[key] if isinstance(node, dict | list) else None
            if node is None:
                return None
        if isinstance(node, dict):
            spans = node.get(SPANS)
            if isinstance(spans, dict):
                found = spans.get(keys[-1])
                if isinstance(found, tuple):
                    return (int(found[0]), int(found[1]))
        return None

    def add(
        kind: str,
        target: str,
        logical: str,
        doc: Any,
        sp: Span2 | None,
        why: str,
        origin: str = "cloudformation",
    ) -> None:
        guess = kind == "kms" or "*" in target.removesuffix("/*").split(":", 5)[-1]
        document, not_editable = evaluated(doc, r)
        out.append(
            Binding(
                kind=kind,
                target=target,
                logical=logical,
                document=document,
                span=sp,
                file=path,
                origin=origin,
                embed=embed,
                confidence="guess" if guess else "inferred",
                reason=why,
                not_editable=not_editable,
                references=refs,
            )
        )

    from accessdenied.containers.lambdaperm import lambda_bindings

    out.extend(lambda_bindings(path, data, r, embed, spans_of))
    principals: dict[str, str] = {}
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical in (SPANS, KEY_SPANS):
            continue
        rtype = res.get("Type")
        if rtype in ("AWS::IAM::Role", "AWS::IAM::User"):
            principals[logical] = _role_pattern(logical, res, r, str(rtype))
    managed_owners: dict[str, list[str]] = {}
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical in (SPANS, KEY_SPANS):
            continue
        props = res.get("Properties") or {}
        if res.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User") and isinstance(
            props, dict
        ):
            for item in props.get("ManagedPolicyArns") or []:
                if isinstance(item, dict) and "Ref" in item:
                    managed_owners.setdefault(str(item["Ref"]), []).append(logical)
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical in (SPANS, KEY_SPANS):
            continue
        rtype = str(res.get("Type"))
        props = res.get("Properties") or {}
        if not isinstance(props, dict):
            continue
        if rtype in ("AWS::IAM::Role", "AWS::IAM::User"):
            target = principals[logical]
            for i, pol in enumerate(props.get("Policies") or []):
                if isinstance(pol, dict):
                    add(
                        "identity",
                        target,
                        logical,
                        pol.get("PolicyDocument"),
                        span(logical, "Policies", i, "PolicyDocument"),
                        f"inline policy {r.string(pol.get('PolicyName'))!s} of {rtype} "
                        f"{logical} in {path.name}",
                    )
            if "AssumeRolePolicyDocument" in props:
                add(
                    "trust",
                    target,
                    logical,
                    props["AssumeRolePolicyDocument"],
                    span(logical, "AssumeRolePolicyDocument"),
                    f"trust policy of {rtype} {logical} in {path.name}",
                )
            if "PermissionsBoundary" in props:
                pass  # a managed policy ARN: the boundary document is elsewhere
            _add_aws_managed(
                props.get("ManagedPolicyArns"),
                r,
                target,
                logical,
                path,
                out,
                refs,
                span(logical, "ManagedPolicyArns"),
            )
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            owners: list[tuple[str, str]] = []
            for key in ("Roles", "Users"):
                for ref in _refs(props.get(key) or []):
                    owner = principals.get(ref)
                    if owner is None and ref.startswith("="):
                        what = "role" if key == "Roles" else "user"
                        owner = f"arn:*:iam::*:{what}/{ref[1:]}"
                    if owner:
                        owners.append((owner, ref.lstrip("=")))
            for role in managed_owners.get(logical, []):
                owners.append((principals[role], role))
            for owner, name in owners:
                add(
                    "identity",
                    owner,
                    logical,
                    props.get("PolicyDocument"),
                    span(logical, "PolicyDocument"),
                    f"{rtype} {logical} attached to {name} in {path.name}",
                )
        elif (
            rtype in RESOURCE_POLICIES
            and rtype != "AWS::Lambda::LayerVersionPermission"
        ):
            prop, target_prop, suffixes = RESOURCE_POLICIES[rtype]
            if prop not in props:
                continue
            arns: list[str] = []
            if target_prop is None:
                arn = r.arn(logical) if rtype in ARN_FORMATS else None
                arns = [arn or "*"]
            else:
                for ref in _refs(props.get(target_prop)):
                    if ref.startswith("="):
                        literal = ref[1:]
                        if rtype == "AWS::S3::BucketPolicy" and not literal.startswith(
                            "arn:"
                        ):
                            literal = f"arn:aws:s3:::{literal}"
                        elif rtype == "AWS::SQS::QueuePolicy" and "/" in literal:
                            literal = "arn:aws:sqs:*:*:" + literal.rsplit("/", 1)[-1]
                        arns.append(literal)
                    else:
                        arns.append(r.arn(ref) or "*")
            for arn in arns:
                for suffix in suffixes:
                    add(
                        "resource",
                        arn + suffix,
                        logical,
                        props[prop],
                        span(logical, prop),
                        f"{rtype} {logical} in {path.name}",
                    )
        elif rtype == "AWS::KMS::Key" and "KeyPolicy" in props:
            add(
                "kms",
                "arn:aws:kms:*:*:key/*",
                logical,
                props["KeyPolicy"],
                span(logical, "KeyPolicy"),
                f"key policy of AWS::KMS::Key {logical} in {path.name} (key id unknown "
                "until deployed)",
            )
    if embed == "cfn-yaml":
        # A role or user with no policy document in the template: the fix adds an
        # inline policy (`Policies:`) to its Properties.
        with_docs = {(b.target, b.kind) for b in out if b.embed != "aws-managed"}
        res_spans = resources.get(SPANS) if isinstance(resources, dict) else None
        for logical, target in principals.items():
            if (target, "identity") in with_docs:
                continue
            res = resources[logical]
            props = res.get("Properties")
            spans = res.get(SPANS)
            sp = spans.get("Properties") if isinstance(spans, dict) else None
            if not isinstance(props, dict) or sp is None or res_spans is None:
                continue
            out.append(
                Binding(
                    kind="identity",
                    target=target,
                    logical=logical,
                    document={"Version": "2012-10-17", "Statement": []},
                    span=(int(sp[0]), int(sp[1])),
                    file=path,
                    origin="cloudformation",
                    embed="cfn-new-inline-policy",
                    confidence="guess" if "*" in target.split("/")[-1] else "inferred",
                    reason=(
                        f"{res.get('Type')} {logical} in {path.name} has no policy "
                        "document in the template (a new inline policy is added; "
                        "managed policies it may have are not in the workspace)"
                    ),
                    references=refs,
                )
            )
    return out


def _add_aws_managed(
    arns: Any,
    r: TemplateResolver,
    target: str,
    logical: str,
    path: Path,
    out: list[Binding],
    refs: tuple[Reference, ...],
    sp: Span2 | None,
) -> None:
    """The AWS managed policies in a role's ManagedPolicyArns: one evaluated binding."""
    from accessdenied.containers.managed import managed_policy, managed_policy_name

    if sp is None:
        return
    statements: list[Any] = []
    names: list[str] = []
    for item in arns if isinstance(arns, list) else []:
        if isinstance(item, dict) and "Ref" in item:
            continue  # an AWS::IAM::ManagedPolicy of the template: bound on its own
        value = r.string(strip_spans(item))
        if not value or ":iam::aws:policy/" not in value:
            continue
        name = managed_policy_name(value)
        if name is None:
            continue
        doc = managed_policy(value)
        if doc is None:
            names.append(
                f"{name} (unknown to the shipped AWS managed policies: assumed to "
                "grant nothing)"
            )
            continue
        names.append(name)
        stmts = doc.get("Statement")
        statements += stmts if isinstance(stmts, list) else [stmts]
    if not names:
        return
    out.append(
        Binding(
            kind="identity",
            target=target,
            logical=logical,
            document={"Version": "2012-10-17", "Statement": statements},
            span=sp,
            file=path,
            origin="cloudformation",
            embed="aws-managed",
            confidence="inferred",
            reason=(
                f"AWS managed policies of {logical} in {path.name}: " + ", ".join(names)
            ),
            not_editable="AWS managed policies belong to AWS and are not edited",
            references=refs,
        )
    )


def evaluated(
    doc: Any, r: TemplateResolver
) -> tuple[dict[str, Any] | None, str | None]:
    """(the document as evaluated, why it cannot be edited) of a policy property."""
    if isinstance(doc, str):
        # A policy written as a JSON string inside the template.
        try:
            value = json.loads(doc)
        except ValueError:
            return None, "the policy is a string that is not JSON"
        if not isinstance(value, dict):
            return None, "the policy string is not a JSON object"
        return value, None
    if not isinstance(doc, dict):
        return None, "the policy is not a mapping"
    keys = [k for k in doc if k not in (SPANS, KEY_SPANS)]
    if len(keys) == 1 and (keys[0] in ("Ref", "Fn::If") or keys[0].startswith("Fn::")):
        if keys[0] == "Fn::Sub":
            s = r.string(doc)
            try:
                value = json.loads(s or "")
            except ValueError:
                return None, "the policy is a !Sub string that does not resolve to JSON"
            return (value if isinstance(value, dict) else None), (
                "the policy is a !Sub string; edit it by hand"
            )
        return (
            None,
            f"the policy is built with {keys[0]} (from parameters or conditions)",
        )
    before = len(r.unresolved)
    value = r.resolve(doc)
    why = None
    conditional = [u for u in r.unresolved[before:] if u.startswith("Fn::If")]
    if conditional:
        why = "the policy is built with Fn::If (conditions)"
    return (value if isinstance(value, dict) else None), why


def _refs(value: Any) -> list[str]:
    """Logical ids referenced by a Ref/GetAtt list or value (`=name` for literals)."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            if "Ref" in item:
                out.append(str(item["Ref"]))
            elif "Fn::GetAtt" in item:
                att = item["Fn::GetAtt"]
                if isinstance(att, str):
                    att = att.split(".", 1)
                out.append(str(att[0] if isinstance(att, list) else att))
        elif isinstance(item, str):
            out.append("=" + item)  # a literal physical name
    return out


def json_spans(text: str) -> Any:
    """A lookup from a key path to the offsets of that value, via policy.parse_json."""
    from accessdenied.policy import parse_json  # type: ignore[attr-defined,unused-ignore]

    root = parse_json(text).root

    def lookup(keys: tuple[Any, ...]) -> Span2 | None:
        node: Any = root
        for key in keys:
            if node is None:
                return None
            if isinstance(key, int):
                items = getattr(node, "items", None)
                node = items[key] if items is not None and key < len(items) else None
            else:
                get = getattr(node, "get", None)
                node = get(key) if get is not None else None
        if node is None:
            return None
        return (node.span.start, node.span.end)

    return lookup


def resolver_for(
    text: str,
    context: Mapping[str, str] | None = None,
    known: Mapping[str, str] | None = None,
) -> TemplateResolver:
    """A resolver over the template `text` (TemplateError when it does not parse)."""
    data = load_template(text)
    resources = data.get("Resources")
    section = data.get("resources")
    if resources is None and isinstance(section, dict):
        # serverless.yml: CloudFormation resources live under resources.Resources.
        resources = section.get("Resources")
    params = data.get("Parameters")
    return TemplateResolver(
        resources if isinstance(resources, dict) else {},
        params if isinstance(params, dict) else {},
        context,
        known,
    )


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


def base_arn(resource: str, ref: Reference) -> str:
    """The resource's own ARN from an ARN under it (`bucket/key` -> `bucket`)."""
    if ref.suffix.startswith("/") and ":s3:::" in resource:
        return resource.split("/", 1)[0]
    return resource


def _describe(ref: Reference) -> str:
    if ref.suffix:
        return f"Fn::Sub ${{{ref.logical}.{ref.attribute}}}{ref.suffix}"
    return (
        f"Fn::GetAtt {ref.logical}.{ref.attribute}"
        if ref.attribute
        else f"Ref {ref.logical}"
    )


register(("cfn-json",), CfnJsonContainer())
register_locator("cloudformation", cloudformation_bindings)
