"""Find policy documents in files: standalone JSON, CloudFormation (JSON/YAML), Terraform.

Every embedded document is a `PolicyDocument` whose spans are FILE coordinates, so its
findings land on the right characters of the template. CloudFormation intrinsics
(`!Sub`, `!Ref`, `Fn::GetAtt`, ...) and Terraform references become placeholder strings
("${...}"), which the checks treat like policy variables (never "malformed").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from accessdenied.policy.document import build_document
from accessdenied.policy.hclpos import HclReader as _Hcl
from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonMember,
    JsonNode,
    JsonObject,
    JsonString,
    parse_json,
)
from accessdenied.policy.model import Finding, PolicyDocument
from accessdenied.policy.yamlpos import branches as _branches
from accessdenied.policy.yamlpos import has_condition_branch as _has_if
from accessdenied.policy.yamlpos import intrinsic_name as _intrinsic_name
from accessdenied.policy.yamlpos import parse_yaml
from accessdenied.policy.yamlpos import resolve_intrinsics as _resolve_intrinsics
from accessdenied.text import LineIndex, Span

__all__ = [
    "EmbeddedPolicy",
    "FileReference",
    "find_policies",
    "guess_policy_type",
    "is_template_path",
    "terraform_file_references",
]


@dataclass(frozen=True, slots=True)
class EmbeddedPolicy:
    """One policy document found in a file (spans in file coordinates)."""

    span: Span
    policy_type: str | None
    name: str | None
    # "json" | "cfn-json" | "cfn-yaml" | "terraform-heredoc" | "terraform-jsonencode"
    # | "terraform-data" (data "aws_iam_policy_document")
    kind: str
    document: PolicyDocument | None
    value: dict[str, Any] | None
    findings: tuple[Finding, ...] = ()
    # Other readings of the same document (the second branch of each Fn::If): checked
    # too, their findings merged with the document's.
    alternates: tuple[PolicyDocument, ...] = ()


_YAML_SUFFIXES = (".yaml", ".yml", ".template")
_TF_SUFFIXES = (".tf",)


_CFN_JSON_MARK = re.compile(r'(?<!\\)"(?:Resources|AWSTemplateFormatVersion)"\s*:')


def is_template_path(path: str, text: str) -> bool:
    """Whether `path` is a template (policies embedded) rather than a policy file."""
    suffix = PurePath(path).suffix.lower()
    if suffix in _YAML_SUFFIXES or suffix in _TF_SUFFIXES:
        return True
    # A policy document never has a "Resources" or "AWSTemplateFormatVersion" key;
    # a template may put them anywhere (not only in its first few KB).
    return _CFN_JSON_MARK.search(text) is not None


def find_policies(path: str, text: str) -> list[EmbeddedPolicy]:
    """Policy documents in a file's text (empty when it holds none). Never raises."""
    suffix = PurePath(path).suffix.lower()
    try:
        if suffix in _TF_SUFFIXES:
            return list(_terraform(text))
        if suffix in _YAML_SUFFIXES:
            return list(_cfn_yaml(path, text))
        return list(_json_file(path, text))
    except RecursionError:  # pragma: no cover - absurdly nested input
        return []


# ------------------------------------------------------------------------- JSON


def guess_policy_type(root: JsonObject | None, path: str | None = None) -> str:
    """Identity / resource / trust from the content, refined by file-name hints.

    The content decides whether statements have principals; a name containing
    "trust"/"rcp" refines a principal-bearing policy, "boundary"/"scp" a principal-less
    one (AWS's own "...TrustPolicy" identity policies have no Principal).
    """
    name = PurePath(path).name.lower() if path else ""
    has_principal, assume = _principal_shape(root)
    if has_principal:
        if "rcp" in name:
            return "rcp"
        if assume or "trust" in name or "assume" in name:
            return "trust"
        return "resource"
    if "boundary" in name:
        return "permissions-boundary"
    if "scp" in name:
        return "scp"
    return "identity"


def _principal_shape(root: JsonObject | None) -> tuple[bool, bool]:
    """(any statement has a principal, a principal statement allows sts:AssumeRole*)."""
    if root is None:
        return False, False
    stmts = root.get("Statement")
    items = (
        stmts.items
        if isinstance(stmts, JsonArray)
        else (stmts,)
        if isinstance(stmts, JsonObject)
        else ()
    )
    has_principal = False
    assume = False
    for st in items:
        if not isinstance(st, JsonObject):
            continue
        if st.get("Principal") is not None or st.get("NotPrincipal") is not None:
            has_principal = True
            act = st.get("Action")
            vals = (
                [act.value]
                if isinstance(act, JsonString)
                else [i.value for i in act.items if isinstance(i, JsonString)]
                if isinstance(act, JsonArray)
                else []
            )
            if any(
                v.lower().startswith("sts:assumerole")
                or v.lower() in ("sts:tagsession", "sts:setsourceidentity")
                for v in vals
            ):
                assume = True
    return has_principal, assume


