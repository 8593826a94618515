"""Security warnings: PassRole, Allow with NotAction/NotResource/NotPrincipal, full access, escalation, trust."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from accessdenied.policy.jsonpos import (
    JsonNode,
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import (
    Finding,
    Statement,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

from accessdenied.policy.checks._base import (
    Context,
    _allow,
    _f,
    _glob,
    _key_node,
    _resource_star,
    _strings,
    _sx,
    _vx,
    check,
)
from accessdenied.policy.checks.principals import _WEB_IDENTITY_DOMAINS
from accessdenied.policy.checks.resources import (
    _ACCOUNT_RX,
)


def _grants(st: Statement, action: str) -> tuple[JsonNode, str] | None:
    """Where an Allow statement grants `action`, with words for the message.

    An Action entry that matches it ("*" included), or the NotAction key when no
    NotAction entry excludes it.
    """
    for n in _sx(st, "Action"):
        if (n.value == "*" or _may_be_iam(n.value)) and _glob(n.value, action, True):
            if n.value.lower() == action.lower():
                return n, action
            return n, f'"{n.value}" allows {action}'
    if st.elements.get("NotAction") is not None and not any(
        _glob(v, action, True) for v in _vx(st, "NotAction")
    ):
        return _key_node(st, "NotAction"), f"NotAction with Allow includes {action}"
    return None


def _on_every(st: Statement, what: str) -> str:
    if "*" in _vx(st, "Resource"):
        return f"on every {what}"
    return f"on every {what} NotResource leaves out"


@check("passrole-wildcard", "warning", "iam:PassRole allowed on every role")
def check_passrole(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Pass role with ...": any combination that passes every role.

    Star in action or resource, NotAction, NotResource.
    """
    if ctx.policy_type in ("scp", "rcp"):
        return  # an SCP or RCP Allow grants nothing
    for st in ctx.doc.statements:
        if not _allow(st) or not _resource_star(st):
            continue
        found = _grants(st, "iam:PassRole")
        if found is None:
            continue
        node, what = found
        yield _f(
            "passrole-wildcard",
            node,
            f"{what} {_on_every(st, 'role')}: any service can then act with any "
            "role's permissions; list the role ARNs instead",
        )


def _allow_with(
    ctx: Context, element: str, code: str, message: str
) -> Iterator[Finding]:
    """`code` on every Allow statement that uses the Not-element `element`."""
    for st in ctx.doc.statements:
        if _allow(st) and st.elements.get(element) is not None:
            yield _f(code, _key_node(st, element), message)


@check("allow-not-action", "warning", "NotAction with Allow grants everything else")
def check_allow_not_action(ctx: Context) -> Iterator[Finding]:
    yield from _allow_with(
        ctx,
        "NotAction",
        "allow-not-action",
        "Allow with NotAction grants every action not listed, including "
        "actions AWS adds later",
    )


@check("allow-not-resource", "warning", "NotResource with Allow grants everything else")
def check_allow_not_resource(ctx: Context) -> Iterator[Finding]:
    yield from _allow_with(
        ctx,
        "NotResource",
        "allow-not-resource",
        "Allow with NotResource grants access to every resource not listed, "
        "including ones created later",
    )


@check("allow-not-principal", "warning", "NotPrincipal with Allow")
def check_allow_not_principal(ctx: Context) -> Iterator[Finding]:
    yield from _allow_with(
        ctx,
        "NotPrincipal",
        "allow-not-principal",
        "Allow with NotPrincipal grants access to every principal not listed, "
        "anonymous users included",
    )


@check("full-access", "warning", 'Allow "*" (or "*:*") on every resource')
def check_full_access(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if not _allow(st) or "*" not in _vx(st, "Resource"):
            continue
        for n in _sx(st, "Action"):
            if n.value in ("*", "*:*"):
                yield _f(
                    "full-access",
                    n,
                    f'"{n.value}" on "*" grants full administrator access',
                )


def _may_be_iam(action: str) -> bool:
    """Whether an action pattern can match an `iam:` action at all (cheap filter)."""
    prefix = action.partition(":")[0].lower()
    return prefix == "iam" or "*" in prefix or "?" in prefix


_ESCALATION = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)


