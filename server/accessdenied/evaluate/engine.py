"""`evaluate(request, policy_set) -> Decision`: AWS's policy evaluation logic, pure.

The flow follows the documented enforcement order
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
1. an explicit Deny in any applicable policy wins;
2. RCPs, 3. SCPs: every organisation level must allow;
4. a same-account resource-based policy can allow on its own, depending on how it names the
   caller (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html);
5. identity-based policies, 6. the permissions boundary, 7. the session policy.
Cross-account requests need both the identity side and the resource policy
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
Role trust policies and KMS key policies must allow even within the account
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_compare-resource-policies.html).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accessdenied.evaluate.conditions import evaluate_conditions
from accessdenied.evaluate.matching import (
    MAX_REGEX_WILDCARDS,
    PrincipalMatch,
    action_regex,
    as_list,
    has_variables,
    match_principal,
    match_resource,
    resource_regex,
    tokenize,
)
from accessdenied.evaluate.model import (
    BOUNDARY,
    IDENTITY,
    POLICY_TYPES,
    RCP,
    RESOURCE,
    SCP,
    SESSION,
    VPC_ENDPOINT,
    Decision,
    Policy,
    PolicySet,
    Reason,
)
from accessdenied.evaluate.request import (
    ContextValue,
    PrincipalInfo,
    Request,
    parse_arn,
)

VARIABLES_VERSION = "2012-10-17"
_RANK = {"direct": 0, "role": 1, "user": 2, "account": 3}


class _AnyOf:
    """`fullmatch` over per-pattern matchers.

    Used when one pattern is too wild for a combined regex (MAX_REGEX_WILDCARDS).
    """

    __slots__ = ("matchers",)

    def __init__(self, matchers: list[Any]) -> None:
        self.matchers = matchers

    def fullmatch(self, text: str) -> bool | None:
        return True if any(m.fullmatch(text) for m in self.matchers) else None


def _too_wild(patterns: tuple[str, ...]) -> bool:
    return any(
        sum(1 for kind, _ in tokenize(p, None) if kind != "lit") > MAX_REGEX_WILDCARDS
        for p in patterns
    )


@functools.lru_cache(maxsize=8192)
def _actions_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    if _too_wild(patterns):
        return _AnyOf([action_regex(p) for p in patterns])  # type: ignore[return-value]
    parts = []
    for p in patterns:
        out = []
        for kind, text in tokenize(p, None):
            out.append(
                re.escape(text) if kind == "lit" else (".*" if kind == "*" else ".")
            )
        parts.append("".join(out))
    return re.compile("(?:" + "|".join(parts) + ")", re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=8192)
def _resources_regex(resources: tuple[str, ...]) -> re.Pattern[str]:
    if _too_wild(resources):
        return _AnyOf([resource_regex(r, None) for r in resources])  # type: ignore[return-value]
    return re.compile(
        "|".join(f"(?:{resource_regex(r, None).pattern})" for r in resources),
        re.DOTALL,
    )


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """One statement, pre-digested for fast matching."""

    index: int
    sid: str | None
    effect: str | None
    actions: re.Pattern[str] | None
    not_action: bool
    resources: tuple[str, ...] | None
    resources_static: re.Pattern[str] | None
    not_resource: bool
    principal: Any
    not_principal: bool
    has_principal: bool
    condition: Any


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy's statements plus whether policy variables are substituted."""

    statements: tuple[CompiledStatement, ...]
    variables: bool


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in as_list(value) if isinstance(v, str))


