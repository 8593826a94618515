"""Intrinsics of one CloudFormation template resolved to static values.

`TemplateResolver` gives `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join` their deploy-time
values where the template fixes them; pseudo parameters and generated names become `*`
patterns (CloudFormation names a resource without an explicit name
`<stack>-<LogicalId>-<suffix>`). `ARN_FORMATS` is the resource type -> ARN table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accessdenied.containers.cloudformation.template import (
    KEY_SPANS,
    SPANS,
    load_template,
)

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