@check(
    "privilege-escalation",
    "warning",
    "actions that let a principal raise its own permissions, on every resource",
)
def check_privilege_escalation(ctx: Context) -> Iterator[Finding]:
    for st in ctx.doc.statements:
        if not _allow(st) or not _resource_star(st):
            continue
        for n in _sx(st, "Action"):
            if n.value in ("*", "*:*"):
                continue  # full-access says it
            if not _may_be_iam(n.value):
                continue
            hits = [a for a in _ESCALATION if _glob(n.value, a, True)]
            if hits:
                shown = ", ".join(hits[:3]) + ("..." if len(hits) > 3 else "")
                yield _f(
                    "privilege-escalation",
                    n,
                    f'"{n.value}" on every resource allows privilege escalation '
                    f"({shown}); scope it to specific ARNs",
                    actions=hits,
                )


@check(
    "cross-account-trust-without-condition",
    "warning",
    "another account (or everyone) may assume the role with no condition",
)
def check_cross_account_trust(ctx: Context) -> Iterator[Finding]:
    ptype = ctx.policy_type
    for st in ctx.doc.statements:
        if not _allow(st) or st.elements.get("Condition") is not None:
            continue
        acts = [v.lower() for v in _vx(st, "Action")]
        assume = any(
            a.startswith("sts:assumerole") or a in ("sts:*", "*") for a in acts
        )
        if not assume or (ptype not in (None, "trust") and ptype != "resource"):
            continue
        principal = st.elements.get("Principal")
        nodes: list[JsonString] = []
        if isinstance(principal, JsonString) and principal.value == "*":
            nodes = [principal]
        elif isinstance(principal, JsonObject):
            for n in _strings(principal.get("AWS")):
                v = n.value
                if v == "*" or _ACCOUNT_RX.match(v) or v.endswith(":root"):
                    nodes.append(n)
        for n in nodes:
            who = "anyone" if n.value == "*" else f"account {n.value}"
            # Principal "*" with no condition: every AWS account in the world may
            # assume the role ("Role trust policy unsupported wildcard in principal").
            yield _f(
                "cross-account-trust-without-condition",
                n,
                f"{who} may assume this role with no Condition: add "
                "sts:ExternalId, aws:PrincipalOrgID or aws:PrincipalArn",
                "error" if n.value == "*" and ptype == "trust" else None,
            )


@check(
    "oidc-trust-without-subject",
    "warning",
    "a GitHub/OIDC web-identity trust without a subject condition",
)
def check_oidc_trust(ctx: Context) -> Iterator[Finding]:
    """A web-identity trust must test the provider's own claims.

    GitHub Actions must pin `token.actions.githubusercontent.com:sub` (else any
    repository on GitHub can assume the role: Access Analyzer "Missing github repo
    condition key"); any other OIDC provider needs a condition key with its prefix
    ("Missing condition key for oidc principal").
    """
    for st in ctx.doc.statements:
        principal = st.elements.get("Principal")
        if not _allow(st) or not isinstance(principal, JsonObject):
            continue
        for n in _strings(principal.get("Federated")):
            v = n.value
            if "oidc-provider/" in v:
                provider = v.rsplit("oidc-provider/", 1)[-1]
            elif v.lower() in _WEB_IDENTITY_DOMAINS:
                provider = v.lower()
            else:
                continue  # SAML providers and malformed values: other checks
            if not provider or "${" in provider:
                continue
            keys: set[str] = set()
            cond = st.elements.get("Condition")
            if isinstance(cond, JsonObject):
                for block in cond.members:
                    if isinstance(block.value, JsonObject):
                        keys.update(m.key.value.lower() for m in block.value.members)
            if provider == "token.actions.githubusercontent.com":
                if f"{provider}:sub" not in keys:
                    yield _f(
                        "oidc-trust-without-subject",
                        n,
                        "any GitHub repository can assume this role: add a condition "
                        f'on "{provider}:sub" (for example '
                        '"repo:my-org/my-repo:ref:refs/heads/main")',
                    )
            elif not any(k.startswith(provider.lower() + ":") for k in keys):
                yield _f(
                    "oidc-trust-without-subject",
                    n,
                    f'any identity "{provider}" issues a token to can assume this '
                    f'role: add a condition on "{provider}:aud" (the client id) '
                    f'and "{provider}:sub"',
                )


_GITHUB_SUB = "token.actions.githubusercontent.com:sub"