def _compile_statement(
    index: int, st: Mapping[str, Any], variables: bool
) -> CompiledStatement:
    sid = st.get("Sid")
    effect = st.get("Effect")
    not_action = "Action" not in st and "NotAction" in st
    acts = _strings(st.get("NotAction") if not_action else st.get("Action"))
    actions = _actions_regex(acts) if acts else None
    not_resource = "Resource" not in st and "NotResource" in st
    resources: tuple[str, ...] | None = None
    static: re.Pattern[str] | None = None
    if "Resource" in st or "NotResource" in st:
        resources = _strings(
            st.get("NotResource") if not_resource else st.get("Resource")
        )
        if resources and not (variables and any(has_variables(r) for r in resources)):
            static = _resources_regex(resources)
    not_principal = "Principal" not in st and "NotPrincipal" in st
    return CompiledStatement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=effect if effect in ("Allow", "Deny") else None,
        actions=actions,
        not_action=not_action,
        resources=resources,
        resources_static=static,
        not_resource=not_resource,
        principal=st.get("NotPrincipal") if not_principal else st.get("Principal"),
        not_principal=not_principal,
        has_principal="Principal" in st or "NotPrincipal" in st,
        condition=st.get("Condition"),
    )


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The compiled form of a policy (cached on the Policy object)."""
    cached = policy._compiled
    if cached is not None:
        assert isinstance(cached, CompiledPolicy)
        return cached
    doc = policy.document
    version = doc.get("Version") if isinstance(doc, Mapping) else None
    # Variables are substituted only with Version 2012-10-17; otherwise `${...}` is text
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
    variables = version == VARIABLES_VERSION
    raw = doc.get("Statement") if isinstance(doc, Mapping) else None
    items = (
        raw if isinstance(raw, list) else ([raw] if isinstance(raw, Mapping) else [])
    )
    statements = tuple(
        _compile_statement(i, st, variables)
        for i, st in enumerate(items)
        if isinstance(st, Mapping)
    )
    compiled = CompiledPolicy(statements, variables)
    object.__setattr__(policy, "_compiled", compiled)
    return compiled


@dataclass(slots=True)
class _Hit:
    reason: Reason
    match: PrincipalMatch | None


@dataclass(slots=True)
class _Env:
    action: str
    resource: str
    ctx: dict[str, ContextValue]
    principal: PrincipalInfo
    boundary_present: bool
    notes: list[str]


def _statement_hits(
    st: CompiledStatement,
    env: _Env,
    variables: bool,
    principal_rule: str,
) -> tuple[bool, PrincipalMatch | None]:
    if st.effect is None or st.actions is None:
        return False, None
    if (st.actions.fullmatch(env.action) is not None) == st.not_action:
        return False, None
    if st.resources is not None:
        if st.resources_static is not None:
            hit = st.resources_static.fullmatch(env.resource) is not None
        elif not st.resources:
            hit = False
        else:
            got = match_resource(st.resources, env.resource, env.ctx)
            if got is None:
                return False, None
            hit = got
        if hit == st.not_resource:
            return False, None
    match: PrincipalMatch | None = None
    if principal_rule != "ignore":
        if not st.has_principal:
            if principal_rule == "required":
                return False, None
        elif st.not_principal:
            # NotPrincipal with Deny always applies to IAM principals that have a
            # permissions boundary (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
            boundary_rule = (
                st.effect == "Deny"
                and env.boundary_present
                and env.principal.is_iam
                and env.principal.kind != "root"
            )
            if (
                not boundary_rule
                and match_principal(st.principal, env.principal) is not None
            ):
                return False, None
            match = "direct"
        else:
            match = match_principal(st.principal, env.principal)
            if match is None:
                return False, None
            if match == "account" and principal_rule == "endpoint":
                # In an endpoint policy an account id names only the account root user
                # (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
                return False, None
    if st.condition is not None:
        ok, why = evaluate_conditions(st.condition, env.ctx, variables)
        if not ok:
            if why is not None and why.startswith("unknown condition operator"):
                env.notes.append(f"statement #{st.index}: {why}")
            return False, None
    return True, match


def _run_policy(
    policy: Policy,
    policy_type: str,
    env: _Env,
    principal_rule: str = "ignore",
    org_level: int | None = None,
) -> tuple[list[_Hit], list[_Hit]]:
    """Matching (allows, denies) of one policy."""
    compiled = compile_policy(policy)
    allows: list[_Hit] = []
    denies: list[_Hit] = []
    for st in compiled.statements:
        ok, match = _statement_hits(st, env, compiled.variables, principal_rule)
        if not ok:
            continue
        reason = Reason(
            policy_type=policy_type,
            policy_name=policy.name,
            file=policy.file,
            line=policy.line_of(st.index),
            sid=st.sid,
            effect=st.effect or "",
            statement_index=st.index,
            org_level=org_level,
            principal_match=match if policy_type == RESOURCE else None,
        )
        (allows if st.effect == "Allow" else denies).append(_Hit(reason, match))
    return allows, denies


def infer_resource_kind(action: str, resource: str) -> str:
    """Classify the resource policy: trust (sts:AssumeRole* on a role), kms, resource."""
    a = action.lower()
    arn = parse_arn(resource)
    if arn is None:
        return "resource"
    if (
        arn.service == "iam"
        and arn.resource.startswith("role/")
        and a.startswith(("sts:assumerole", "sts:tagsession", "sts:setsourceidentity"))
    ):
        return "trust"
    if arn.service == "kms" and arn.resource.startswith("key/"):
        return "kms"
    return "resource"


def _best(hits: Sequence[_Hit]) -> PrincipalMatch | None:
    best: PrincipalMatch | None = None
    for h in hits:
        if h.match is not None and (best is None or _RANK[h.match] < _RANK[best]):
            best = h.match
    return best


def evaluate(request: Request, policy_set: PolicySet) -> Decision:
    """Decide a request against a policy set, with the reasons."""
    p = request.principal_info
    linked = (
        request.service_linked_role
        if request.service_linked_role is not None
        else p.service_linked
    )
    res_account = request.effective_resource_account()
    same_account = p.account is None or res_account is None or p.account == res_account
    notes: list[str] = []
    env = _Env(
        action=request.action,
        resource=request.resource,
        ctx=request.normalized_context(),
        principal=p,
        boundary_present=policy_set.boundary is not None,
        notes=notes,
    )
    mgmt = policy_set.management_account
    iam = p.is_iam
    per_type: dict[str, str] = dict.fromkeys(POLICY_TYPES, "not_applicable")
    matched: list[Reason] = []
    denies: list[Reason] = []

    # Identity-side policy types exist only for IAM principals.
    identity_allows: list[_Hit] = []
    if iam and p.kind != "root":
        for pol in policy_set.identity:
            a, d = _run_policy(pol, IDENTITY, env)
            identity_allows += a
            denies += [h.reason for h in d]
            matched += [h.reason for h in a + d]
        per_type[IDENTITY] = "allowed" if identity_allows else "implicit_deny"
    elif policy_set.identity and not iam:
        notes.append(f"identity policies do not apply to a {p.kind} principal")

    boundary_ok = True
    if policy_set.boundary is not None and iam and p.kind != "root":
        a, d = _run_policy(policy_set.boundary, BOUNDARY, env)
        denies += [h.reason for h in d]
        matched += [h.reason for h in a + d]
        boundary_ok = bool(a)
        per_type[BOUNDARY] = "allowed" if a else "implicit_deny"

    session_ok = True
    if policy_set.session is not None:
        if p.is_session_capable:
            a, d = _run_policy(policy_set.session, SESSION, env)
            denies += [h.reason for h in d]
            matched += [h.reason for h in a + d]
            session_ok = bool(a)
            per_type[SESSION] = "allowed" if a else "implicit_deny"
        else:
            notes.append(f"a session policy does not apply to a {p.kind} principal")

    # SCPs limit principals of member accounts, not the management account or
    # service-linked roles (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
    scp_ok = True
    if policy_set.scps:
        if iam and not linked and not (mgmt is not None and p.account == mgmt):
            for level, policies in enumerate(policy_set.scps):
                level_allows = False
                for pol in policies:
                    a, d = _run_policy(pol, SCP, env, org_level=level)
                    level_allows = level_allows or bool(a)
                    denies += [h.reason for h in d]
                    matched += [h.reason for h in a + d]
                scp_ok = scp_ok and level_allows
            per_type[SCP] = "allowed" if scp_ok else "implicit_deny"
        else:
            notes.append("SCPs do not apply to this principal")

    # RCPs limit resources of member accounts; RCPFullAWSAccess sits on every level
    # (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
    rcp_ok = True
    service = request.action.split(":", 1)[0].lower()
    rcp_service_ok = (
        policy_set.rcp_services is None or service in policy_set.rcp_services
    )
    if policy_set.rcps:
        if (
            rcp_service_ok
            and not linked
            and not (mgmt is not None and res_account == mgmt)
        ):
            for level, policies in enumerate(policy_set.rcps):
                level_allows = policy_set.rcp_full_access
                for pol in policies:
                    a, d = _run_policy(pol, RCP, env, "optional", org_level=level)
                    level_allows = level_allows or bool(a)
                    denies += [h.reason for h in d]
                    matched += [h.reason for h in a + d]
                rcp_ok = rcp_ok and level_allows
            per_type[RCP] = "allowed" if rcp_ok else "implicit_deny"
        else:
            notes.append("RCPs do not apply to this request")

    vpce_ok = True
    if policy_set.vpc_endpoint:
        for pol in policy_set.vpc_endpoint:
            a, d = _run_policy(pol, VPC_ENDPOINT, env, "endpoint")
            denies += [h.reason for h in d]
            matched += [h.reason for h in a + d]
            vpce_ok = vpce_ok and bool(a)
        per_type[VPC_ENDPOINT] = "allowed" if vpce_ok else "implicit_deny"

    kind = policy_set.resource_kind or infer_resource_kind(
        request.action, request.resource
    )
    resource_allows: list[_Hit] = []
    if policy_set.resource is not None:
        a, d = _run_policy(policy_set.resource, RESOURCE, env, "required")
        resource_allows = a
        denies += [h.reason for h in d]
        matched += [h.reason for h in a + d]
        per_type[RESOURCE] = "allowed" if a else "implicit_deny"
    rmatch = _best(resource_allows)

    for r in denies:
        per_type[r.policy_type] = "explicit_deny"
    common: dict[str, Any] = {
        "per_type": per_type,
        "matched": tuple(matched),
        "same_account": same_account,
        "resource_match": rmatch,
    }
    if denies:
        blocked = tuple(dict.fromkeys(r.policy_type for r in denies))
        return Decision(
            "explicit_deny",
            tuple(denies),
            blocked_by=blocked,
            notes=tuple(notes),
            **common,
        )

    guard = [
        t for t, ok in ((RCP, rcp_ok), (SCP, scp_ok), (VPC_ENDPOINT, vpce_ok)) if not ok
    ]
    if guard:
        return Decision(
            "implicit_deny", (), blocked_by=tuple(guard), notes=tuple(notes), **common
        )

    # Root has full access in its own account (policy evaluation logic, principles).
    ident_ok = bool(identity_allows) or p.kind == "root"
    limits_ok = boundary_ok and session_ok
    identity_side = ident_ok and limits_ok
    res_reasons = tuple(h.reason for h in resource_allows)
    id_reasons = tuple(h.reason for h in identity_allows)

    allowed = False
    reasons: tuple[Reason, ...] = ()
    if not iam:
        # Anonymous, service and federated callers have only resource-based policies.
        allowed = rmatch is not None and rmatch != "account"
        reasons = res_reasons
    elif same_account and rmatch == "direct":
        # Naming the user, the role session or the federated-user session: the resource
        # policy allows on its own, whatever the identity policies, boundary or session
        # policy say (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
        allowed, reasons = True, res_reasons
    elif same_account and rmatch in ("role", "user"):
        # Naming the role ARN (or the user who federated): still limited by an implicit
        # deny in the permissions boundary or the session policy.
        allowed, reasons = limits_ok, res_reasons
    elif same_account and kind == "resource":
        allowed, reasons = identity_side, id_reasons
    else:
        # Cross-account, or a trust/key policy: both sides must allow.
        allowed = identity_side and rmatch is not None
        reasons = id_reasons + res_reasons
    if allowed:
        return Decision("allowed", reasons, notes=tuple(notes), **common)

    blocked_list: list[str] = []
    resource_carries = iam and same_account and rmatch in ("role", "user")
    if not ident_ok and not resource_carries:
        blocked_list.append(IDENTITY)
    if not boundary_ok:
        blocked_list.append(BOUNDARY)
    if not session_ok:
        blocked_list.append(SESSION)
    if rmatch is None and (not iam or not same_account or kind != "resource"):
        blocked_list.append(RESOURCE)
        if kind != "resource" and policy_set.resource is None:
            what = "role trust policy" if kind == "trust" else "KMS key policy"
            notes.append(f"a {what} must allow this principal and none was given")
    return Decision(
        "implicit_deny",
        (),
        blocked_by=tuple(blocked_list),
        notes=tuple(notes),
        **common,
    )
