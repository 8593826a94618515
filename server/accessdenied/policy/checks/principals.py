"""Principal checks: forbidden or missing principals, principal format, RCP grammar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from accessdenied.policy.jsonpos import (
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
)
from accessdenied.policy.yamlpos import IntrinsicString

if TYPE_CHECKING:
    pass

from accessdenied.policy.checks._base import (
    Context,
    _f,
    _has_var,
    _key_node,
    _strings,
    _vx,
    check,
)
from accessdenied.policy.checks.resources import (
    _ACCOUNT_RX,
    _arn_fields,
)

# Services that RCPs apply to (AWS Organizations user guide, "Resource control
# policies": list of supported AWS services).
_RCP_SERVICES = frozenset(
    {
        "s3",
        "sts",
        "sqs",
        "secretsmanager",
        "kms",
        "cognito-identity",
        "cognito-idp",
        "logs",
        "dynamodb",
        "ecr",
        "aoss",
    }
)


@check(
    "principal-forbidden",
    "error",
    "Principal in a policy type that has none (identity, SCP, boundary)",
)
def check_principal_forbidden(ctx: Context) -> Iterator[Finding]:
    # Reported through the schema variants (schema.py); registered for the catalogue.
    return iter(())


@check("missing-principal", "error", "no Principal in a resource, trust or RCP policy")
def check_missing_principal(ctx: Context) -> Iterator[Finding]:
    return iter(())  # reported through the schema variants (schema.py)


# Service principal DNS suffixes: commercial and GovCloud, China, European Sovereign
# Cloud, ISO partitions.
_SERVICE_SUFFIXES = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".amazonaws.eu",
    ".c2s.ic.gov",
    ".sc2s.sgov.gov",
)

# IAM unique ids (IAM user guide, "IAM identifiers": unique ids): AIDA users, AROA
# roles. IAM shows a trusted principal as its unique id once the user or role is
# deleted; a policy that names one matches no principal re-created under that name.
_UNIQUE_ID_RX = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")


@check("malformed-principal", "error", "an AWS principal that is not an ARN or account")
def check_principal_format(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            if not isinstance(node, JsonObject):
                continue
            for n in _strings(node.get("AWS")):
                v = n.value
                if v == "*" or _ACCOUNT_RX.match(v) or _has_var(v):
                    continue
                if _UNIQUE_ID_RX.match(v):
                    continue  # principal-unique-id
                if "*" in v or "?" in v:
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}": Principal does not support partial wildcards (use "*" '
                        "with a condition such as aws:PrincipalArn instead)",
                    )
                    continue
                p = _arn_fields(v)
                if p is None or p[2] not in ("iam", "sts"):
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}" is not an AWS principal: use an account id, an IAM/STS '
                        'ARN or "*"',
                    )
            for n in _strings(node.get("Service")):
                v = n.value
                if isinstance(n, IntrinsicString) or _has_var(v):
                    continue  # "lambda.${AWS::URLSuffix}": resolved at deploy time
                if v != "*" and not v.endswith(_SERVICE_SUFFIXES):
                    yield _f(
                        "malformed-principal",
                        n,
                        f'"{v}" is not a service principal (they end in '
                        '".amazonaws.com")',
                    )


@check(
    "rcp-unsupported",
    "error",
    "an element or effect resource control policies do not support",
)
def check_rcp(ctx: Context) -> Iterator[Finding]:
    """RCPs: Deny only, no NotAction/NotPrincipal, Principal "*".

    "Allow" is only supported in the default RCPFullAWSAccess policy (AWS
    Organizations user guide, "RCP syntax").
    """
    if ctx.policy_type != "rcp":
        return
    for st in ctx.doc.statements:
        effect = st.elements.get("Effect")
        full_access = (
            _vx(st, "Action") == ["*"]
            and _vx(st, "Resource") == ["*"]
            and st.elements.get("Condition") is None
        )
        if (
            isinstance(effect, JsonString)
            and effect.value == "Allow"
            and not full_access
        ):
            yield _f(
                "rcp-unsupported",
                effect,
                'RCP statements must use "Deny" ("Allow" is only supported in the '
                "default RCPFullAWSAccess policy)",
            )
        for key in ("NotAction", "NotPrincipal"):
            if st.elements.get(key) is not None:
                yield _f(
                    "rcp-unsupported",
                    _key_node(st, key),
                    f"resource control policies do not support {key}",
                )
        if isinstance(effect, JsonString) and effect.value == "Deny":
            for n in _strings(st.elements.get("Action")):
                svc = n.value.partition(":")[0].lower()
                if n.value != "*" and "*" not in svc and svc not in _RCP_SERVICES:
                    yield _f(
                        "rcp-unsupported",
                        n,
                        f'"{n.value}": resource control policies apply only to '
                        + ", ".join(sorted(_RCP_SERVICES))
                        + " (an RCP statement on other services has no effect)",
                    )
        principal = st.elements.get("Principal")
        if principal is not None and not (
            isinstance(principal, JsonString) and principal.value == "*"
        ):
            yield _f(
                "rcp-unsupported",
                principal,
                'the Principal of an RCP statement must be "*" (narrow it with '
                "conditions such as aws:PrincipalOrgID)",
                "warning",
            )


# The keys a Principal object takes (IAM JSON policy elements: Principal).
_PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")


@check(
    "invalid-principal-key",
    "error",
    "a Principal key other than AWS, Service, Federated or CanonicalUser",
)
def check_principal_key(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            if not isinstance(node, JsonObject):
                continue
            for m in node.members:
                name = m.key.value
                if name in _PRINCIPAL_KEYS:
                    continue
                fixed = next(
                    (k for k in _PRINCIPAL_KEYS if k.lower() == name.lower()), None
                )
                hint = (
                    f' (keys are case-sensitive: "{fixed}")'
                    if fixed
                    else ": use " + ", ".join(f'"{k}"' for k in _PRINCIPAL_KEYS)
                )
                yield _f(
                    "invalid-principal-key",
                    m.key,
                    f'"{name}" is not a principal key{hint}',
                )


# Web identity providers IAM names by domain instead of an oidc-provider ARN
# (IAM user guide, "AWS JSON policy elements: Principal", web identity session
# principals).
_WEB_IDENTITY_DOMAINS = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "www.amazon.com",
        "graph.facebook.com",
        "accounts.google.com",
    }
)
_PROVIDER_RX = re.compile(
    r"^arn:aws[a-z-]*:iam::(\d{12}|\*|\$\{[^}]+\}):(saml-provider/[\w.+=,@-]+|"
    r"oidc-provider/[^\s/][^\s]*)$"
)


@check(
    "invalid-federated-principal",
    "error",
    "a Federated principal that is neither a SAML/OIDC provider ARN nor a web "
    "identity provider",
)
def check_federated_syntax(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        node = st.elements.get("Principal")
        if not isinstance(node, JsonObject):
            continue
        for n in _strings(node.get("Federated")):
            v = n.value
            if (
                isinstance(n, IntrinsicString)
                or v.lower() in _WEB_IDENTITY_DOMAINS
                or _PROVIDER_RX.match(v)
                or (_has_var(v) and not v.startswith("arn:"))
            ):
                continue
            yield _f(
                "invalid-federated-principal",
                n,
                f'"{v}" is not a federated principal: use '
                '"arn:aws:iam::ACCOUNT:saml-provider/NAME", '
                '"arn:aws:iam::ACCOUNT:oidc-provider/HOST" or a web identity '
                "provider such as cognito-identity.amazonaws.com",
            )


_ROLE_RX = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")
_ASSUMED_RX = re.compile(
    r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[^/]+$"
)


@check(
    "redundant-trust-principal",
    "info",
    "an assumed-role session principal listed beside its own role",
)
def check_redundant_trust_principal(ctx: Context) -> Iterator[Finding]:
    if ctx.policy_type != "trust":
        return
    for st in ctx.doc.statements:
        node = st.elements.get("Principal")
        if not isinstance(node, JsonObject):
            continue
        nodes = _strings(node.get("AWS"))
        roles: dict[tuple[str, str, str], str] = {}
        for n in nodes:
            m = _ROLE_RX.match(n.value)
            if m:
                roles.setdefault((m[1], m[2], m[3]), n.value)
        if not roles:
            continue
        for n in nodes:
            a = _ASSUMED_RX.match(n.value)
            parent = roles.get((a[1], a[2], a[3])) if a else None
            if parent is not None:
                yield _f(
                    "redundant-trust-principal",
                    n,
                    f'"{n.value}" is redundant: its role "{parent}" is already '
                    "trusted; remove the session principal",
                )


@check(
    "principal-unique-id",
    "warning",
    "an IAM user or role unique id (AIDA..., AROA...) as a principal instead of its ARN",
)
def check_principal_unique_id(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Invalid role reference" / "Invalid user reference"."""
    for st in ctx.doc.statements:
        for key in ("Principal", "NotPrincipal"):
            node = st.elements.get(key)
            if not isinstance(node, JsonObject):
                continue
            for n in _strings(node.get("AWS")):
                m = _UNIQUE_ID_RX.match(n.value)
                if m is None:
                    continue
                kind = "user" if m[1] == "AIDA" else "role"
                yield _f(
                    "principal-unique-id",
                    n,
                    f'"{n.value}" is the unique id of an IAM {kind}: use the {kind} '
                    "ARN (an id names one incarnation: a deleted and re-created "
                    f"{kind} gets a new id, and the id in a trust or resource policy "
                    "usually means the original was deleted)",
                )
