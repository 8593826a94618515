"""Condition-key context checks: unsupported, unpaired and irrelevant keys.

Keys AWS does not support, keys that need a partner, keys a service principal never
carries, keys a resource policy makes irrelevant, and values that must be service
principals.

The key tables below come from the IAM user guide ("AWS global condition context
keys": the Availability line of each key) and from the Access Analyzer policy check
reference; they are package data, read once at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from accessdenied.policy.checks._base import (
    Context,
    _f,
    _has_var,
    _strings,
    check,
)
from accessdenied.policy.checks.conditions import _condition_blocks, parse_operator
from accessdenied.policy.jsonpos import JsonObject, JsonString
from accessdenied.policy.model import Finding, Statement
from accessdenied.policy.yamlpos import IntrinsicString

# Global keys IAM does not support, with what to write instead (Access Analyzer
# "Unsupported global condition key" / "Deprecated global condition key").
_UNSUPPORTED_GLOBAL: Mapping[str, str] = {
    "aws:arn": "aws:PrincipalArn (the caller) or aws:SourceArn (the resource a "
    "service acts for)",
}


def _conditioned(ctx: Context) -> tuple[Statement, ...]:
    """The statements with a Condition object (computed once per document)."""
    sts = ctx.doc.statements
    if not sts:
        return ()
    found: tuple[Statement, ...] | None = sts[0].cache.get("doc:conditioned")
    if found is None:
        found = sts[0].cache["doc:conditioned"] = tuple(
            st for st in sts if isinstance(st.elements.get("Condition"), JsonObject)
        )
    return found


def _keys(st: Statement) -> set[str]:
    found: set[str] | None = st.cache.get("condition-key-names")
    if found is None:
        found = st.cache["condition-key-names"] = {
            key.value.lower() for _o, _b, key, _v in _condition_blocks(st)
        }
    return found


@check(
    "unsupported-global-condition-key",
    "error",
    "a global condition key IAM does not support (aws:ARN)",
)
def check_unsupported_global_key(ctx: Context) -> Iterator[Finding]:
    for st in _conditioned(ctx):
        if _keys(st).isdisjoint(_UNSUPPORTED_GLOBAL):
            continue
        for _op, _base, key, _vals in _condition_blocks(st):
            instead = _UNSUPPORTED_GLOBAL.get(key.value.lower())
            if instead is not None:
                yield _f(
                    "unsupported-global-condition-key",
                    key,
                    f'"{key.value}" is not a supported condition key (the request '
                    f"never carries it, so this condition never matches): use {instead}",
                )


# A key that is overly permissive alone, and the keys that make it specific (any one
# of them). aws:VpcSourceIp: private addresses repeat across VPCs (Access Analyzer
# "Missing paired condition keys"); aws:Ec2InstanceSourcePrivateIPv4: "You must use
# this condition key with its companion key aws:Ec2InstanceSourceVpc".
_PAIRED: Mapping[str, tuple[str, ...]] = {
    "aws:vpcsourceip": ("aws:SourceVpc", "aws:SourceVpce", "aws:SourceVpcArn"),
    "aws:ec2instancesourceprivateipv4": ("aws:Ec2InstanceSourceVpc",),
}


@check(
    "missing-paired-condition-key",
    "warning",
    "a condition key that needs a companion key in the same Condition "
    "(aws:VpcSourceIp without aws:SourceVpc, aws:Ec2InstanceSourcePrivateIPv4 "
    "without aws:Ec2InstanceSourceVpc)",
)
def check_paired_keys(ctx: Context) -> Iterator[Finding]:
    """An Allow needs the partner in the same Condition (both must match).

    A Deny may test it in another Deny statement: AWS's own aws:Ec2InstanceSourceVpc
    / aws:Ec2InstanceSourcePrivateIPv4 example denies each mismatch separately.
    """
    deny_keys: set[str] = set()
    for st in _conditioned(ctx):
        if st.effect == "Deny":
            deny_keys |= _keys(st)
    for st in _conditioned(ctx):
        blocks = _condition_blocks(st)
        if not blocks:
            continue
        names = deny_keys if st.effect == "Deny" else _keys(st)
        for _op, base, key, _vals in blocks:
            partners = _PAIRED.get(key.value.lower())
            if base == "Null" or partners is None:
                continue  # Null only asks whether the key is there
            if any(p.lower() in names for p in partners):
                continue
            yield _f(
                "missing-paired-condition-key",
                key,
                f'"{key.value}" alone is overly permissive: private IP addresses '
                "repeat across VPCs and accounts; add "
                + " or ".join(partners)
                + (
                    " (in this or another Deny statement)"
                    if st.effect == "Deny"
                    else " to the same Condition"
                ),
            )


# Keys a request made directly by a service principal never carries (IAM user guide,
# "AWS global condition context keys", Availability): the principal is no member of
# an organization, has no tags, no IAM user name, no MFA, no federation, no source
# identity, no EC2 role credentials, and no calling service chain.
_NOT_FOR_SERVICE_PRINCIPALS: Mapping[str, str] = {
    "aws:principalorgid": "the principal is a member of an organization",
    "aws:principalorgpaths": "the principal is a member of an organization",
    "aws:principaltag": "the principal is an IAM user or role with tags",
    "aws:username": "the principal is an IAM user",
    "aws:multifactorauthage": "the principal authenticated with MFA",
    "aws:federatedprovider": "the principal is a federated role session",
    "aws:sourceidentity": "a role session set a source identity",
    "aws:ec2instancesourcevpc": "the request is signed with EC2 role credentials",
    "aws:ec2instancesourceprivateipv4": "the request is signed with EC2 role "
    "credentials",
    "aws:calledvia": "a service uses an IAM principal's credentials",
    "aws:calledviafirst": "a service uses an IAM principal's credentials",
    "aws:calledvialast": "a service uses an IAM principal's credentials",
}


def _service_only(st: Statement) -> list[JsonString] | None:
    """The Service principals of a statement whose Principal names only services."""
    principal = st.elements.get("Principal")
    if not isinstance(principal, JsonObject):
        return None
    services = _strings(principal.get("Service"))
    if not services or any(m.key.value != "Service" for m in principal.members):
        return None
    return services


@check(
    "unsupported-condition-key-service-principal",
    "error",
    "a condition key that requests from the statement's service principals never "
    "carry (aws:PrincipalOrgID, aws:PrincipalTag, ...)",
)
def check_service_principal_keys(ctx: Context) -> Iterator[Finding]:
    for st in _conditioned(ctx):
        blocks = _condition_blocks(st)
        if not blocks:
            continue
        services = _service_only(st)
        if services is None:
            continue
        names = ", ".join(f'"{s.value}"' for s in services[:3])
        for _op, _base, key, _vals in blocks:
            when = _NOT_FOR_SERVICE_PRINCIPALS.get(key.value.lower().split("/", 1)[0])
            if when is None:
                continue
            yield _f(
                "unsupported-condition-key-service-principal",
                key,
                f'"{key.value}" is not supported with the service principal {names}: '
                f"the request carries it only when {when}; use aws:SourceArn or "
                "aws:SourceAccount to say which resource the service acts for",
            )


# Keys that say nothing about which customer a service principal acts for (Access
# Analyzer "Recommended condition key for service principal": aws:Referer in its
# example).
_WEAK_FOR_SERVICE_PRINCIPALS = frozenset(
    {"aws:referer", "aws:useragent", "aws:sourceip", "aws:vpcsourceip"}
)
_SOURCE_KEYS = frozenset(
    {"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"}
)


@check(
    "recommended-condition-key-service-principal",
    "info",
    "a service principal restricted by aws:Referer, aws:UserAgent or an IP instead of "
    "aws:SourceArn/aws:SourceAccount",
)
def check_service_principal_weak_key(ctx: Context) -> Iterator[Finding]:
    if ctx.policy_type not in ("resource", "trust", None):
        return  # resource-based policies (a role trust policy is one)
    for st in _conditioned(ctx):
        blocks = _condition_blocks(st)
        if not blocks or _keys(st) & _SOURCE_KEYS:
            continue
        services = _service_only(st)
        if services is None:
            continue
        for _op, _base, key, _vals in blocks:
            if key.value.lower() in _WEAK_FOR_SERVICE_PRINCIPALS:
                yield _f(
                    "recommended-condition-key-service-principal",
                    key,
                    f'"{key.value}" does not say which account the service principal '
                    f'"{services[0].value}" acts for: use aws:SourceArn or '
                    "aws:SourceAccount (confused deputy prevention)",
                )


# Keys whose value a resource-based policy already fixes: the resource is the one the
# policy is attached to (Access Analyzer "Irrelevant condition key in policy":
# s3:ResourceAccount in a bucket or access point policy).
_IRRELEVANT_IN_RESOURCE_POLICY: Mapping[str, frozenset[str]] = {
    "s3:resourceaccount": frozenset({"s3-bucket", "s3-access-point"}),
    "aws:resourceaccount": frozenset(
        {
            "s3-bucket",
            "s3-access-point",
            "sqs-queue",
            "sns-topic",
            "kms-key",
            "ecr-repository",
            "secretsmanager-secret",
        }
    ),
}


@check(
    "irrelevant-condition-key",
    "info",
    "a condition key whose value a resource policy already fixes "
    "(s3:ResourceAccount in a bucket policy)",
)
def check_irrelevant_key(ctx: Context) -> Iterator[Finding]:
    attach = ctx.doc.attachment
    if ctx.policy_type != "resource" or attach is None:
        return
    for st in _conditioned(ctx):
        for _op, _base, key, _vals in _condition_blocks(st):
            where = _IRRELEVANT_IN_RESOURCE_POLICY.get(key.value.lower())
            if where is not None and attach in where:
                yield _f(
                    "irrelevant-condition-key",
                    key,
                    f'"{key.value}" is not relevant in the {attach} policy: the '
                    "resource is always this one, in its owner's account; use the key "
                    "in an identity-based policy to govern access to resources",
                )


_AUD_KEY_RX = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}(/[^:]*)?:aud$", re.I)


@check(
    "confirm-audience-claim",
    "info",
    "ForAllValues/ForAnyValue on an OIDC provider's aud claim: confirm the claim is "
    "multivalued",
)
def check_audience_claim(ctx: Context) -> Iterator[Finding]:
    for st in _conditioned(ctx):
        for op, _base, key, _vals in _condition_blocks(st):
            if not _AUD_KEY_RX.match(key.value):
                continue
            qualifier, _b, _ie = parse_operator(op.value)
            if qualifier is None:
                continue
            yield _f(
                "confirm-audience-claim",
                op,
                f'"{op.value}" on "{key.value}": the aud (audience) claim can be '
                "multivalued or single-valued; keep the qualifier only if your "
                "identity provider sends several audiences (a single-valued claim "
                "takes no qualifier)",
            )


# Condition keys whose values are service principals, and the format each takes
# (Access Analyzer "Invalid service principal format"; kms:ViaService names the
# Regional endpoint: "service-name.AWS_region.amazonaws.com").
_SP_SUFFIX = r"\.(?:amazonaws\.com(?:\.cn)?|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov)"
_SP_RX = re.compile(rf"^[a-z0-9*?][a-z0-9.*?-]*{_SP_SUFFIX}$")
_VIA_RX = re.compile(rf"^[a-z0-9*?][a-z0-9*?-]*\.[a-z0-9*?-]+{_SP_SUFFIX}$")
# A value with wildcards ("ec2.*", "ec2.amazonaws.com*") may hide the suffix: only
# its characters are checked.
_SP_WILD_RX = re.compile(r"^[a-z0-9.*?-]+$")
_SP_KEYS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "aws:principalservicename": (_SP_RX, "service-name.amazonaws.com"),
    "aws:principalservicenameslist": (_SP_RX, "service-name.amazonaws.com"),
    "aws:calledvia": (_SP_RX, "service-name.amazonaws.com"),
    "aws:calledviafirst": (_SP_RX, "service-name.amazonaws.com"),
    "aws:calledvialast": (_SP_RX, "service-name.amazonaws.com"),
    "iam:passedtoservice": (_SP_RX, "service-name.amazonaws.com"),
    "iam:awsservicename": (_SP_RX, "service-name.amazonaws.com"),
    "kms:viaservice": (_VIA_RX, "service-name.AWS_region.amazonaws.com"),
}


@check(
    "invalid-service-principal-format",
    "error",
    "a service principal (in Principal or in a key such as aws:CalledVia, "
    "kms:ViaService) not in the lower-case service-name.amazonaws.com format",
)
def check_service_principal_format(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if isinstance(principal, JsonObject):
            for n in _strings(principal.get("Service")):
                v = n.value
                # Values that do not end in .amazonaws.com are malformed-principal's.
                if (
                    v == "*"
                    or isinstance(n, IntrinsicString)
                    or _has_var(v)
                    or not v.lower().endswith((".amazonaws.com", ".amazonaws.com.cn"))
                    or _SP_RX.match(v)
                ):
                    continue
                yield _f(
                    "invalid-service-principal-format",
                    n,
                    f'"{v}" does not match the service principal format: use '
                    f'"{v.lower().replace(" ", "")}" (service-name.amazonaws.com, '
                    "lower case)",
                )
        for _op, base, key, vals in _condition_blocks(st):
            fmt = _SP_KEYS.get(key.value.lower())
            if fmt is None or base in (None, "Null"):
                continue
            rx, shape = fmt
            for n in _strings(vals):
                v = n.value
                if (
                    isinstance(n, IntrinsicString)
                    or _has_var(v)
                    or rx.match(v)
                    or (any(c in v for c in "*?") and _SP_WILD_RX.match(v))
                ):
                    continue
                yield _f(
                    "invalid-service-principal-format",
                    n,
                    f'"{v}" is not a service principal: {key.value} takes the format '
                    f"{shape}",
                )