def _looks_like_policy(root: JsonObject) -> bool:
    keys = set(root.keys())
    if "Statement" not in keys:
        return False
    return bool(keys & {"Version", "Id"}) or keys == {"Statement"}


def _json_file(path: str, text: str) -> Iterator[EmbeddedPolicy]:
    parsed = parse_json(text)
    root = parsed.root
    if not isinstance(root, JsonObject):
        return
    if _looks_like_policy(root):
        ptype = guess_policy_type(root, path)
        doc = build_document(text, root, parsed.errors, ptype)
        doc = replace(doc, type_source="content")
        yield EmbeddedPolicy(
            root.span,
            ptype,
            PurePath(path).stem,
            "json",
            doc,
            root.to_python(),
        )
        return
    resources = root.get("Resources")
    if isinstance(resources, JsonObject):
        yield from _cfn(text, root, "cfn-json", parsed.errors)


# ----------------------------------------------------------------- CloudFormation

# (resource type, property) -> (policy type, attachment). The AWS::* resource reference
# names each of these properties a policy document (a JSON object, or a JSON string).
_CFN_DOCS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("AWS::IAM::Role", "AssumeRolePolicyDocument"): ("trust", "role-trust"),
    ("AWS::IAM::ManagedPolicy", "PolicyDocument"): ("identity", "managed"),
    ("AWS::IAM::Policy", "PolicyDocument"): ("identity", "inline"),
    ("AWS::IAM::RolePolicy", "PolicyDocument"): ("identity", "inline-role"),
    ("AWS::IAM::UserPolicy", "PolicyDocument"): ("identity", "inline-user"),
    ("AWS::IAM::GroupPolicy", "PolicyDocument"): ("identity", "inline-group"),
    ("AWS::SSO::PermissionSet", "InlinePolicy"): ("identity", None),
    ("AWS::S3::BucketPolicy", "PolicyDocument"): ("resource", "s3-bucket"),
    ("AWS::S3Express::BucketPolicy", "PolicyDocument"): ("resource", None),
    ("AWS::S3Outposts::BucketPolicy", "PolicyDocument"): ("resource", None),
    ("AWS::S3::AccessPoint", "Policy"): ("resource", None),
    ("AWS::S3::MultiRegionAccessPointPolicy", "Policy"): ("resource", None),
    ("AWS::S3ObjectLambda::AccessPointPolicy", "PolicyDocument"): ("resource", None),
    ("AWS::SQS::QueuePolicy", "PolicyDocument"): ("resource", "sqs-queue"),
    ("AWS::SNS::TopicPolicy", "PolicyDocument"): ("resource", "sns-topic"),
    ("AWS::SNS::TopicInlinePolicy", "PolicyDocument"): ("resource", "sns-topic"),
    ("AWS::KMS::Key", "KeyPolicy"): ("resource", "kms-key"),
    ("AWS::KMS::ReplicaKey", "KeyPolicy"): ("resource", "kms-key"),
    ("AWS::ECR::Repository", "RepositoryPolicyText"): ("resource", "ecr-repository"),
    ("AWS::ECR::PublicRepository", "RepositoryPolicyText"): (
        "resource",
        "ecr-repository",
    ),
    ("AWS::ECR::RegistryPolicy", "PolicyText"): ("resource", None),
    ("AWS::SecretsManager::ResourcePolicy", "ResourcePolicy"): (
        "resource",
        "secretsmanager-secret",
    ),
    ("AWS::Logs::ResourcePolicy", "PolicyDocument"): ("resource", None),
    ("AWS::Logs::Destination", "DestinationPolicy"): ("resource", None),
    ("AWS::EC2::VPCEndpoint", "PolicyDocument"): ("resource", None),
    ("AWS::Events::EventBus", "Policy"): ("resource", None),
    ("AWS::OpenSearchService::Domain", "AccessPolicies"): ("resource", None),
    ("AWS::Elasticsearch::Domain", "AccessPolicies"): ("resource", None),
    ("AWS::Backup::BackupVault", "AccessPolicy"): ("resource", None),
    ("AWS::EFS::FileSystem", "FileSystemPolicy"): ("resource", None),
    ("AWS::ApiGateway::RestApi", "Policy"): ("resource", None),
    ("AWS::CodeArtifact::Domain", "PermissionsPolicyDocument"): ("resource", None),
    ("AWS::CodeArtifact::Repository", "PermissionsPolicyDocument"): ("resource", None),
    ("AWS::Kinesis::ResourcePolicy", "ResourcePolicy"): ("resource", None),
    ("AWS::Kinesis::StreamConsumer", "ResourcePolicy"): ("resource", None),
    ("AWS::Lambda::LayerVersionPermission", "Policy"): ("resource", None),
    ("AWS::Glue::ResourcePolicy", "PolicyInJson"): ("resource", None),
    ("AWS::MediaStore::Container", "Policy"): ("resource", None),
    ("AWS::IAM::Role", "PermissionsBoundaryDocument"): (
        "permissions-boundary",
        None,
    ),
}
# Any other resource type: by property name (the pre-table behaviour).
_CFN_PROPS: dict[str, str] = {
    "PolicyDocument": "identity",
    "AssumeRolePolicyDocument": "trust",
    "KeyPolicy": "resource",
    "PolicyText": "resource",
    "RepositoryPolicyText": "resource",
    "ResourcePolicy": "resource",
    "AccessPolicies": "resource",
    "PermissionsBoundaryDocument": "permissions-boundary",
}
# Resource types whose `Policies` list holds inline policies.
_CFN_INLINE = {
    "AWS::IAM::Role": "inline-role",
    "AWS::IAM::User": "inline-user",
    "AWS::IAM::Group": "inline-group",
}
# SAM resources whose `Policies` may hold inline policy documents.
_SAM_POLICIES = {
    "AWS::Serverless::Function",
    "AWS::Serverless::StateMachine",
    "AWS::Serverless::Connector",
}
# Not IAM policy grammar (IoT policies have their own).
_CFN_NOT_IAM = {"AWS::IoT::Policy", "AWS::Greengrass::Group"}


