"""The oracle's documented errors: where iam-simulate 0.1.173 differs from the AWS docs.

Numbers follow shared/oracle/iam-simulate/README.md, "Known differences and limitations".
`explain(case, mine, oracle)` names the known error that accounts for a disagreement, or
returns None (then the differential test fails).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

from accessdenied.evaluate import evaluate, infer_resource_kind
from accessdenied.evaluate.request import parse_principal
from accessdenied.evaluate.scenario import parse_scenario

KNOWN_ERRORS = {
    1: (
        "A resource-based policy naming an assumed-role session ARN is not limited by the "
        "session policy; the oracle stops at the session policy's implicit deny.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
    ),
    2: (
        "With Version 2008-10-17 or no Version, ${...} is literal text; the oracle "
        "substitutes policy variables anyway.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html",
    ),
    3: (
        "A `*` that ends an ARN segment of a Resource can expand beyond the colon "
        "boundaries; the oracle matches segment by segment (padding short ARNs).",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html",
    ),
    4: (
        "The oracle matches the partition, service, region and account of a Resource "
        "case-insensitively; ARNs are case-sensitive (only the resource part is "
        "documented as case-sensitive, so this is a low-confidence reading).",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html",
    ),
    7: (
        "The oracle reads numbers leniently (parseInt: '300abc' is 300); Numeric "
        "operators compare numbers, and a value that is not a number does not match.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric",
    ),
    9: (
        "The raw engine skips the service-specific rules: a role trust policy must allow "
        "sts:AssumeRole even within the account, and a KMS key policy must allow (or "
        "trust the account) for any KMS access.",
        "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
    ),
    13: (
        "Found by this test (not in the oracle README): the oracle ignores the Principal "
        "and NotPrincipal of VPC endpoint policies. AWS: an endpoint policy controls "
        "which principals can use the endpoint and must contain a Principal element; "
        "an account id there names only the account root user.",
        "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
    ),
}


def _policies(case: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from case.get("identityPolicies") or []
    if case.get("resourcePolicy"):
        yield case["resourcePolicy"]
    for level in (case.get("scps") or []) + (case.get("rcps") or []):
        yield from level
    yield from case.get("permissionBoundaries") or []
    if case.get("sessionPolicy"):
        yield case["sessionPolicy"]


def _statements(case: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for doc in _policies(case):
        yield from doc.get("Statement", [])


def _error_1(case: dict[str, Any], catalog: Any = None) -> bool:
    # We allow through a resource policy that names the session (or everyone) although
    # the session policy does not allow; the oracle stops at the session policy.
    if not case.get("sessionPolicy"):
        return False
    s = parse_scenario(case, catalog=catalog)
    d = evaluate(s.request, s.policy_set)
    return (
        d.decision == "allowed"
        and d.resource_match == "direct"
        and d.per_type["session"] == "implicit_deny"
    )


def _error_2(case: dict[str, Any]) -> bool:
    return any(
        doc.get("Version") != "2012-10-17" and "${" in json.dumps(doc)
        for doc in _policies(case)
    )


def _segment_crossing(pattern: str) -> bool:
    head = pattern.split(":", 5)
    return pattern != "*" and (
        len(head) < 6 or re.search(r"\*:", ":".join(head[:5])) is not None
    )


def _error_3(case: dict[str, Any]) -> bool:
    for s in _statements(case):
        for key in ("Resource", "NotResource"):
            value = s.get(key)
            patterns = value if isinstance(value, list) else [value] if value else []
            if any(isinstance(p, str) and _segment_crossing(p) for p in patterns):
                return True
    return False


def _error_9(case: dict[str, Any]) -> bool:
    req = case["request"]
    arn = (
        req["resource"]["arn"] if isinstance(req["resource"], dict) else req["resource"]
    )
    return infer_resource_kind(req["action"], arn) != "resource"


def _arn_head_lower(pattern: Any) -> Any:
    if not isinstance(pattern, str):
        return pattern
    parts = pattern.split(":", 5)
    return ":".join([p.lower() for p in parts[:5]] + parts[5:])


def _error_4(case: dict[str, Any]) -> bool:
    for s in _statements(case):
        for key in ("Resource", "NotResource"):
            value = s.get(key)
            patterns = value if isinstance(value, list) else [value]
            if any(_arn_head_lower(p) != p for p in patterns):
                return True
    return False


def _without_error_4(case: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(case)
    for s in _statements(out):
        for key in ("Resource", "NotResource"):
            if isinstance(s.get(key), list):
                s[key] = [_arn_head_lower(p) for p in s[key]]
            elif key in s:
                s[key] = _arn_head_lower(s[key])
    return out


_LENIENT = re.compile(r"^\s*(\d+)\D.*$")


def _error_7(case: dict[str, Any]) -> bool:
    return any(
        isinstance(v, str) and _LENIENT.match(v)
        for v in case["request"]["context"].values()
    )


def _without_error_7(case: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(case)
    ctx = out["request"]["context"]
    for k, v in ctx.items():
        m = _LENIENT.match(v) if isinstance(v, str) else None
        if m:
            ctx[k] = m.group(1)
    return out


def _error_13(case: dict[str, Any]) -> bool:
    return any(
        stmt.get("Principal", "*") != "*" or "NotPrincipal" in stmt
        for doc in case.get("vpcEndpointPolicies") or []
        for stmt in doc.get("Statement", [])
    )


def _without_error_2(case: dict[str, Any]) -> dict[str, Any]:
    # The oracle substitutes variables whatever the Version: mark those policies 2012.
    out = copy.deepcopy(case)
    for doc in _policies(out):
        if doc.get("Version") != "2012-10-17" and "${" in json.dumps(doc):
            doc["Version"] = "2012-10-17"
    return out


def _without_error_13(case: dict[str, Any]) -> dict[str, Any]:
    # The oracle treats every endpoint-policy statement as naming everyone.
    out = copy.deepcopy(case)
    for doc in out.get("vpcEndpointPolicies") or []:
        for stmt in doc.get("Statement", []):
            stmt.pop("NotPrincipal", None)
            stmt["Principal"] = "*"
    return out


def explain(
    case: dict[str, Any], oracle: str, catalog: Any = None
) -> tuple[int, ...] | None:
    """The known oracle errors that account for a disagreement, or None.

    Errors 2, 4, 7, 9 and 13 are proven by a counterfactual: undo the oracle's mistake in the
    input and our decision must then equal the oracle's. Errors 1 and 3 are recognised by
    the shape of the input (the request only disagrees where the documented rule bites).
    """
    errors: list[int] = []
    current = case
    for number, check, undo in (
        (2, _error_2, _without_error_2),
        (4, _error_4, _without_error_4),
        (7, _error_7, _without_error_7),
        (13, _error_13, _without_error_13),
    ):
        if check(current):
            current = undo(current)
            errors.append(number)
            if decide(current, catalog) == oracle:
                return tuple(errors)
    if _error_9(current):
        scenario = parse_scenario(current, catalog=catalog)
        plain = dataclasses.replace(scenario.policy_set, resource_kind="resource")
        if evaluate(scenario.request, plain).decision == oracle:
            return (*errors, 9)
    if oracle == "implicit_deny" and _error_1(current, catalog):
        return (*errors, 1)
    if _error_3(current):
        return (*errors, 3)
    return None


def principal_kind(case: dict[str, Any]) -> str:
    """For messages: the principal kind of a case."""
    return parse_principal(case["request"]["principal"]).kind


def decide(case: dict[str, Any], catalog: Any = None) -> str:
    """Our decision for a harness input line (catalog: emulate the validated engine)."""
    s = parse_scenario(case, catalog=catalog)
    return evaluate(s.request, s.policy_set).decision
