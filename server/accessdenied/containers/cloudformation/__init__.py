"""CloudFormation templates (JSON and YAML): policy documents, their owners, references.

`cloudformation_bindings(path, text)` finds every policy-bearing property (inline role
and user policies, trust policies, `AWS::IAM::Policy`/`ManagedPolicy`, key, bucket,
queue, topic, repository, secret and other resource policies, JSON strings holding
policies) and binds it to the principal or resource it governs. Intrinsics (`Ref`,
`Fn::Sub`, `Fn::GetAtt`, `Fn::Join`, short `!` forms) are resolved where the value is
static; pseudo parameters and generated names become `*` patterns (CloudFormation
names a resource without an explicit name `<stack>-<LogicalId>-<suffix>`), and such
bindings are labelled guesses. `template_references(...)` lists the template's resources with
their ARN patterns so a fix can write `!GetAtt Orders.Arn` instead of a literal.

Modules: `template` (reading, spans), `resolver` (intrinsics, ARN formats),
`references` (the template's resources as references), `bindings` (policy-bearing
properties -> bindings), `jsonedit` (the `cfn-json` container), `newpolicy` (a new
inline policy on a JSON role or user without one). Importing this package
registers the `cfn-json` container and the `cloudformation` locator.
"""

from __future__ import annotations

from accessdenied.containers.base import register, register_locator
from accessdenied.containers.cloudformation.bindings import (
    RESOURCE_POLICIES,
    cloudformation_bindings,
    evaluated,
    template_bindings,
)
from accessdenied.containers.cloudformation.jsonedit import CfnJsonContainer
from accessdenied.containers.cloudformation.newpolicy import (
    NewJsonInlinePolicyContainer,
)
from accessdenied.containers.cloudformation.references import (
    acyclic_references,
    base_arn,
    depends_on,
    json_intrinsic,
    match_reference,
    template_references,
)
from accessdenied.containers.cloudformation.resolver import (
    ARN_FORMATS,
    TemplateResolver,
    resolver_for,
)
from accessdenied.containers.cloudformation.template import (
    KEY_SPANS,
    SPANS,
    TemplateError,
    json_spans,
    load_template,
    looks_like_cloudformation,
    strip_spans,
    yaml_tree,
)

__all__ = [
    "ARN_FORMATS",
    "KEY_SPANS",
    "RESOURCE_POLICIES",
    "SPANS",
    "CfnJsonContainer",
    "NewJsonInlinePolicyContainer",
    "TemplateError",
    "TemplateResolver",
    "acyclic_references",
    "base_arn",
    "cloudformation_bindings",
    "depends_on",
    "evaluated",
    "json_intrinsic",
    "json_spans",
    "load_template",
    "looks_like_cloudformation",
    "match_reference",
    "resolver_for",
    "strip_spans",
    "template_bindings",
    "template_references",
    "yaml_tree",
]

register(("cfn-json",), CfnJsonContainer())
register(("cfn-json-new-inline-policy",), NewJsonInlinePolicyContainer())
register_locator("cloudformation", cloudformation_bindings)