def _cfn(
    text: str, root: JsonObject, kind: str, errors: tuple[Finding, ...] = ()
) -> Iterator[EmbeddedPolicy]:
    if errors:
        yield EmbeddedPolicy(root.span, None, None, kind, None, None, errors)
    resources = root.get("Resources")
    if not isinstance(resources, JsonObject):
        return
    for res in resources.members:
        if not isinstance(res.value, JsonObject):
            continue
        rtype_node = res.value.get("Type")
        rtype = rtype_node.value if isinstance(rtype_node, JsonString) else ""
        if rtype in _CFN_NOT_IAM:
            continue
        props_node = res.value.get("Properties")
        if props_node is None:
            continue
        logical = res.key.value
        # A Properties-level Fn::If: both readings hold policies.
        for props in _branches(props_node):
            if isinstance(props, JsonObject):
                yield from _cfn_props(text, props, rtype, logical, kind)


def _cfn_props(
    text: str, props: JsonObject, rtype: str, logical: str, kind: str
) -> Iterator[EmbeddedPolicy]:
    for m in props.members:
        name = m.key.value
        if m.value is None:
            continue
        where = f"cloudformation: {rtype or 'resource'}.{name}"
        known = _CFN_DOCS.get((rtype, name))
        if known is not None or (name in _CFN_PROPS and rtype != ""):
            if known is not None:
                ptype, attach = known
            else:
                ptype, attach = _CFN_PROPS[name], None
                if name == "PolicyDocument" and rtype.endswith("Policy"):
                    ptype = "resource"  # AWS::<Service>::<Thing>Policy resources
            if rtype == "AWS::Organizations::Policy":
                continue
            for doc in _branches(m.value):
                yield _embedded_any(
                    text, doc, ptype, f"{logical}.{name}", kind, where, attach
                )
        elif name == "Policies" and rtype in _SAM_POLICIES:
            # SAM: a policy name/ARN, a SAM policy template ({"S3ReadPolicy": ...}),
            # an inline policy document, or a list of those.
            items = m.value.items if isinstance(m.value, JsonArray) else (m.value,)
            for i, item in enumerate(items):
                for it in _branches(item):
                    if isinstance(it, JsonObject) and it.get("Statement") is not None:
                        yield _embedded_any(
                            text,
                            it,
                            "identity",
                            f"{logical}.Policies[{i}]",
                            kind,
                            f"cloudformation: {rtype}.Policies (SAM inline policy)",
                            "inline-role",
                        )
        elif name == "Policies" and isinstance(m.value, JsonArray):
            attach = _CFN_INLINE.get(rtype)
            for i, item in enumerate(m.value.items):
                for it in _branches(item):
                    pdoc = (
                        it.get("PolicyDocument") if isinstance(it, JsonObject) else None
                    )
                    if pdoc is None:
                        continue
                    for d in _branches(pdoc):
                        yield _embedded_any(
                            text,
                            d,
                            "identity",
                            f"{logical}.Policies[{i}]",
                            kind,
                            f"cloudformation: {rtype or 'resource'}.Policies",
                            attach,
                        )
        elif name == "ResourcePolicy" and rtype == "AWS::DynamoDB::Table":
            inner = (
                m.value.get("PolicyDocument")
                if isinstance(m.value, JsonObject)
                else None
            )
            if inner is not None:
                yield _embedded_any(
                    text,
                    inner,
                    "resource",
                    f"{logical}.ResourcePolicy",
                    kind,
                    "cloudformation: AWS::DynamoDB::Table.ResourcePolicy",
                    None,
                )
        elif name == "Content" and rtype == "AWS::Organizations::Policy":
            ptype_node = props.get("Type")
            ptype = (
                "rcp"
                if isinstance(ptype_node, JsonString)
                and ptype_node.value == "RESOURCE_CONTROL_POLICY"
                else "scp"
            )
            if isinstance(ptype_node, JsonString) and ptype_node.value not in (
                "SERVICE_CONTROL_POLICY",
                "RESOURCE_CONTROL_POLICY",
            ):
                continue  # tag / backup / AI opt-out policies are not IAM grammar
            for doc in _branches(m.value):
                yield _embedded_any(
                    text,
                    doc,
                    ptype,
                    f"{logical}.Content",
                    kind,
                    f"cloudformation: AWS::Organizations::Policy.Content"
                    f" (Type {ptype_node.value if isinstance(ptype_node, JsonString) else 'SERVICE_CONTROL_POLICY'})",
                    None,
                )


