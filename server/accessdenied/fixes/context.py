"""What a denial implies beyond its principal, action and resource (stated as assumptions).

`implied_context(denial)` fills the request context AWS would have sent: the caller's
global keys (aws:PrincipalArn, aws:PrincipalAccount, ...), `aws:RequestedRegion` from
the resource ARN, an endpoint or a region named in the text (so an SCP region guard is
not blamed for a call made in an allowed region), and `aws:SourceArn` /
`aws:SourceAccount` for a service principal acting for a named source.
`unknown_region_guards` handles a region the denial does not name (S3 ARNs carry none):
the key stays unset, and a Deny that depends on it (an SCP region guard) is neither
blamed nor reported satisfied on that basis: when AWS reported no explicit deny, such a
Deny is taken not to have applied (stated); otherwise the decision is stated to depend on
the region.
`with_default_key_policy` assumes a KMS key's default key policy (the account root
allowed `kms:*`, which delegates to IAM policies) when the key policy is not in the
workspace and the message blames the identity-based policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from accessdenied.denials.model import Denial
from accessdenied.evaluate import Policy, PolicySet, parse_arn, parse_principal
from accessdenied.evaluate.request import principal_context

__all__ = [
    "DEFAULT_KEY_POLICY_NAME",
    "implied_context",
    "unknown_region_guards",
    "with_default_key_policy",
]

DEFAULT_KEY_POLICY_NAME = "default key policy (assumed)"

_REGION = r"(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d"
_ENDPOINT = re.compile(rf"\b[a-z0-9-]+[.-]({_REGION})\.amazonaws\.com(?:\.cn)?\b")
_REGION_WORD = re.compile(rf"(?i)\bregion[\s:=\"']+({_REGION})\b")
#: A SigV4 credential scope (`Credential=AKIA.../20261203/eu-west-1/s3/aws4_request`):
#: the region the request was signed for.
_SCOPE = re.compile(rf"/\d{{8}}/({_REGION})/[a-z0-9-]+/aws4_request\b")
#: S3's `x-amz-bucket-region` response header (botocore debug logs, curl -v).
_BUCKET_REGION = re.compile(
    rf"(?i)\bx-amz-bucket-region[\"']?\s*[:=]\s*[\"']?({_REGION})\b"
)
#: Services whose requests are made in us-east-1 whatever the caller's region
#: (aws:RequestedRegion documentation: global services).
_GLOBAL = {
    "iam": "us-east-1",
    "organizations": "us-east-1",
    "route53": "us-east-1",
    "cloudfront": "us-east-1",
    "globalaccelerator": "us-west-2",
}
_SOURCE_ARN = re.compile(r"(?i)\bsource[ _-]?arn[\"':\s=]+(arn:[^\s\"',)}]+)")


def requested_region(denial: Denial) -> tuple[str | None, str]:
    """(the region the request was made in, where that was read), None when unknown."""
    service = (denial.action or "").split(":", 1)[0].lower()
    if service in _GLOBAL:
        return _GLOBAL[service], f"{service} is a global service"
    arn = parse_arn(denial.resource or "")
    if arn is not None and arn.region:
        return arn.region, "the resource ARN"
    text = denial.text or ""
    for rx, where in (
        (_ENDPOINT, "the endpoint"),
        (_SCOPE, "the request's signature scope"),
        (_BUCKET_REGION, "the x-amz-bucket-region header"),
        (_REGION_WORD, "the message"),
    ):
        m = rx.search(text)
        if m:
            return m.group(1), where
    # A bare region-like word (often part of a bucket or stack name) is not evidence.
    return None, ""


def implied_context(denial: Denial) -> tuple[dict[str, str], list[str]]:
    """(request context keys the denial implies, assumptions to state)."""
    ctx: dict[str, str] = dict(principal_context(denial.principal or ""))
    notes: list[str] = []
    region, where = requested_region(denial)
    if region:
        ctx["aws:RequestedRegion"] = region
        notes.append(f"aws:RequestedRegion is {region} (from {where})")
    info = parse_principal(denial.principal or "")
    if info.kind == "service":
        m = _SOURCE_ARN.search(denial.text or "")
        if m:
            source = m.group(1).rstrip(".")
            ctx["aws:SourceArn"] = source
            src = parse_arn(source)
            if src is not None and src.account:
                ctx["aws:SourceAccount"] = src.account
            notes.append(f"the service acts for {source} (aws:SourceArn)")
    return ctx, notes


_REGION_KEY = "aws:requestedregion"


def _uses_region(statement: Mapping[str, object]) -> bool:
    cond = statement.get("Condition")
    if not isinstance(cond, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(str(k).lower() == _REGION_KEY for k in block)
        for block in cond.values()
    )


def _region_blind(policy: Policy, sids: list[str]) -> Policy:
    """The policy with each Deny that tests aws:RequestedRegion made to need the key."""
    doc = policy.document
    stmts = doc.get("Statement")
    items = stmts if isinstance(stmts, list) else [stmts]
    changed = False
    out: list[object] = []
    for i, st in enumerate(items):
        if isinstance(st, Mapping) and st.get("Effect") == "Deny" and _uses_region(st):
            cond = dict(st["Condition"])
            block = cond.get("Null")
            null = dict(block) if isinstance(block, Mapping) else {}
            null["aws:RequestedRegion"] = "false"
            cond["Null"] = null
            out.append({**st, "Condition": cond})
            sids.append(str(st.get("Sid") or f"#{i + 1}"))
            changed = True
        else:
            out.append(st)
    if not changed:
        return policy
    new_doc = {**doc, "Statement": out if isinstance(stmts, list) else out[0]}
    return replace(policy, document=new_doc)


def unknown_region_guards(
    denial: Denial, policy_set: PolicySet, context: Mapping[str, object]
) -> tuple[PolicySet, str | None]:
    """The set to evaluate when the request's region is unknown, and what was assumed.

    Left unset, aws:RequestedRegion makes a `StringNotEquals` region guard deny every
    call, which would blame the guard for a call AWS never denied explicitly. When the
    message says no explicit deny applied (an implicit denial, or one blamed on another
    policy type), each Deny testing the key is taken not to have applied (it is made to
    need the key, so evaluation keeps its place and lines); otherwise the set is kept
    and the note says the decision depends on the region.
    """
    if "aws:RequestedRegion" in context:
        return policy_set, None
    sids: list[str] = []
    explicit_scp = denial.decision == "explicit" and denial.policy_type in (None, "scp")
    if denial.decision == "implicit" or (
        denial.decision == "explicit" and denial.policy_type not in (None, "scp", "rcp")
    ):
        blind = replace(
            policy_set,
            scps=tuple(
                tuple(_region_blind(p, sids) for p in level)
                for level in policy_set.scps
            ),
            rcps=tuple(
                tuple(_region_blind(p, sids) for p in level)
                for level in policy_set.rcps
            ),
        )
        if not sids:
            return policy_set, None
        names = ", ".join(dict.fromkeys(sids))
        return blind, (
            "aws:RequestedRegion is unknown (the resource ARN carries no region and "
            f"the text names no endpoint); the region guard {names} depends on it and "
            "AWS reported no explicit deny, so it is taken not to have applied"
        )
    for level in (*policy_set.scps, *policy_set.rcps):
        for p in level:
            _region_blind(p, sids)
    if not sids:
        return policy_set, None
    names = ", ".join(dict.fromkeys(sids))
    verdict = (
        "the message blames an SCP, consistent with it"
        if explicit_scp
        else "whether it applies depends on the region"
    )
    return policy_set, (
        "aws:RequestedRegion is unknown (the resource ARN carries no region and the "
        f"text names no endpoint); the region guard {names} depends on it: {verdict}"
    )


def with_default_key_policy(
    denial: Denial, policy_set: PolicySet, resource: str
) -> tuple[PolicySet, str | None]:
    """The set with the KMS default key policy when the workspace has no key policy."""
    arn = parse_arn(resource)
    if (
        arn is None
        or arn.service != "kms"
        or not arn.resource.startswith(("key/", "alias/"))
    ):
        return policy_set, None
    if policy_set.resource is not None:
        return policy_set, None
    if denial.policy_type not in (None, "identity"):
        return policy_set, None  # the message blames the key policy itself
    account = arn.account or parse_principal(denial.principal or "").account
    if not account:
        return policy_set, None
    partition = arn.partition or "aws"
    doc: Mapping[str, object] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    note = (
        "the key policy is not in the workspace: the default key policy is assumed "
        f"(account {account} root allowed kms:*, so IAM policies decide)"
    )
    return (
        replace(
            policy_set,
            resource=Policy(document=doc, name=DEFAULT_KEY_POLICY_NAME),
            resource_kind="kms",
        ),
        note,
    )


def source_condition(
    principal: str | None, context: Mapping[str, object], kind: str
) -> dict[str, dict[str, str]] | None:
    """The Condition pinning a service principal to its source (None when not one).

    A resource policy that admits a service for any source admits every topic, rule
    or bucket of every account: pin `aws:SourceArn`, and `aws:SourceAccount` when the
    source ARN carries no account (an S3 bucket), as the service guides recommend.
    """
    if kind not in ("resource", "kms"):
        return None
    if parse_principal(principal or "").kind != "service":
        return None
    source = context.get("aws:SourceArn")
    if not isinstance(source, str):
        return None
    cond: dict[str, dict[str, str]] = {"ArnEquals": {"aws:SourceArn": source}}
    account = context.get("aws:SourceAccount")
    arn = parse_arn(source)
    if isinstance(account, str) and (arn is None or not arn.account):
        cond["StringEquals"] = {"aws:SourceAccount": account}
    return cond
