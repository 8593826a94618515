"""Access Analyzer grammar checks that depend on the policy type or on the container.

Empty statements, size quotas, Sid characters, mismatched federated actions, set
operators on single-valued keys, private IP ranges, `${...}` variables, condition keys
no action supports, S3 bucket-policy resources and actions, wildcard values without a
Like operator, service principals without a source condition.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator

from accessdenied.policy.checks._base import (
    Context,
    _allow,
    _expand,
    _f,
    _split_action,
    _strings,
    _sx,
    _vx,
    check,
)
from accessdenied.policy.checks.conditions import (
    _FAMILIES,
    _condition_blocks,
    parse_operator,
)
from accessdenied.policy.checks.security import _grants, _on_every
from accessdenied.policy.jsonpos import JsonArray, JsonNode, JsonObject, JsonString
from accessdenied.policy.model import Finding, Severity, Statement
from accessdenied.policy.yamlpos import IntrinsicString


@check("empty-statement", "error", "Statement is empty: the policy grants nothing")
def check_empty_statement(ctx: Context) -> Iterator[Finding]:
    if ctx.doc.syntax_errors:
        return  # a damaged document's statements may just not have been read
    node = ctx.doc.statement_node
    if isinstance(node, JsonArray) and not node.items:
        yield _f("empty-statement", node, "Statement is empty: add a statement")
    elif isinstance(node, JsonObject) and not node.members:
        yield _f("empty-statement", node, "the statement is an empty object")


# Characters of policy text each quota allows. IAM does not count white space; AWS
# Organizations stores SCPs and RCPs as written through the API (the console strips
# white space outside strings), so a template's compact JSON is what counts.
_QUOTAS: dict[str, tuple[int, str]] = {
    "managed": (6144, "a customer managed policy"),
    "inline-user": (2048, "a user's inline policies (all of them together)"),
    "inline-group": (5120, "a group's inline policies (all of them together)"),
    "inline-role": (10240, "a role's inline policies (all of them together)"),
    "inline": (2048, "an inline policy of a user"),
    "role-trust": (2048, "a role trust policy (default quota, raisable to 8,192)"),
    "s3-bucket": (20480, "an S3 bucket policy (20 KB)"),
    "sqs-queue": (8192, "an SQS queue policy (8,192 bytes)"),
    "sns-topic": (30720, "an SNS topic policy (30 KB)"),
    "kms-key": (32768, "a KMS key policy (32 KB)"),
    "secretsmanager-secret": (20480, "a Secrets Manager resource policy"),
}


def _compact_size(ctx: Context) -> int:
    value = ctx.doc.to_python()
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (
        len(text.encode("utf-8"))
        if ctx.doc.attachment
        in (
            "s3-bucket",
            "sqs-queue",
            "sns-topic",
            "kms-key",
        )
        else len(text)
    )


@check(
    "policy-size-quota",
    "error",
    "the policy is longer than the size quota of its type (white space not counted)",
)
def check_policy_size(ctx: Context) -> Iterator[Finding]:
    root = ctx.doc.root
    if root is None:
        return
    ptype = ctx.policy_type
    attach = ctx.doc.attachment
    severity: Severity | None
    if ptype in ("scp", "rcp"):
        limit, what, severity = 5120, f"an {ptype.upper()} (5,120 characters)", None
    elif attach in _QUOTAS:
        limit, what = _QUOTAS[attach]
        severity = None
    elif ptype == "trust":
        limit, what, severity = 2048, _QUOTAS["role-trust"][1], "warning"
    else:
        # Attachment unknown (a bare identity or resource policy file): the quota
        # depends on what it is attached as, which nothing here says.
        return
    # Cheap bound first: the text itself is never shorter than its compact form.
    if root.end - root.start <= limit:
        return
    size = _compact_size(ctx)
    if size > limit:
        yield _f(
            "policy-size-quota",
            root.members[0].key if root.members else root,
            f"the policy is {size:,} characters without white space; the quota of "
            f"{what} is {limit:,}: split it or use wildcards",
            severity,
            size=size,
            limit=limit,
        )


_SID_RX = re.compile(r"^[A-Za-z0-9]*$")


@check(
    "invalid-sid",
    "error",
    "a Sid with characters other than A-Z, a-z, 0-9 in an IAM-stored policy",
)
def check_sid(ctx: Context) -> Iterator[Finding]:
    # IAM (identity, boundary and trust policies) accepts only ASCII letters and
    # digits in Sid; resource policies of other services allow more (S3: spaces).
    if ctx.policy_type not in (None, "identity", "permissions-boundary", "trust"):
        return
    if ctx.policy_type is None and _resource_policy_shape(ctx):
        return
    for st in ctx.doc.statements:
        node = st.elements.get("Sid")
        if isinstance(node, IntrinsicString):
            continue
        if isinstance(node, JsonString) and not _SID_RX.match(node.value):
            yield _f(
                "invalid-sid",
                node,
                f'Sid "{node.value}" may hold only letters and digits (A-Z, a-z, 0-9)',
            )


def _resource_policy_shape(ctx: Context) -> bool:
    """Whether an untyped document is a resource policy of some service.

    A Principal with actions other than sts:* (those of a role trust policy).
    """
    for st in ctx.doc.statements:
        if (
            st.elements.get("Principal") is None
            and st.elements.get("NotPrincipal") is None
        ):
            continue
        if any(not v.lower().startswith("sts:") for v in _vx(st, "Action")):
            return True
    return False


_FEDERATED_ACTIONS = {
    "sts:assumerolewithwebidentity": "an OIDC provider (Principal Federated)",
    "sts:assumerolewithsaml": "a SAML provider (Principal Federated)",
}


def _assume_actions(st: Statement) -> list[JsonString]:
    return [
        n
        for n in _sx(st, "Action")
        if n.value.lower().startswith("sts:assumerole") and "*" not in n.value
    ]


@check(
    "mismatched-action-for-principal",
    "error",
    "an sts:AssumeRole* action that does not fit the statement's principal type",
)
def check_mismatched_action(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if not isinstance(principal, JsonObject):
            continue
        acts = _assume_actions(st)
        if not acts:
            continue
        federated = _strings(principal.get("Federated"))
        others = [
            m.key.value
            for m in principal.members
            if m.key.value in ("AWS", "Service", "CanonicalUser")
        ]
        saml = any(":saml-provider/" in f.value for f in federated)
        oidc = any(":saml-provider/" not in f.value for f in federated)
        for a in acts:
            name = a.value.lower()
            if name == "sts:assumerole" and federated and not others:
                yield _f(
                    "mismatched-action-for-principal",
                    a,
                    "a federated principal assumes a role with "
                    + (
                        '"sts:AssumeRoleWithSAML"'
                        if saml and not oidc
                        else '"sts:AssumeRoleWithWebIdentity"'
                    )
                    + ', not "sts:AssumeRole"',
                )
            elif name in _FEDERATED_ACTIONS and not federated and others:
                yield _f(
                    "mismatched-action-for-principal",
                    a,
                    f'"{a.value}" is only for {_FEDERATED_ACTIONS[name]}; '
                    f"{', '.join(others)} principals use sts:AssumeRole",
                )
            elif name == "sts:assumerolewithsaml" and federated and not saml:
                yield _f(
                    "mismatched-action-for-principal",
                    a,
                    'an OIDC provider uses "sts:AssumeRoleWithWebIdentity"',
                )
            elif name == "sts:assumerolewithwebidentity" and saml and not oidc:
                yield _f(
                    "mismatched-action-for-principal",
                    a,
                    'a SAML provider uses "sts:AssumeRoleWithSAML"',
                )


@check(
    "set-operator-single-valued",
    "warning",
    "ForAllValues/ForAnyValue with a single-valued condition key",
)
def check_set_operator_single_valued(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for op, _base, key, _vals in _condition_blocks(st):
            qualifier = parse_operator(op.value)[0]
            if qualifier is None:
                continue
            prefix, _, claim = key.value.rpartition(":")
            if claim.lower() == "aud" and "." in prefix:
                continue  # an OIDC audience may be multivalued: confirm-audience-claim
            ck = cat.condition_key(key.value)
            if ck is None or ck.is_multivalued or not ck.type:
                continue
            if qualifier == "ForAllValues":
                yield _f(
                    "set-operator-single-valued",
                    op,
                    f'"{key.value}" is single-valued: ForAllValues is also true when '
                    "the key is missing from the request, which allows more than "
                    "meant; use the operator without ForAllValues",
                )
            else:
                yield _f(
                    "set-operator-single-valued",
                    op,
                    f'"{key.value}" is single-valued: drop the ForAnyValue qualifier',
                    "info",
                )


# RFC 1918 / RFC 4193 ranges (and loopback, link-local): addresses a request from
# inside a VPC or on-premises network has, never the public aws:SourceIp.
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def _private(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return any(
        net.version == p.version and net.subnet_of(p)  # type: ignore[arg-type]
        for p in _PRIVATE_NETS
    )


@check(
    "private-ip-source",
    "error",
    "aws:SourceIp with private IP ranges (requests through a VPC endpoint have no SourceIp)",
)
def check_private_ip(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for _op, base, key, vals in _condition_blocks(st):
            if base not in ("IpAddress", "NotIpAddress"):
                continue
            if key.value.lower() != "aws:sourceip":
                continue
            nodes = _strings(vals)
            nets = []
            for n in nodes:
                try:
                    nets.append((n, ipaddress.ip_network(n.value, strict=False)))
                except ValueError:
                    continue
            private = [n for n, net in nets if _private(net)]
            if not private:
                continue
            if len(private) == len(nets):
                yield _f(
                    "private-ip-source",
                    key,
                    f"{base} on aws:SourceIp with only private ranges: aws:SourceIp "
                    "holds public addresses; for traffic from a VPC use aws:VpcSourceIp "
                    "or aws:SourceVpce",
                )
            else:
                for n in private:
                    yield _f(
                        "private-ip-source",
                        n,
                        f'"{n.value}" is a private range, which aws:SourceIp never '
                        "holds: use aws:VpcSourceIp for VPC addresses",
                        "info",
                    )


# A policy variable: `${service:key}` (tag keys may follow a slash), or `${*}`, `${?}`,
# `${$}` (the escapes for literal characters).
_VARIABLE = re.compile(r"^(?:[a-z0-9.-]+:[A-Za-z0-9_.:/@+=-]+|\*|\?|\$)$", re.I)
_VAR_ELEMENTS = ("Resource", "NotResource")


def _variable_findings(node: JsonString) -> Iterator[tuple[str, str]]:
    v = node.value
    i = v.find("${")
    while i >= 0:
        j = v.find("}", i + 2)
        nxt = v.find("${", i + 2)
        if j < 0 or (0 <= nxt < j):
            yield (
                "missing",
                f'"{v}": the variable starting at "${{" has no closing brace',
            )
            return
        body = v[i + 2 : j]
        default = body.split(",", 1)[0] if "," in body else body
        fallback = body.split(",", 1)[1].strip() if "," in body else None
        if fallback is not None and not (
            len(fallback) >= 2 and fallback[0] == fallback[-1] == "'"
        ):
            yield (
                "quote",
                f'"{v}": the default value of a policy variable goes in single '
                "quotes (\"${aws:username, 'nobody'}\")",
            )
        elif not body.strip():
            yield "empty", f'"{v}": empty variable "${{}}"'
        elif default != default.strip() or " " in default:
            yield "space", f'"{v}": a policy variable cannot contain spaces'
        elif not _VARIABLE.match(default) or "::" in default:
            hint = (
                " (a CloudFormation pseudo parameter: wrap the string in Fn::Sub)"
                if "::" in default
                else ""
            )
            yield (
                "unknown",
                f'"${{{body}}}" is not a policy variable (they look like '
                f'"${{aws:username}}" or "${{aws:PrincipalTag/team}}"){hint}',
            )
        i = v.find("${", j + 1)


def _template_interpolates(ctx: Context) -> bool:
    """Whether `${...}` in this document is the template language's, not IAM's.

    Terraform interpolates `${...}` (its policy variables are written `&{...}`), and in
    a Fn::Sub template `${...}` are CloudFormation's substitutions.
    """
    source = ctx.doc.type_source or ""
    return (
        source.startswith("terraform")
        or ctx.doc.source == "hcl"
        or "(Fn::Sub)" in source
    )


@check(
    "invalid-variable",
    "error",
    "a malformed `${...}` policy variable: missing brace or quote, empty, spaces, "
    "unknown name",
)
def check_invalid_variable(ctx: Context) -> Iterator[Finding]:
    if ctx.doc.version != "2012-10-17":
        return  # reported by variable-unsupported-version
    if _template_interpolates(ctx):
        return
    for st in ctx.doc.statements:
        nodes = [n for k in _VAR_ELEMENTS for n in _sx(st, k)]
        for _op, _base, _key, vals in _condition_blocks(st):
            nodes.extend(_strings(vals))
        for n in nodes:
            if isinstance(n, IntrinsicString) or "$" not in n.value:
                continue
            for _kind, msg in _variable_findings(n):
                yield _f("invalid-variable", n, msg)


_TEMPLATE_CUT = re.compile(r"\$\{|<|(?<=/)")
_KEYS_CACHE: dict[tuple[int, str], tuple[frozenset[str], tuple[str, ...]]] = {}


def _keys_for(ctx: Context, action_name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(exact lower-case keys, prefixes of templated keys) the actions support.

    Templated keys ("kms:EncryptionContext:${EncryptionContextKey}",
    "aws:RequestTag/${TagKey}") match any name that starts with their fixed part.
    """
    ck = (id(ctx.catalog), action_name.lower())
    found = _KEYS_CACHE.get(ck)
    if found is not None:
        return found
    raw: set[str] = set()
    for a in _expand(ctx, action_name):
        raw.update(a.condition_keys)
        for ar in a.resources:
            raw.update(ar.condition_keys)
            raw.update(ar.resource_type.condition_keys)
    exact = frozenset(k.lower() for k in raw)
    # The reference spells the variable part "${TagKey}", "<key>" or "tag-key" (after
    # a slash): the fixed part before it is the prefix.
    prefixes = tuple(
        sorted(
            {
                _TEMPLATE_CUT.split(k, 1)[0].lower()
                for k in raw
                if _TEMPLATE_CUT.search(k)
            }
        )
    )
    found = (exact, prefixes)
    if len(_KEYS_CACHE) < 20000:
        _KEYS_CACHE[ck] = found
    return found