def _embedded_any(
    text: str,
    node: JsonNode,
    ptype: str,
    name: str,
    kind: str,
    where: str,
    attach: str | None,
) -> EmbeddedPolicy:
    """A policy property's value: an object, a JSON string, or something invalid."""
    if isinstance(node, JsonObject):
        fn = _intrinsic_name(node)
        if fn == "Fn::Sub":
            arg = node.members[0].value
            tpl = arg.items[0] if isinstance(arg, JsonArray) and arg.items else arg
            if isinstance(tpl, JsonString) and tpl.value.lstrip().startswith("{"):
                # Its ${...} are CloudFormation substitutions (policy variables are
                # written ${!aws:username} there): the checks are told so.
                return _embedded_string(
                    text, tpl, ptype, name, kind, where + " (Fn::Sub)", attach
                )
        if fn is not None and not _has_if(node):
            # A Ref/GetAtt/ImportValue policy: nothing to read statically.
            return EmbeddedPolicy(node.span, ptype, name, kind, None, None)
        return _embedded(text, node, ptype, name, kind, where, attach)
    if isinstance(node, JsonString) and node.value.lstrip().startswith("{"):
        return _embedded_string(text, node, ptype, name, kind, where, attach)
    if isinstance(node, JsonString) and node.value.startswith("${"):
        return EmbeddedPolicy(node.span, ptype, name, kind, None, None)
    finding = Finding(
        "policy-not-object",
        "error",
        node.span,
        f"{name.rpartition('.')[2]} must be a policy document (a JSON object)",
    )
    return EmbeddedPolicy(node.span, ptype, name, kind, None, None, (finding,))


