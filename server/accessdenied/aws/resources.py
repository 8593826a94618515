"""Resource-based policies on demand, and the account's Organizations SCPs/RCPs.

S3, KMS, SQS, SNS, Secrets Manager, Lambda and role trust policies; SCPs/RCPs when
the caller may read them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from accessdenied.aws.model import LiveFinding, NamedPolicy, OrgPolicies, ResourcePolicy
from accessdenied.aws.principals import as_document
from accessdenied.aws.session import Clients, attempt

_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$"
)

#: Services whose resources carry a resource policy live mode can read.
SUPPORTED = ("s3", "kms", "sqs", "sns", "secretsmanager", "lambda", "iam")


def _field(call: Any, key: str, **kwargs: Any) -> Any:
    return call(**kwargs)[key]


def _region(clients: Clients, region: str) -> str:
    return region or clients.region()


def fetch_resource_policy(clients: Clients, resource: str) -> ResourcePolicy:
    """The resource policy of `resource` (an ARN); a role ARN gives its trust policy."""
    m = _ARN.match(resource)
    if m is None:
        return ResourcePolicy(
            resource,
            "unknown",
            None,
            (LiveFinding("live-error", "info", f"not an ARN: {resource}"),),
        )
    service, region, account, rest = (
        m.group("service"),
        m.group("region"),
        m.group("account"),
        m.group("rest"),
    )
    findings: list[LiveFinding] = []
    doc: Any = None
    kind = service
    if service == "s3":
        bucket = rest.split("/", 1)[0]
        out = attempt(
            findings,
            "s3",
            "GetBucketPolicy",
            f"read the bucket policy of {bucket}",
            lambda: clients.client("s3").get_bucket_policy(Bucket=bucket),
        )
        doc = out.get("Policy") if out else None
    elif service == "kms":
        kms = clients.client("kms", _region(clients, region))
        key_id: str | None = resource
        if rest.startswith("alias/"):
            # GetKeyPolicy takes a key id or key ARN only: resolve the alias first.
            meta = attempt(
                findings,
                "kms",
                "DescribeKey",
                f"resolve {rest}",
                lambda: kms.describe_key(KeyId=resource)["KeyMetadata"],
            )
            key_id = str(meta["Arn"]) if meta else None
        out = None
        if key_id is not None:
            kid = key_id
            # PolicyName "default" is the only key policy name (AWS_RAM aside); moto
            # needs it spelled out.
            out = attempt(
                findings,
                "kms",
                "GetKeyPolicy",
                f"read the key policy of {rest}",
                lambda: kms.get_key_policy(KeyId=kid, PolicyName="default"),
            )
        doc = out.get("Policy") if out else None
    elif service == "sqs":
        sqs = clients.client("sqs", _region(clients, region))
        kwargs = {"QueueName": rest}
        if account:
            kwargs["QueueOwnerAWSAccountId"] = account
        url = attempt(
            findings,
            "sqs",
            "GetQueueUrl",
            f"find queue {rest}",
            lambda: sqs.get_queue_url(**kwargs)["QueueUrl"],
        )
        if url:
            out = attempt(
                findings,
                "sqs",
                "GetQueueAttributes",
                f"read the queue policy of {rest}",
                lambda: sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["Policy"]
                ),
            )
            doc = (out or {}).get("Attributes", {}).get("Policy")
    elif service == "sns":
        out = attempt(
            findings,
            "sns",
            "GetTopicAttributes",
            f"read the topic policy of {rest}",
            lambda: clients.client(
                "sns", _region(clients, region)
            ).get_topic_attributes(TopicArn=resource),
        )
        doc = (out or {}).get("Attributes", {}).get("Policy")
    elif service == "secretsmanager":
        out = attempt(
            findings,
            "secretsmanager",
            "GetResourcePolicy",
            f"read the resource policy of secret {rest}",
            lambda: clients.client(
                "secretsmanager", _region(clients, region)
            ).get_resource_policy(SecretId=resource),
        )
        doc = (out or {}).get("ResourcePolicy")
    elif service == "lambda":
        out = attempt(
            findings,
            "lambda",
            "GetPolicy",
            f"read the resource policy of {rest}",
            lambda: clients.client("lambda", _region(clients, region)).get_policy(
                FunctionName=resource
            ),
        )
        doc = (out or {}).get("Policy")
    elif service == "iam" and rest.startswith("role/"):
        kind = "trust"
        name = rest.rsplit("/", 1)[-1]
        out = attempt(
            findings,
            "iam",
            "GetRole",
            f"read the trust policy of role {name}",
            lambda: clients.client("iam").get_role(RoleName=name)["Role"],
        )
        doc = (out or {}).get("AssumeRolePolicyDocument")
    else:
        findings.append(
            LiveFinding(
                "live-error",
                "info",
                f"live mode does not read resource policies of {service} resources",
            )
        )
    return ResourcePolicy(resource, kind, as_document(doc), tuple(findings))


def _org_policies(
    clients: Clients, target: str, ptype: str, findings: list[LiveFinding]
) -> tuple[NamedPolicy, ...]:
    org = clients.client("organizations")
    label = "SCPs" if ptype == "SERVICE_CONTROL_POLICY" else "RCPs"
    summaries = attempt(
        findings,
        "organizations",
        "ListPoliciesForTarget",
        f"read {label} of {target}",
        lambda: [
            p
            for page in org.get_paginator("list_policies_for_target").paginate(
                TargetId=target, Filter=ptype, PaginationConfig={"MaxItems": 200}
            )
            for p in page.get("Policies", [])
        ],
    )
    out: list[NamedPolicy] = []
    for s in summaries or []:
        pid = str(s["Id"])
        desc = attempt(
            findings,
            "organizations",
            "DescribePolicy",
            f"read policy {pid}",
            functools.partial(_field, org.describe_policy, "Policy", PolicyId=pid),
        )
        doc = as_document(desc.get("Content")) if desc else None
        if doc is not None:
            out.append(
                NamedPolicy(
                    name=str(s.get("Name") or pid),
                    kind="scp" if ptype == "SERVICE_CONTROL_POLICY" else "rcp",
                    document=doc,
                    arn=str(s.get("Arn") or "") or None,
                    source=target,
                )
            )
    return tuple(out)


def fetch_org_policies(clients: Clients, account: str | None = None) -> OrgPolicies:
    """SCP and RCP levels for `account` (default: the caller's), root first."""
    findings: list[LiveFinding] = []
    if account is None:
        caller = attempt(
            findings,
            "sts",
            "GetCallerIdentity",
            "identify the account",
            clients.caller,
        )
        account = caller.get("Account") if caller else None
    if not account:
        return OrgPolicies(None, findings=tuple(findings))
    org = clients.client("organizations")
    # Walk account -> OUs -> root (ListParents), then read policies per level.
    chain = [account]
    target = account
    for _ in range(10):  # an organization nests at most 5 OUs below the root
        parents = attempt(
            findings,
            "organizations",
            "ListParents",
            f"read the organization of account {account}",
            functools.partial(_field, org.list_parents, "Parents", ChildId=target),
        )
        if not parents:
            break
        parent = parents[0]
        chain.append(str(parent["Id"]))
        if parent.get("Type") == "ROOT":
            break
        target = str(parent["Id"])
    if findings:
        return OrgPolicies(account, readable=False, findings=tuple(findings))
    described = attempt(
        findings,
        "organizations",
        "DescribeOrganization",
        "read the organization",
        lambda: org.describe_organization()["Organization"],
    )
    management = (
        str(described.get("MasterAccountId") or "") or None if described else None
    )
    chain.reverse()
    scps = tuple(
        _org_policies(clients, t, "SERVICE_CONTROL_POLICY", findings) for t in chain
    )
    rcps = tuple(
        _org_policies(clients, t, "RESOURCE_CONTROL_POLICY", findings) for t in chain
    )
    return OrgPolicies(
        account,
        management_account=management,
        scps=scps if any(scps) else (),
        rcps=rcps if any(rcps) else (),
        readable=not findings,
        findings=tuple(findings),
    )
