"""Principal checks: forbidden or missing principals, principal format, RCP grammar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from accessdenied.policy.jsonpos import (
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
)

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
                if v != "*" and not v.endswith((".amazonaws.com", ".amazonaws.com.cn")):
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