def _embedded_string(
    text: str,
    node: JsonString,
    ptype: str,
    name: str,
    kind: str,
    where: str,
    attach: str | None,
) -> EmbeddedPolicy:
    """A policy written as a JSON string (YAML block scalar or quoted string).

    CloudFormation passes the string through unevaluated, so intrinsics inside it are
    plain JSON objects. When the string's text in the file is the JSON itself (a YAML
    `|`/`>` block or a plain scalar) findings keep file positions; otherwise (escaped
    JSON inside a JSON string) they land on the whole string.
    """
    from accessdenied.policy.document import parse_policy

    lines = node.lines
    start, end = node.start, node.end
    raw = text[start:end]
    if raw[:1] and raw[:1] in "|>":
        nl = raw.find("\n")
        start = start + nl + 1 if nl >= 0 else end
    elif raw[:1] and raw[:1] in "'\"":
        start, end = start + 1, end - 1
    import json

    try:
        expected = json.loads(node.value)
    except ValueError:
        expected = None
    doc = parse_policy(text, ptype, start, end, lines)
    if expected is not None and doc.root is not None and doc.to_python() == expected:
        doc = replace(doc, type_source=where, attachment=attach, source="json")
        return EmbeddedPolicy(node.span, ptype, name, kind, doc, doc.to_python())
    # Positions inside an escaped string are not the file's: check the decoded text
    # on its own and put every finding on the string.
    from accessdenied.policy.checks import check_document

    inner = parse_policy(node.value, ptype)
    inner = replace(inner, type_source=where, attachment=attach)
    found = tuple(
        Finding(f.code, f.severity, node.span, f.message, f.data)
        for f in check_document(inner)
    )
    return EmbeddedPolicy(
        node.span,
        ptype,
        name,
        kind,
        None,
        inner.to_python() if inner.root is not None else None,
        found,
    )


def _embedded(
    text: str,
    node: JsonObject,
    ptype: str,
    name: str,
    kind: str,
    where: str | None = None,
    attach: str | None = None,
) -> EmbeddedPolicy:
    source = "json" if kind.endswith("json") else "yaml"
    resolved = _resolve_intrinsics(node)
    obj = resolved if isinstance(resolved, JsonObject) else node
    doc = build_document(text, obj, (), ptype, source)
    doc = replace(doc, type_source=where, attachment=attach)
    alternates: tuple[PolicyDocument, ...] = ()
    if _has_if(node):
        # Fn::If inside the document: check the other reading too.
        other = _resolve_intrinsics(node, 2)
        if isinstance(other, JsonObject):
            alt = build_document(text, other, (), ptype, source)
            alternates = (replace(alt, type_source=where, attachment=attach),)
    return EmbeddedPolicy(
        node.span, ptype, name, kind, doc, obj.to_python(), (), alternates
    )


# ----------------------------------------------------------------------- YAML


def _cfn_yaml(path: str, text: str) -> Iterator[EmbeddedPolicy]:
    if "Resources" not in text:
        return
    parsed = parse_yaml(text)
    if parsed.errors:
        yield EmbeddedPolicy(
            parsed.lines.span(0, len(text)),
            None,
            None,
            "cfn-yaml",
            None,
            None,
            parsed.errors,
        )
        return
    if parsed.root is None:
        return
    if isinstance(parsed.root, JsonObject):
        yield from _cfn(text, parsed.root, "cfn-yaml")


# ------------------------------------------------------------------- Terraform

_TF_HEREDOC = re.compile(
    r"^[ \t]*([A-Za-z0-9_]+)[ \t]*=[ \t]*<<(-?)[ \t]*([A-Za-z0-9_]+)[ \t]*\r?\n"
    r"(.*?)^[ \t]*\3[ \t]*\r?$",
    re.M | re.S,
)
_TF_JSONENCODE = re.compile(r"^[ \t]*([A-Za-z0-9_]+)[ \t]*=[ \t]*jsonencode\(", re.M)
_TF_BLOCK = re.compile(
    r'^[ \t]*(resource|data)[ \t]+"([A-Za-z0-9_]+)"[ \t]+"([^"]+)"', re.M
)
_TF_ATTR_TYPES = {
    "assume_role_policy": "trust",
    "policy": "identity",
    "inline_policy": "identity",
}
_TF_RESOURCE_POLICY = re.compile(
    r"aws_(s3_bucket_policy|sqs_queue_policy|sns_topic_policy|kms_key|ecr_repository_policy"
    r"|secretsmanager_secret_policy|cloudwatch_log_resource_policy|glacier_vault"
    r"|lambda_permission|s3_access_point|opensearch_domain_policy|elasticsearch_domain_policy"
    r"|iot_policy|backup_vault_policy|efs_file_system_policy|vpc_endpoint"
    r"|secretsmanager_secret|sqs_queue|sns_topic|ecr_registry_policy|s3control)"
)


def _tf_owner(text: str, offset: int) -> tuple[str | None, str | None]:
    """(block type, block name) of the resource/data block containing `offset`."""
    last = None
    for m in _TF_BLOCK.finditer(text, 0, offset):
        last = m
    if last is None:
        return None, None
    return last.group(2), f"{last.group(2)}.{last.group(3)}"