@check(
    "github-subject-wildcard",
    "warning",
    "a GitHub OIDC trust whose subject condition has a wildcard repository or branch",
)
def check_github_subject_wildcard(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Specific github repo and branch recommended".

    `repo:my-org/*` or `repo:my-org/app:*` lets every repository of the owner, or
    every branch, pull request and environment, assume the role.
    """
    for st in ctx.doc.statements:
        if not _allow(st):
            continue
        cond = st.elements.get("Condition")
        if not isinstance(cond, JsonObject):
            continue
        for block in cond.members:
            if not isinstance(block.value, JsonObject):
                continue
            for km in block.value.members:
                if km.key.value.lower() != _GITHUB_SUB:
                    continue
                for n in _strings(km.value):
                    v = n.value
                    if "*" not in v and "?" not in v:
                        continue
                    yield _f(
                        "github-subject-wildcard",
                        n,
                        f'"{v}": a wildcard in {_GITHUB_SUB} trusts more than one '
                        "repository or branch; name them, for example "
                        '"repo:my-org/my-repo:ref:refs/heads/main"',
                    )


_TAG_FAMILIES = ("aws:resourcetag", "aws:requesttag", "aws:tagkeys")
_TAG_SUPPORT: dict[tuple[int, str], frozenset[str]] = {}


def _tag_support(cat: Catalog, prefix: str) -> frozenset[str] | None:
    """The global tag key families any action or resource type of a service lists.

    None for a service the catalog does not know. Computed once per service.
    """
    key = (id(cat), prefix)
    found = _TAG_SUPPORT.get(key)
    if found is not None:
        return found
    svc = cat.service(prefix)
    if svc is None or prefix == "tag":
        # The Resource Groups Tagging API (tag:TagResources) carries the request's
        # tags through although its reference lists no tag keys: AWS managed
        # policies guard it with aws:TagKeys.
        return None
    raw: set[str] = set()
    for a in svc.actions:
        raw.update(a.condition_keys)
        for ar in a.resources:
            raw.update(ar.condition_keys)
    for rt in svc.resource_types:
        raw.update(rt.condition_keys)
    fams = frozenset(
        f for f in _TAG_FAMILIES if any(k.lower().split("/", 1)[0] == f for k in raw)
    )
    _TAG_SUPPORT[key] = fams
    return fams


@check(
    "tag-key-unsupported-service",
    "info",
    "a tag condition key (aws:ResourceTag, aws:RequestTag, aws:TagKeys) on actions "
    "of a service that does not support it (a warning in a Deny)",
)
def check_tag_key_service(ctx: Context) -> Iterator[Finding]:
    """Access Analyzer "Allow/Deny with unsupported tag condition key for service".

    The key is never in those requests: an Allow never grants, and a Deny never
    denies (the worse case: it looks like a guard and is none).
    """
    cat = ctx.catalog
    if cat is None:
        return
    for st in ctx.doc.statements:
        cond = st.elements.get("Condition")
        if not isinstance(cond, JsonObject):
            continue
        keys = [
            km.key
            for block in cond.members
            if isinstance(block.value, JsonObject)
            for km in block.value.members
            if km.key.value.lower().split("/", 1)[0] in _TAG_FAMILIES
        ]
        if not keys:
            continue
        deny = st.effect == "Deny"
        if st.elements.get("NotAction") is not None:
            # "Deny/Allow NotAction with unsupported tag condition key for service":
            # the actions NotAction leaves in include services without the key.
            for key in keys:
                yield _f(
                    "tag-key-unsupported-service",
                    key,
                    f'NotAction with "{key.value}": the statement covers actions of '
                    "services that do not support this key, so "
                    + (
                        "it never denies them"
                        if deny
                        else "it allows only the actions that do"
                    )
                    + "; list the actions with Action instead",
                    "warning" if deny else None,
                )
            continue
        prefixes = sorted(
            {
                v.partition(":")[0].lower()
                for v in _vx(st, "Action")
                if ":" in v and not any(c in v.partition(":")[0] for c in "*?$")
            }
        )
        for key in keys:
            fam = key.value.lower().split("/", 1)[0]
            missing = [
                p
                for p in prefixes
                if (s := _tag_support(cat, p)) is not None and fam not in s
            ]
            if not missing:
                continue
            effect = "Deny never applies" if deny else "Allow never grants"
            yield _f(
                "tag-key-unsupported-service",
                key,
                f'{", ".join(missing)} does not support "{key.value}" (service '
                f"authorization reference): this {effect} to "
                f"{'its' if len(missing) == 1 else 'their'} actions",
                "warning" if deny else None,
            )
