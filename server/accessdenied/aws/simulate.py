"""Cross-check a (fixed) policy set with IAM's policy simulator and compare with ours.

iam:SimulateCustomPolicy evaluates the given documents; iam:SimulatePrincipalPolicy
evaluates the principal's deployed policies plus the proposed ones. A disagreement with
`accessdenied.evaluate` is logged with both inputs (credentials are never part of them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from accessdenied.aws.model import CrossCheck, LiveFinding, Verdict
from accessdenied.aws.principals import entity_of
from accessdenied.aws.safety import redact
from accessdenied.aws.session import Clients, attempt

logger = logging.getLogger(__name__)

#: IAM's EvalDecision -> our decision vocabulary.
AWS_DECISIONS = {
    "allowed": "allowed",
    "implicitdeny": "implicit_deny",
    "explicitdeny": "explicit_deny",
}


def _decision(result: Mapping[str, Any] | None) -> tuple[str | None, str]:
    if not result:
        return None, ""
    results = result.get("EvaluationResults") or []
    if not results:
        return None, "no evaluation result"
    first = results[0]
    raw = str(first.get("EvalDecision", ""))
    matched = [
        str(s.get("SourcePolicyId") or s.get("SourcePolicyType") or "?")
        for s in first.get("MatchedStatements") or []
    ]
    detail = f"EvalDecision={raw}"
    if matched:
        detail += "; matched " + ", ".join(matched)
    missing = first.get("MissingContextValues") or []
    if missing:
        detail += "; missing context " + ", ".join(str(m) for m in missing)
    return AWS_DECISIONS.get(raw.lower()), detail


def _context_entries(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for key, value in context.items():
        values = (
            [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        )
        entries.append(
            {
                "ContextKeyName": key,
                "ContextKeyValues": values,
                "ContextKeyType": "stringList" if len(values) > 1 else "string",
            }
        )
    return entries


def simulate(
    clients: Clients,
    *,
    principal: str,
    action: str,
    resource: str,
    identity: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    principal_policy: bool = True,
) -> tuple[tuple[Verdict, ...], tuple[LiveFinding, ...]]:
    """AWS's verdicts for the request: SimulateCustomPolicy, then SimulatePrincipalPolicy."""
    iam = clients.client("iam")
    findings: list[LiveFinding] = []
    verdicts: list[Verdict] = []
    common: dict[str, Any] = {"ActionNames": [action], "ResourceArns": [resource]}
    if context:
        common["ContextEntries"] = _context_entries(context)
    custom: dict[str, Any] = {
        **common,
        "PolicyInputList": [json.dumps(dict(d)) for d in identity],
    }
    if boundary is not None:
        custom["PermissionsBoundaryPolicyInputList"] = [json.dumps(dict(boundary))]
    if resource_policy is not None:
        custom["ResourcePolicy"] = json.dumps(dict(resource_policy))
        custom["CallerArn"] = _caller_arn(principal)
    out = attempt(
        findings,
        "iam",
        "SimulateCustomPolicy",
        f"simulate {action} on {resource}",
        lambda: iam.simulate_custom_policy(**custom),
    )
    decision, detail = _decision(out)
    verdicts.append(Verdict("iam:SimulateCustomPolicy", decision, detail))
    entity = entity_of(principal)
    if principal_policy and entity is not None:
        source = _caller_arn(principal)
        extra: dict[str, Any] = {**common, "PolicySourceArn": source}
        if identity:
            extra["PolicyInputList"] = [json.dumps(dict(d)) for d in identity]
        if resource_policy is not None:
            extra["ResourcePolicy"] = json.dumps(dict(resource_policy))
        out = attempt(
            findings,
            "iam",
            "SimulatePrincipalPolicy",
            f"simulate {action} on {resource} for {source}",
            lambda: iam.simulate_principal_policy(**extra),
        )
        decision, detail = _decision(out)
        verdicts.append(Verdict("iam:SimulatePrincipalPolicy", decision, detail))
    return tuple(verdicts), tuple(findings)


def _caller_arn(principal: str) -> str:
    """SimulatePrincipalPolicy wants the IAM role/user ARN, not the session ARN."""
    entity = entity_of(principal)
    if entity is None or ":assumed-role/" not in principal:
        return principal
    partition, _, rest = principal[4:].partition(":")
    account = rest.split(":", 3)[2] if rest.count(":") >= 2 else ""
    return f"arn:{partition}:iam::{account}:role/{entity[1]}"


def cross_check(
    clients: Clients,
    *,
    principal: str,
    action: str,
    resource: str,
    identity: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    principal_policy: bool = True,
) -> CrossCheck:
    """Evaluate with `accessdenied.evaluate` and with IAM's simulator; log disagreement."""
    from accessdenied.evaluate import Policy, PolicySet, Request, evaluate

    policy_set = PolicySet(
        identity=tuple(
            Policy(document=d, name=f"proposed-{i}") for i, d in enumerate(identity)
        ),
        resource=Policy(document=resource_policy)
        if resource_policy is not None
        else None,
        boundary=Policy(document=boundary) if boundary is not None else None,
    )
    request = Request(principal, action, resource, context=dict(context or {}))
    try:
        ours_decision = evaluate(request, policy_set)
        ours = Verdict("accessdenied", ours_decision.decision, ours_decision.explain())
    except Exception as exc:  # our evaluator failing is a bug, but never a crash here
        logger.exception("accessdenied.evaluate failed during cross-check")
        ours = Verdict("accessdenied", None, f"evaluation failed: {exc}")
    aws, findings = simulate(
        clients,
        principal=principal,
        action=action,
        resource=resource,
        identity=identity,
        boundary=boundary,
        resource_policy=resource_policy,
        context=context,
        principal_policy=principal_policy,
    )
    check = CrossCheck(action, resource, ours, aws, findings)
    if check.agree is False:
        inputs = {
            "principal": principal,
            "action": action,
            "resource": resource,
            "context": dict(context or {}),
            "identity": [dict(d) for d in identity],
            "boundary": boundary,
            "resource_policy": resource_policy,
        }
        verdicts = {v.source: v.decision for v in (ours, *aws)}
        message = redact(
            "live cross-check disagreement: "
            + json.dumps(verdicts, sort_keys=True)
            + " inputs="
            + json.dumps(inputs, sort_keys=True, default=str)
        )
        logger.warning("%s", message)
        check = CrossCheck(
            action,
            resource,
            ours,
            aws,
            (*findings, LiveFinding("live-disagreement", "warning", message)),
        )
    return check