def _tf_type(attr: str, block_type: str | None) -> str:
    if block_type == "aws_organizations_policy":
        return "scp"
    if attr == "assume_role_policy":
        return "trust"
    if block_type and _TF_RESOURCE_POLICY.fullmatch(block_type):
        return "resource"
    return _TF_ATTR_TYPES.get(attr, "identity")


# (block type, attribute) -> attachment (drives the size quota and per-service rules)
_TF_ATTACH: dict[tuple[str, str], str] = {
    ("aws_iam_policy", "policy"): "managed",
    ("aws_iam_role_policy", "policy"): "inline-role",
    ("aws_iam_user_policy", "policy"): "inline-user",
    ("aws_iam_group_policy", "policy"): "inline-group",
    ("aws_iam_role", "inline_policy"): "inline-role",
    ("aws_iam_role", "assume_role_policy"): "role-trust",
    ("aws_s3_bucket_policy", "policy"): "s3-bucket",
    ("aws_s3_bucket", "policy"): "s3-bucket",
    ("aws_sqs_queue_policy", "policy"): "sqs-queue",
    ("aws_sqs_queue", "policy"): "sqs-queue",
    ("aws_sns_topic_policy", "policy"): "sns-topic",
    ("aws_sns_topic", "policy"): "sns-topic",
    ("aws_kms_key", "policy"): "kms-key",
    ("aws_kms_key_policy", "policy"): "kms-key",
    ("aws_ecr_repository_policy", "policy"): "ecr-repository",
    ("aws_secretsmanager_secret_policy", "policy"): "secretsmanager-secret",
    ("aws_secretsmanager_secret", "policy"): "secretsmanager-secret",
}
_TF_ORG_TYPE = re.compile(r'^[ \t]*type[ \t]*=[ \t]*"([A-Z_]+)"', re.M)


def _tf_doc_info(
    text: str, offset: int, attr: str, block_type: str | None, owner: str | None
) -> tuple[str, str | None, str]:
    """(policy type, attachment, type source) of a document at `offset`."""
    ptype = _tf_type(attr, block_type)
    where = f"terraform: {owner or 'attribute'}.{attr}"
    if block_type == "aws_organizations_policy":
        # The block's `type` decides (SERVICE_CONTROL_POLICY is the default); other
        # Organizations policy types (tag, backup, AI opt-out) are not IAM grammar.
        start = 0
        for bm in _TF_BLOCK.finditer(text, 0, offset):
            start = bm.start()
        nxt = _TF_BLOCK.search(text, offset)
        body = text[start : nxt.start() if nxt else len(text)]
        tm = _TF_ORG_TYPE.search(body)
        org_type = tm.group(1) if tm else "SERVICE_CONTROL_POLICY"
        ptype = "rcp" if org_type == "RESOURCE_CONTROL_POLICY" else "scp"
        if org_type not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            ptype = "other"
        where += f" (type {org_type})"
    attach = _TF_ATTACH.get((block_type or "", attr))
    return ptype, attach, where


def _terraform(text: str) -> Iterator[EmbeddedPolicy]:
    lines = LineIndex(text)
    for m in _TF_HEREDOC.finditer(text):
        body_start, body_end = m.start(4), m.end(4)
        body = text[body_start:body_end]
        if '"Statement"' not in body:
            continue
        start = body_start + (len(body) - len(body.lstrip()))
        block_type, owner = _tf_owner(text, m.start())
        ptype, attach, where = _tf_doc_info(
            text, m.start(), m.group(1), block_type, owner
        )
        if ptype == "other":
            continue
        from accessdenied.policy.document import parse_policy

        doc = parse_policy(text, ptype, start, body_end, lines)
        doc = replace(doc, type_source=where, attachment=attach)
        span = lines.span(start, body_end)
        yield EmbeddedPolicy(
            span,
            ptype,
            f"{owner}.{m.group(1)}" if owner else m.group(1),
            "terraform-heredoc",
            doc,
            doc.to_python() if doc.root is not None else None,
        )
    yield from _tf_policy_documents(text, lines)
    for m in _TF_JSONENCODE.finditer(text):
        p = _Hcl(text, m.end(), lines)
        node = p.value()
        if not isinstance(node, JsonObject) or node.get("Statement") is None:
            continue
        block_type, owner = _tf_owner(text, m.start())
        ptype, attach, where = _tf_doc_info(
            text, m.start(), m.group(1), block_type, owner
        )
        if ptype == "other":
            continue
        doc = build_document(text, node, tuple(p.errors), ptype, "hcl")
        doc = replace(doc, type_source=where, attachment=attach)
        yield EmbeddedPolicy(
            node.span,
            ptype,
            f"{owner}.{m.group(1)}" if owner else m.group(1),
            "terraform-jsonencode",
            doc,
            node.to_python(),
        )


