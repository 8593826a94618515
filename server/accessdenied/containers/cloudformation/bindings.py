"""Policy-bearing properties of CloudFormation templates bound to what they govern.

`cloudformation_bindings(path, text)` finds every policy-bearing property (inline role
and user policies, trust policies, `AWS::IAM::Policy`/`ManagedPolicy`, key, bucket,
queue, topic, repository, secret and other resource policies, JSON strings holding
policies) and binds it to the principal or resource it governs; bindings on generated
names are labelled guesses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from accessdenied.containers.base import Binding, Reference, Span2
from accessdenied.containers.cloudformation.references import template_references
from accessdenied.containers.cloudformation.resolver import (
    ARN_FORMATS,
    TemplateResolver,
)
from accessdenied.containers.cloudformation.template import (
    KEY_SPANS,
    SPANS,
    TemplateError,
    json_spans,
    load_template,
    looks_like_cloudformation,
    strip_spans,
)


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
    by_arn = template_managed_policies(resources, r)
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical in (SPANS, KEY_SPANS):
            continue
        props = res.get("Properties") or {}
        if res.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User") and isinstance(
            props, dict
        ):
            attached = props.get("ManagedPolicyArns")
            for item in attached if isinstance(attached, list) else []:
                found = managed_in_template(item, resources, r, by_arn)
                if found is not None:
                    managed_owners.setdefault(found, []).append(logical)
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
                _add_boundary(
                    props["PermissionsBoundary"],
                    r,
                    by_arn,
                    target,
                    logical,
                    rtype,
                    path,
                    add,
                    span,
                    out,
                    refs,
                )
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
            _add_customer_managed(
                props.get("ManagedPolicyArns"),
                r,
                by_arn,
                target,
                logical,
                rtype,
                path,
                out,
                refs,
                span(logical, "ManagedPolicyArns"),
            )
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            if rtype == "AWS::IAM::ManagedPolicy":
                # Found by ARN from other files (workspace/attachments.py).
                add(
                    "managed",
                    r.arn(logical) or f"arn:*:iam::*:policy/*-{logical}-*",
                    logical,
                    props.get("PolicyDocument"),
                    span(logical, "PolicyDocument"),
                    f"AWS::IAM::ManagedPolicy {logical} in {path.name}",
                )
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
    # A role or user with no policy document in the template: the fix adds an inline
    # policy (`Policies`) to its Properties. AWS managed policies never take the fix.
    with_docs = {
        (b.target, b.kind) for b in out if b.embed not in ("aws-managed", "managed-ref")
    }
    managed_notes = {
        b.logical: b.reason
        for b in out
        if b.embed == "aws-managed" and b.kind == "identity"
    }
    res_spans = resources.get(SPANS) if isinstance(resources, dict) else None
    for logical, target in principals.items():
        if (target, "identity") in with_docs:
            continue
        res = resources[logical]
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        if spans_of is not None:
            sp = spans_of(("Resources", logical, "Properties"))
            new_embed = "cfn-json-new-inline-policy"
        else:
            spans = res.get(SPANS)
            sp = spans.get("Properties") if isinstance(spans, dict) else None
            new_embed = "cfn-new-inline-policy"
            if res_spans is None:
                continue
        if sp is None:
            continue
        others = (
            "its AWS managed policies ("
            + managed_notes[logical].split(": ", 1)[-1]
            + ") are evaluated, never edited"
            if logical in managed_notes
            else "managed policies it may have elsewhere are looked up in the workspace"
        )
        out.append(
            Binding(
                kind="identity",
                target=target,
                logical=logical,
                document={"Version": "2012-10-17", "Statement": []},
                span=(int(sp[0]), int(sp[1])),
                file=path,
                origin="cloudformation",
                embed=new_embed,
                confidence="guess" if "*" in target.split("/")[-1] else "inferred",
                reason=(
                    f"{res.get('Type')} {logical} in {path.name} has no policy "
                    f"document in the template (a new inline policy is added; {others})"
                ),
                references=refs,
            )
        )
    return _shared_boundaries(out)


def _shared_boundaries(out: list[Binding]) -> list[Binding]:
    """A ManagedPolicy that bounds several roles says so (a fix there bounds them all).

    A boundary only caps: a statement added to it grants the other roles nothing
    their own policies do not, but it lifts the cap for all of them.
    """
    roles: dict[Span2, list[str]] = {}
    for b in out:
        if b.kind == "boundary" and b.span is not None and b.document is not None:
            roles.setdefault(b.span, []).append(b.target.rsplit("/", 1)[-1])
    if all(len(v) < 2 for v in roles.values()):
        return out
    fixed = []
    for b in out:
        names = roles.get(b.span) if b.kind == "boundary" and b.span else None
        if names and len(names) > 1:
            others = [n for n in names if n != b.target.rsplit("/", 1)[-1]]
            b = replace(
                b,
                reason=f"{b.reason}; also the boundary of {', '.join(others)}: a "
                "statement added there lifts their cap too",
            )
        fixed.append(b)
    return fixed


def template_managed_policies(
    resources: Mapping[str, Any], r: TemplateResolver
) -> dict[str, str]:
    """ARN pattern -> logical id of every `AWS::IAM::ManagedPolicy` of the template."""
    out: dict[str, str] = {}
    for logical, res in resources.items():
        if logical in (SPANS, KEY_SPANS) or not isinstance(res, dict):
            continue
        if res.get("Type") == "AWS::IAM::ManagedPolicy":
            arn = r.arn(logical)
            if arn:
                out[arn] = logical
    return out


def managed_in_template(
    value: Any,
    resources: Mapping[str, Any],
    r: TemplateResolver,
    by_arn: Mapping[str, str],
) -> str | None:
    """The logical id of the template's ManagedPolicy a policy ARN value names.

    `!Ref Policy` (Ref of an AWS::IAM::ManagedPolicy is its ARN), or an ARN string
    (literal, `!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/Name`) whose
    path and name are those of a ManagedPolicy of the template.
    """
    from accessdenied.containers.managed import same_policy_arn

    value = strip_spans(value)
    if isinstance(value, dict) and list(value) == ["Ref"]:
        res = resources.get(str(value["Ref"]))
        if isinstance(res, dict) and res.get("Type") == "AWS::IAM::ManagedPolicy":
            return str(value["Ref"])
    text = r.string(value)
    if not text or ":policy/" not in text or ":iam::aws:policy/" in text:
        return None
    if "*" in text.split(":policy/", 1)[1]:
        return None  # a name only the deploy knows (a parameter): it names nothing
    for arn, logical in by_arn.items():
        if same_policy_arn(arn, text):
            return logical
    return None


def _add_boundary(
    value: Any,
    r: TemplateResolver,
    by_arn: Mapping[str, str],
    target: str,
    logical: str,
    rtype: str,
    path: Path,
    add: Callable[..., None],
    span: Callable[..., Span2 | None],
    out: list[Binding],
    refs: tuple[Reference, ...],
) -> None:
    """A role's or user's PermissionsBoundary bound as kind `boundary`.

    A ManagedPolicy of the template is bound where it is written (editable: a
    denial the boundary decides is fixed there); an AWS managed policy is evaluated
    from the shipped documents and never edited; any other ARN is recorded with
    no document (looked up in the workspace, else stated as not evaluated).
    """
    from accessdenied.containers.managed import managed_policy, managed_policy_name

    found = managed_in_template(value, r.resources, r, by_arn)
    owner = f"permissions boundary of {rtype} {logical}"
    if found is not None:
        props = r.resources[found].get("Properties") or {}
        add(
            "boundary",
            target,
            found,
            props.get("PolicyDocument"),
            span(found, "PolicyDocument"),
            f"{owner}: AWS::IAM::ManagedPolicy {found} in {path.name}",
        )
        return
    arn = r.string(strip_spans(value))
    sp = span(logical, "PermissionsBoundary")
    locked = ""
    if not arn or "*" in arn.split(":policy/", 1)[-1] or ":policy/" not in arn:
        why = f"{owner} in {path.name} does not resolve to a policy ARN ({arn or '?'})"
        document = None
        embed = "managed-ref"
    elif ":iam::aws:policy/" in arn:
        name = managed_policy_name(arn) or arn
        document = managed_policy(arn)
        embed = "aws-managed"
        why = f"{owner} in {path.name}: AWS managed policy {name}" + (
            ""
            if document is not None
            else " (unknown to the shipped AWS managed policies: not evaluated)"
        )
        locked = (
            f"the permissions boundary is the AWS managed policy {name}, which AWS "
            "owns and nobody can edit: allowing this call needs a customer managed "
            "boundary that allows it"
        )
    else:
        document = None
        embed = "managed-ref"
        why = f"{owner} in {path.name}: customer managed policy {arn}"
    out.append(
        Binding(
            kind="boundary",
            target=target,
            logical=logical,
            document=document,
            span=sp,
            file=path,
            origin="cloudformation",
            embed=embed,
            confidence="inferred",
            reason=why,
            not_editable=(
                locked
                if embed == "aws-managed"
                else f"{arn or 'the boundary'} is not in the workspace: "
                "its document is unknown"
            ),
            references=refs,
            attached=arn if embed == "managed-ref" and arn else None,
        )
    )


def _add_customer_managed(
    arns: Any,
    r: TemplateResolver,
    by_arn: Mapping[str, str],
    target: str,
    logical: str,
    rtype: str,
    path: Path,
    out: list[Binding],
    refs: tuple[Reference, ...],
    sp: Span2 | None,
) -> None:
    """Customer managed ARNs in ManagedPolicyArns that the template does not define.

    Each is recorded with no document and `attached` set: the workspace index looks
    it up in the other files (or states that it is missing).
    """
    for item in arns if isinstance(arns, list) else []:
        if managed_in_template(item, r.resources, r, by_arn) is not None:
            continue  # bound with the template's ManagedPolicy
        arn = r.string(strip_spans(item))
        if not arn or ":policy/" not in arn or ":iam::aws:policy/" in arn:
            continue
        if "*" in arn.split(":policy/", 1)[1]:
            continue  # a name only the deploy knows: it names nothing
        out.append(
            Binding(
                kind="identity",
                target=target,
                logical=logical,
                document=None,
                span=sp,
                file=path,
                origin="cloudformation",
                embed="managed-ref",
                confidence="inferred",
                reason=(
                    f"customer managed policy {arn} in ManagedPolicyArns of {rtype} "
                    f"{logical} in {path.name}"
                ),
                not_editable=f"{arn} is not in the workspace: its document is unknown",
                references=refs,
                attached=arn,
            )
        )


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
