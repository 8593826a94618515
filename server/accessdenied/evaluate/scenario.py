"""Read one request in the iam-simulate harness input format into a Request and a PolicySet.

The format is described in shared/oracle/iam-simulate/README.md ("Input: one JSON object per
line"). With `"engine": "validated"` (the default) context keys that the catalog says do not
apply to the action are dropped, multivalued keys are wrapped into lists and lists given for
single-valued keys are cut to their first value, as the harness's validated engine does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accessdenied.evaluate.model import Policy, PolicySet
from accessdenied.evaluate.request import Request, parse_arn


class ScenarioError(ValueError):
    """The scenario object is not in the expected format."""


@dataclass(frozen=True)
class Scenario:
    """A parsed harness input line."""

    id: Any
    request: Request
    policy_set: PolicySet
    engine: str


def _policy(entry: Any, default_name: str) -> Policy:
    if isinstance(entry, Mapping) and "policy" in entry and "Statement" not in entry:
        doc = entry["policy"]
        name = entry.get("name") or default_name
    else:
        doc, name = entry, default_name
    if not isinstance(doc, Mapping):
        raise ScenarioError(f"{default_name}: a policy must be a JSON object")
    return Policy(document=doc, name=str(name))


def _policy_list(value: Any, prefix: str) -> tuple[Policy, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        raise ScenarioError(f"{prefix}: expected a list of policies")
    return tuple(_policy(v, f"{prefix}#{i}") for i, v in enumerate(value))


def _levels(value: Any, prefix: str) -> tuple[tuple[Policy, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScenarioError(f"{prefix}s: expected a list of organisation levels")
    levels = []
    for n, level in enumerate(value):
        if isinstance(level, Mapping) and "policies" in level:
            level = level["policies"]
        levels.append(_policy_list(level, f"{prefix}#{n}"))
    return tuple(levels)


def _merge(policies: tuple[Policy, ...], name: str) -> Policy | None:
    if not policies:
        return None
    if len(policies) == 1:
        return policies[0]
    statements: list[Any] = []
    for p in policies:
        st = p.document.get("Statement")
        statements.extend(st if isinstance(st, list) else [st])
    version = policies[0].document.get("Version")
    return Policy(document={"Version": version, "Statement": statements}, name=name)


def parse_scenario(obj: Any, catalog: Any = None) -> Scenario:
    """A harness input object -> Scenario; raises ScenarioError on bad input."""
    if not isinstance(obj, Mapping):
        raise ScenarioError("a scenario must be a JSON object")
    req = obj.get("request")
    if not isinstance(req, Mapping):
        raise ScenarioError("'request' is required and must be an object")
    principal = req.get("principal")
    if (
        isinstance(principal, Mapping)
        and str(principal.get("type", "")).lower() == "anonymous"
    ):
        principal = "anonymous"
    if not isinstance(principal, str) or not principal:
        raise ScenarioError("request.principal must be a string")
    action = req.get("action")
    if not isinstance(action, str) or not action:
        raise ScenarioError("request.action must be a string")
    resource = req.get("resource")
    account: str | None = None
    if isinstance(resource, Mapping):
        arn = resource.get("arn")
        acct = resource.get("accountId")
        account = str(acct) if acct is not None else None
    else:
        arn = resource
    if not isinstance(arn, str) or not arn:
        raise ScenarioError("request.resource must be an ARN or {arn, accountId}")
    context = req.get("context") or {}
    if not isinstance(context, Mapping):
        raise ScenarioError("request.context must be an object")
    engine = str(obj.get("engine") or "validated")
    ctx: dict[str, Any] = dict(context)
    if engine != "raw" and catalog is not None:
        settings = (
            obj.get("settings") if isinstance(obj.get("settings"), Mapping) else {}
        )
        abac = bool(settings.get("s3BucketAbacEnabled")) if settings else False
        ctx = validated_context(ctx, action, arn, catalog, s3_abac=abac)
    request = Request(
        principal=principal,
        action=action,
        resource=arn,
        resource_account=account,
        context=ctx,
    )
    resource_policy = obj.get("resourcePolicy")
    policy_set = PolicySet(
        identity=_policy_list(obj.get("identityPolicies"), "identity"),
        resource=_policy(resource_policy, "resource") if resource_policy else None,
        scps=_levels(obj.get("scps"), "scp"),
        rcps=_levels(obj.get("rcps"), "rcp"),
        boundary=_merge(
            _policy_list(obj.get("permissionBoundaries"), "boundary"), "boundary"
        ),
        session=_policy(obj["sessionPolicy"], "session")
        if obj.get("sessionPolicy")
        else None,
        vpc_endpoint=_policy_list(obj.get("vpcEndpointPolicies"), "vpce"),
    )
    return Scenario(obj.get("id"), request, policy_set, engine)


_TAG_KEYS = ("aws:resourcetag/",)
_TEMPLATE_RE = re.compile(r"(\$\{[^}]*\}|<[^>]*>)")


def _key_matches(template: str, key: str) -> bool:
    if "/" not in template:
        return template.lower() == key.lower()
    head = _TEMPLATE_RE.split(template)[0]
    return key.lower().startswith(head.lower()) and len(key) > len(head)


def validated_context(
    ctx: dict[str, Any],
    action: str,
    resource: str,
    catalog: Any,
    s3_abac: bool = False,
) -> dict[str, Any]:
    """Drop service keys the action does not support; fix single/multi-valued shapes."""
    try:
        act = catalog.action(action)
    except Exception:  # a catalog problem must not break simulation
        return ctx
    if act is None:
        return ctx
    supported: list[str] = list(getattr(act, "condition_keys", ()))
    try:
        for ar in catalog.action_resources(action):
            supported.extend(ar.condition_keys)
            supported.extend(getattr(ar.resource_type, "condition_keys", ()))
    except Exception:
        pass
    arn = parse_arn(resource)
    out: dict[str, Any] = {}
    for key, value in ctx.items():
        lower = key.lower()
        # Service keys, and aws:ResourceTag/*, exist only for the actions/resource
        # types that list them (Service Authorization Reference); S3 honours
        # aws:ResourceTag only with attribute-based access control enabled on the bucket.
        if (
            lower.startswith(_TAG_KEYS)
            and action.lower().startswith("s3:")
            and not s3_abac
        ):
            continue
        per_action = not lower.startswith("aws:") or lower.startswith(_TAG_KEYS)
        if (
            per_action
            and arn is not None
            and not any(_key_matches(t, key) for t in supported)
        ):
            continue
        try:
            info = catalog.condition_key(key, action)
        except Exception:
            info = None
        ktype = str(getattr(info, "type", "") or "")
        if ktype.startswith("ArrayOf"):
            if not isinstance(value, list):
                value = [value]
        elif info is not None and isinstance(value, list):
            value = value[0] if value else value
        out[key] = value
    return out