# --------------------------------------------------- data "aws_iam_policy_document"

_TF_POLICY_DOC = re.compile(
    r'^[ \t]*data[ \t]+"aws_iam_policy_document"[ \t]+"([^"]+)"[ \t]*\{', re.M
)
_TF_STATEMENT_ATTRS = (
    ("sid", "Sid"),
    ("effect", "Effect"),
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
)


_TF_DOC_USE = re.compile(
    r"^[ \t]*([A-Za-z0-9_]+)[ \t]*=[ \t]*data\.aws_iam_policy_document\."
    r"([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.json\b",
    re.M,
)


def _tf_document_uses(text: str) -> dict[str, tuple[str, str | None, str]]:
    """Data source name -> (type, attachment, source) of the attribute using it.

    `policy = data.aws_iam_policy_document.x.json` inside `resource
    "aws_s3_bucket_policy"` makes x a bucket policy; the first use wins.
    """
    out: dict[str, tuple[str, str | None, str]] = {}
    for m in _TF_DOC_USE.finditer(text):
        if m.group(2) in out:
            continue
        block_type, owner = _tf_owner(text, m.start())
        if block_type is None:
            continue
        info = _tf_doc_info(text, m.start(), m.group(1), block_type, owner)
        if info[0] != "other":
            out[m.group(2)] = info
    return out


_TF_FILE_USE = re.compile(
    r'^[ \t]*([A-Za-z0-9_]+)[ \t]*=[ \t]*(?:file|templatefile)\(\s*"([^"]+)"', re.M
)


@dataclass(frozen=True, slots=True)
class FileReference:
    """A policy file an IaC file names (`policy = file("policies/bucket.json")`)."""

    path: str  # as written, `${path.module}/` (and `./`) removed; relative to the IaC file
    policy_type: str
    attachment: str | None
    source: str


def terraform_file_references(text: str) -> list[FileReference]:
    """Policy files a Terraform file reads with file()/templatefile(), typed by use."""
    out: list[FileReference] = []
    if "file(" not in text:
        return out
    for m in _TF_FILE_USE.finditer(text):
        attr = m.group(1)
        if attr not in _TF_ATTR_TYPES and attr != "content":
            continue
        block_type, owner = _tf_owner(text, m.start())
        if block_type is None:
            continue
        ptype, attach, where = _tf_doc_info(text, m.start(), attr, block_type, owner)
        if ptype == "other":
            continue
        rel = m.group(2)
        for prefix in ("${path.module}/", "${path.root}/", "./"):
            rel = rel.removeprefix(prefix)
        if "${" in rel:
            continue
        out.append(
            FileReference(rel, ptype, attach, where + f' = file("{m.group(2)}")')
        )
    return out


def _tf_policy_documents(text: str, lines: LineIndex) -> Iterator[EmbeddedPolicy]:
    """`data "aws_iam_policy_document"` blocks as policy documents (HCL spans)."""
    uses = _tf_document_uses(text) if "data.aws_iam_policy_document." in text else {}
    for m in _TF_POLICY_DOC.finditer(text):
        p = _Hcl(text, m.end() - 1, lines)
        p.blocks = True
        body = p.obj()
        doc_node = _policy_from_block(body, lines, m.start())
        principals = any(
            isinstance(st, JsonObject) and st.get("Principal") is not None
            for st in _items(doc_node.get("Statement"))
        )
        ptype = "resource" if principals else "identity"
        if principals and _assume_in(doc_node):
            ptype = "trust"
        use = uses.get(m.group(1))
        if use is not None:
            # Where the document is used says what it is.
            ptype = use[0]
            doc = build_document(text, doc_node, tuple(p.errors), ptype, "hcl")
            doc = replace(doc, type_source=use[2], attachment=use[1])
        else:
            # Nothing in this file uses it: the statements say what it is.
            doc = build_document(text, doc_node, tuple(p.errors), ptype, "hcl")
            doc = replace(
                doc, type_source=f"content: data.aws_iam_policy_document.{m.group(1)}"
            )
        yield EmbeddedPolicy(
            lines.span(m.start(), body.end),
            ptype,
            f"data.aws_iam_policy_document.{m.group(1)}",
            "terraform-data",
            doc,
            doc_node.to_python(),
        )