@check(
    "condition-key-unsupported-action",
    "warning",
    "a service condition key that no action of the statement supports",
)
def check_condition_key_action(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        if st.elements.get("NotAction") is not None:
            continue
        actions = _vx(st, "Action")
        if not actions or any(a == "*" or "${" in a for a in actions):
            continue
        for _op, _base, key, _vals in _condition_blocks(st):
            name = key.value
            prefix = name.partition(":")[0].lower()
            if prefix == "aws" or "${" in name or cat.service(prefix) is None:
                continue
            ck = cat.condition_key(name)
            if ck is None:
                continue  # unknown-condition-key reports it
            lname = name.lower()
            same = [
                a
                for a in actions
                if (_split_action(a) or ("", ""))[0].lower() == prefix
            ]
            supported = False
            for a in same:
                exact, prefixes = _keys_for(ctx, a)
                if (
                    (not exact and not prefixes)
                    or lname in exact
                    or any(lname.startswith(p) for p in prefixes)
                ):
                    supported = True
                    break
            if supported:
                continue
            if not same:
                # Keys such as lambda:SourceFunctionArn or glue:RoleAssumedBy are set
                # on other services' requests: without an action of the key's own
                # service there is nothing to compare against.
                continue
            msg = (
                f'no action of this statement supports "{name}" (service '
                "authorization reference): the condition never matches"
            )
            yield _f("condition-key-unsupported-action", key, msg)


def _s3_resource(v: str) -> bool:
    return v.startswith("${") or bool(
        re.match(r"^arn:(?:aws(?:-[a-z]+)*|\$\{[^}]*\}|\*):s3(?:express)?:", v)
    )


@check(
    "bucket-policy-resource",
    "error",
    "an S3 bucket policy Resource that is not the bucket or its objects",
)
def check_bucket_policy_resource(ctx: Context) -> Iterator[Finding]:
    if ctx.doc.attachment != "s3-bucket":
        return
    for st in ctx.doc.statements:
        for n in _sx(st, "Resource") + _sx(st, "NotResource"):
            if isinstance(n, IntrinsicString):
                continue
            if n.value == "*":
                yield _f(
                    "bucket-policy-resource",
                    n,
                    'S3 rejects Resource "*" in a bucket policy: name the bucket '
                    '("arn:aws:s3:::bucket") or its objects ("arn:aws:s3:::bucket/*")',
                )
            elif not _s3_resource(n.value):
                yield _f(
                    "bucket-policy-resource",
                    n,
                    f'"{n.value}" is not this bucket or its objects: a bucket policy '
                    "may only name S3 resources",
                )


@check(
    "bucket-policy-action",
    "error",
    "a non-S3 action in an S3 bucket policy",
)
def check_bucket_policy_action(ctx: Context) -> Iterator[Finding]:
    if ctx.doc.attachment != "s3-bucket":
        return
    for st in ctx.doc.statements:
        for n in _sx(st, "Action") + _sx(st, "NotAction"):
            if isinstance(n, IntrinsicString) or n.value == "*":
                continue
            svc = n.value.partition(":")[0].lower()
            if svc not in ("s3", "s3express", "*") and "$" not in svc:
                yield _f(
                    "bucket-policy-action",
                    n,
                    f'"{n.value}" is not an S3 action: S3 rejects bucket policies with '
                    "other services' actions",
                )


_EQUALS = ("StringEquals", "StringNotEquals")


@check(
    "wildcard-without-like",
    "warning",
    "a `*`/`?` in a StringEquals value (matched literally, not as a wildcard)",
)
def check_wildcard_without_like(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for _op, base, key, vals in _condition_blocks(st):
            if base not in _EQUALS:
                continue
            for n in _strings(vals):
                v = n.value
                if isinstance(n, IntrinsicString) or "${" in v:
                    continue
                if "*" in v or "?" in v:
                    like = base.replace("Equals", "Like")
                    yield _f(
                        "wildcard-without-like",
                        n,
                        f'{base} compares "{v}" literally: use {like} for a wildcard '
                        f"match on {key.value}",
                    )


_SOURCE_KEYS = {
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
}


def _condition_keys(st: Statement) -> set[str]:
    return {key.value.lower() for _o, _b, key, _v in _condition_blocks(st)}


@check(
    "service-principal-without-source",
    "warning",
    "a resource policy allowing a service principal with no aws:SourceArn/SourceAccount",
)
def check_service_principal(ctx: Context) -> Iterator[Finding]:
    # Confused deputy: without a source condition any account's use of the service
    # can reach this resource ("Restrict access to service principal").
    if ctx.policy_type != "resource":
        return
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if not _allow(st) or not isinstance(principal, JsonObject):
            continue
        services = _strings(principal.get("Service"))
        if not services or _condition_keys(st) & _SOURCE_KEYS:
            continue
        yield _f(
            "service-principal-without-source",
            services[0],
            f'"{services[0].value}" may act here on behalf of any account: add an '
            "aws:SourceArn or aws:SourceAccount condition",
        )


@check(
    "create-slr-wildcard",
    "warning",
    "iam:CreateServiceLinkedRole allowed on every resource",
)
def check_create_slr(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Create SLR with ...": the role for any service.

    Star in action or resource, NotAction, NotResource.
    """
    if ctx.policy_type in ("scp", "rcp"):
        return  # an SCP or RCP Allow grants nothing
    for st in ctx.doc.statements:
        if not _allow(st) or "iam:awsservicename" in _condition_keys(st):
            continue
        if "*" not in _vx(st, "Resource") and st.elements.get("NotResource") is None:
            continue
        found = _grants(st, "iam:CreateServiceLinkedRole")
        if found is None:
            continue
        node, what = found
        yield _f(
            "create-slr-wildcard",
            node,
            f"{what} {_on_every(st, 'service-linked role')}: limit it with an "
            "iam:AWSServiceName condition or the role ARNs",
        )


@check("old-version", "info", "Version 2008-10-17: no policy variables")
def check_old_version(ctx: Context) -> Iterator[Finding]:
    root = ctx.doc.root
    node: JsonNode | None = root.get("Version") if root is not None else None
    if isinstance(node, JsonString) and node.value == "2008-10-17":
        yield _f(
            "old-version",
            node,
            'Version "2008-10-17" is the old policy language (no policy variables): '
            'use "2012-10-17"',
        )


@check(
    "bool-multiple-values",
    "error",
    "a Bool condition with more than one value for a key",
)
def check_bool_multiple(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for op, base, key, vals in _condition_blocks(st):
            if base != "Bool" or parse_operator(op.value)[0] is not None:
                continue
            if isinstance(vals, JsonArray) and len(vals.items) > 1:
                yield _f(
                    "bool-multiple-values",
                    vals,
                    f"{key.value} is a single true/false value: give one value "
                    "(Invalid condition multiple Boolean)",
                )


@check(
    "federated-principal-not-supported",
    "error",
    "a Federated principal in a resource policy (only role trust policies take them)",
)
def check_federated_in_resource(ctx: Context) -> Iterator[Finding]:
    if ctx.policy_type not in ("resource", "rcp"):
        return
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            if isinstance(node, JsonObject):
                m = node.member("Federated")
                if m is not None:
                    yield _f(
                        "federated-principal-not-supported",
                        m.key,
                        "federated principals can only assume roles: a resource "
                        "policy cannot name one (use the role they assume)",
                    )


_REGIONLESS = re.compile(r"^arn:[^:]*:[^:]+::")


@check(
    "arn-missing-region",
    "error",
    "an ARN without a region for a service whose ARNs all have one",
)
def check_arn_missing_region(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for n in _sx(st, "Resource") + _sx(st, "NotResource"):
            v = n.value
            if isinstance(n, IntrinsicString) or not _REGIONLESS.match(v):
                continue
            svc_field = v.split(":", 3)[2]
            if "*" in svc_field or "$" in svc_field:
                continue
            svc = cat.service(svc_field)
            if svc is None or not svc.resource_types:
                continue
            parts = v.split(":", 5)
            res = parts[5] if len(parts) == 6 else ""
            # The formats of this resource kind: same service field, and a literal
            # resource prefix ("instance/") the ARN starts with.
            formats = []
            for rt in svc.resource_types:
                for f in rt.arn_formats:
                    fp = f.split(":", 5)
                    if len(fp) < 6 or fp[2] != svc_field:
                        continue
                    lit = fp[5].split("${", 1)[0]
                    if lit and res.startswith(lit):
                        formats.append(fp)
            if formats and all(fp[3] == "${Region}" for fp in formats):
                yield _f(
                    "arn-missing-region",
                    n,
                    f'"{v}" has no region, but every {svc_field} ARN has one: '
                    'put the region in the fourth field (or "*")',
                )


_VPC_KEYS = {
    "aws:sourcevpc": ("vpc-", "a VPC id such as vpc-1a2b3c4d"),
    "aws:sourcevpce": ("vpce-", "a VPC endpoint id such as vpce-1a2b3c4d"),
}


@check(
    "invalid-vpc-format",
    "error",
    "an aws:SourceVpc / aws:SourceVpce value that is not a vpc- / vpce- id",
)
def check_vpc_format(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for _op, base, key, vals in _condition_blocks(st):
            spec = _VPC_KEYS.get(key.value.lower())
            if spec is None or _FAMILIES.get(base or "") != "String":
                continue
            prefix, what = spec
            for n in _strings(vals):
                v = n.value
                if isinstance(n, IntrinsicString) or "$" in v or "*" in v or "?" in v:
                    continue
                if not v.startswith(prefix) or not re.fullmatch(r"[a-z]+-[0-9a-f]+", v):
                    yield _f(
                        "invalid-vpc-format",
                        n,
                        f'"{v}" is not {what}: {key.value} never equals it',
                    )


@check(
    "missing-tag-key",
    "error",
    "a tag condition key with nothing after the slash (aws:ResourceTag/)",
)
def check_missing_tag_key(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for _op, _base, key, _vals in _condition_blocks(st):
            name = key.value
            if name.endswith("/") and "tag/" in name.lower():
                yield _f(
                    "missing-tag-key",
                    key,
                    f'"{name}" names no tag: add the tag key after the slash '
                    f'("{name}team")',
                )


_ROLES_ANYWHERE = ("sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession")


@check(
    "roles-anywhere-trust-actions",
    "error",
    "an IAM Roles Anywhere trust without sts:AssumeRole, SetSourceIdentity, TagSession",
)
def check_roles_anywhere(ctx: Context) -> Iterator[Finding]:
    if ctx.policy_type not in (None, "trust"):
        return
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if not _allow(st) or not isinstance(principal, JsonObject):
            continue
        services = [
            n
            for n in _strings(principal.get("Service"))
            if n.value.lower() == "rolesanywhere.amazonaws.com"
        ]
        if not services:
            continue
        have = {v.lower() for v in _vx(st, "Action")}
        if "sts:*" in have or "*" in have:
            continue
        missing = [a for a in _ROLES_ANYWHERE if a.lower() not in have]
        if missing:
            yield _f(
                "roles-anywhere-trust-actions",
                services[0],
                "IAM Roles Anywhere needs " + ", ".join(missing) + " in this statement",
            )


@check("empty-sid", "info", 'an empty Sid ("")')
def check_empty_sid(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        node = st.elements.get("Sid")
        if isinstance(node, JsonString) and node.value == "":
            yield _f("empty-sid", node, "the Sid is empty: remove it or name it")


@check(
    "missing-qualifier",
    "error",
    "a multivalued condition key without ForAllValues/ForAnyValue (a warning for "
    "service keys)",
)
def check_missing_qualifier(ctx: Context) -> Iterator[Finding]:
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        for op, base, key, _vals in _condition_blocks(st):
            if base in (None, "Null") or parse_operator(op.value)[0] is not None:
                continue
            ck = cat.condition_key(key.value)
            if ck is None or not ck.is_multivalued:
                continue
            # Access Analyzer reports "Missing qualifier" as an ERROR. The catalog's
            # ArrayOf* typing of service keys is looser than IAM's (AWS managed
            # policies compare events:detail-type with a plain StringEquals), so
            # only global multivalued keys (aws:TagKeys, aws:CalledVia, ...) are
            # errors; service keys stay warnings.
            yield _f(
                "missing-qualifier",
                op,
                f'"{key.value}" holds a set of values: say how they compare with '
                f'"ForAllValues:{op.value}" or "ForAnyValue:{op.value}"',
                None if ck.is_global else "warning",
            )


@check(
    "variable-unsupported-element",
    "error",
    "a policy variable in Principal or NotPrincipal (only Resource and Condition take them)",
)
def check_variable_in_principal(ctx: Context) -> Iterator[Finding]:
    if _template_interpolates(ctx):
        return
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            values = (
                [n for m in node.members for n in _strings(m.value)]
                if isinstance(node, JsonObject)
                else _strings(node)
            )
            for n in values:
                if isinstance(n, IntrinsicString) or "${" not in n.value:
                    continue
                if any(
                    "::" not in v
                    for v in re.findall(r"\$\{[a-z0-9.-]+:[^}]+\}", n.value, re.I)
                ):
                    yield _f(
                        "variable-unsupported-element",
                        n,
                        f'"{n.value}": policy variables are not replaced in {key}; '
                        "name the principal literally",
                    )


@check(
    "improve-ip-range",
    "info",
    "an IP range with bits set after the prefix length (ignored by IAM)",
)
def check_improve_ip_range(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Improve IP range": `10.1.2.3/16` means `10.1.0.0/16`."""
    for st in ctx.doc.statements:
        for _op, base, _key, vals in _condition_blocks(st):
            if base not in ("IpAddress", "NotIpAddress"):
                continue
            for n in _strings(vals):
                net = _loose_network(n.value)
                if net is not None and str(net) != n.value.lower():
                    yield _f(
                        "improve-ip-range",
                        n,
                        f'"{n.value}": the bits after /{net.prefixlen} are ignored; '
                        f'write "{net}"',
                    )


def _loose_network(v: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of a CIDR whose host bits are set (None when none are or no CIDR)."""
    if "/" not in v:
        return None
    try:
        ipaddress.ip_network(v)
        return None
    except ValueError:
        pass
    try:
        return ipaddress.ip_network(v, strict=False)
    except ValueError:
        return None


# Policy variables are replaced only in string and ARN comparisons (IAM user guide,
# "IAM policy elements: Variables and tags").
_VARIABLE_FAMILIES = frozenset({"String", "ARN"})


@check(
    "invalid-variable-for-operator",
    "error",
    "a policy variable in the values of a condition operator other than String/Arn",
)
def check_variable_for_operator(ctx: Context) -> Iterator[Finding]:
    if _template_interpolates(ctx):
        return
    for st in ctx.doc.statements:
        for op, base, _key, vals in _condition_blocks(st):
            if base is None or _FAMILIES.get(base) in _VARIABLE_FAMILIES:
                continue
            for n in _strings(vals):
                if isinstance(n, IntrinsicString) or not re.search(
                    r"\$\{[A-Za-z0-9.-]+:(?!:)[^}]+\}", n.value
                ):
                    continue
                yield _f(
                    "invalid-variable-for-operator",
                    n,
                    f'"{n.value}": policy variables are replaced only in String and '
                    f"Arn conditions, not in {op.value}",
                )