def _items(node: JsonNode | None) -> tuple[JsonNode, ...]:
    return node.items if isinstance(node, JsonArray) else ()


def _assume_in(doc: JsonObject) -> bool:
    for st in _items(doc.get("Statement")):
        if isinstance(st, JsonObject):
            for a in _items(st.get("Action")) + (
                (st.get("Action"),) if isinstance(st.get("Action"), JsonString) else ()
            ):
                if isinstance(a, JsonString) and a.value.lower().startswith(
                    "sts:assumerole"
                ):
                    return True
    return False


def _synthetic(anchor: JsonNode, value: str) -> JsonString:
    """A default value Terraform fills in, placed on `anchor`'s span."""
    return JsonString(anchor.start, anchor.end, anchor.lines, value, "", True)


def _policy_from_block(body: JsonObject, lines: LineIndex, start: int) -> JsonObject:
    """Translate an aws_iam_policy_document body into the policy JSON shape."""
    members: list[JsonMember] = []
    version = body.member("version")
    anchor = JsonString(start, start + 4, lines, "data", "data", True)
    if version is not None and version.value is not None:
        members.append(JsonMember(_rekey(version.key, "Version"), version.value, None))
    else:  # Terraform's default
        members.append(
            JsonMember(_rekey(anchor, "Version"), _synthetic(anchor, "2012-10-17"))
        )
    statements: list[JsonNode] = []
    for sm in body.members:
        if sm.key.value != "statement" or not isinstance(sm.value, JsonObject):
            continue
        blk = sm.value
        out: list[JsonMember] = []
        for hcl_name, json_name in _TF_STATEMENT_ATTRS:
            m = blk.member(hcl_name)
            if m is not None and m.value is not None:
                out.append(JsonMember(_rekey(m.key, json_name), m.value, None))
        if blk.member("effect") is None:
            out.append(
                JsonMember(_rekey(sm.key, "Effect"), _synthetic(sm.key, "Allow"))
            )
        for hcl_name, json_name in (
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ):
            blocks = [
                m
                for m in blk.members
                if m.key.value == hcl_name and m.value is not None
            ]
            if blocks:
                out.append(
                    JsonMember(_rekey(blocks[0].key, json_name), _principals(blocks))
                )
        conds = [m for m in blk.members if m.key.value == "condition"]
        if conds:
            out.append(
                JsonMember(_rekey(conds[0].key, "Condition"), _conditions(conds))
            )
        statements.append(
            JsonObject(blk.start, blk.end, lines, tuple(out), blk.open, blk.close, ())
        )
    members.append(
        JsonMember(
            _rekey(anchor, "Statement"),
            JsonArray(body.start, body.end, lines, tuple(statements), body.open, None),
        )
    )
    return JsonObject(
        body.start, body.end, lines, tuple(members), body.open, body.close
    )


def _rekey(key: JsonString, name: str) -> JsonString:
    return JsonString(key.start, key.end, key.lines, name, key.raw, True)


def _principals(blocks: list[JsonMember]) -> JsonObject:
    first = blocks[0].value
    assert first is not None
    members: list[JsonMember] = []
    for b in blocks:
        if not isinstance(b.value, JsonObject):
            continue
        t, ids = b.value.get("type"), b.value.get("identifiers")
        if isinstance(t, JsonString) and ids is not None:
            members.append(JsonMember(t, ids))
    return JsonObject(
        first.start, first.end, first.lines, tuple(members), first.start, None
    )


def _conditions(blocks: list[JsonMember]) -> JsonObject:
    first = blocks[0].value
    assert first is not None
    by_test: dict[str, tuple[JsonString, list[JsonMember]]] = {}
    for b in blocks:
        if not isinstance(b.value, JsonObject):
            continue
        test, var, vals = (b.value.get(k) for k in ("test", "variable", "values"))
        if isinstance(test, JsonString) and isinstance(var, JsonString) and vals:
            by_test.setdefault(test.value, (test, []))[1].append(JsonMember(var, vals))
    members = [
        JsonMember(
            test,
            JsonObject(test.start, test.end, test.lines, tuple(ms), test.start, None),
        )
        for test, ms in by_test.values()
    ]
    return JsonObject(
        first.start, first.end, first.lines, tuple(members), first.start, None
    )
