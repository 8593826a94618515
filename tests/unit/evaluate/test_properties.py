"""Property tests of the evaluator (no oracle): robustness and the laws of the logic.

Laws from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html:
an explicit Deny in any applicable policy wins; an Allow never turns allowed into denied;
without any Deny statement nothing is explicitly denied.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate
from tests.oracle.known_errors import decide
from tests.oracle.strategies import scenarios

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(
            ["Version", "Statement", "Effect", "Action", "NotAction", "Resource",
             "NotResource", "Principal", "NotPrincipal", "Condition", "Sid", "AWS",
             "StringEquals", "ForAnyValue:StringLike", "aws:username", "x"]
        ),
        children,
        max_size=4,
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=200)
@given(doc=JSON, action=st.text(max_size=12), resource=st.text(max_size=20))
def test_property_garbage_policies_never_crash(
    doc: Any, action: str, resource: str
) -> None:
    document = doc if isinstance(doc, dict) else {"Statement": doc}
    policy = Policy(document)
    request = Request("arn:aws:iam::111122223333:user/a", action, resource)
    for ps in (
        PolicySet(identity=(policy,)),
        PolicySet(
            resource=policy, boundary=policy, scps=((policy,),), rcps=((policy,),)
        ),
        PolicySet(vpc_endpoint=(policy,), session=policy),
    ):
        assert evaluate(request, ps).decision in (
            "allowed",
            "implicit_deny",
            "explicit_deny",
        )


DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
}
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@settings(max_examples=100)
@given(case=scenarios())
def test_property_explicit_deny_in_identity_policy_wins(case: dict[str, Any]) -> None:
    if not case["request"]["principal"].startswith("arn:"):
        return  # identity policies apply only to IAM principals
    case = copy.deepcopy(case)
    case.setdefault("identityPolicies", []).append(DENY_ALL)
    assert decide(case) == "explicit_deny"


@settings(max_examples=100)
@given(case=scenarios())
def test_property_adding_an_allow_never_denies(case: dict[str, Any]) -> None:
    before = decide(case)
    more = copy.deepcopy(case)
    more.setdefault("identityPolicies", []).append(ALLOW_ALL)
    after = decide(more)
    if before == "allowed":
        assert after == "allowed"
    if before == "explicit_deny":
        assert after == "explicit_deny"


def _without_denies(case: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(case)
    docs: list[dict[str, Any]] = [*out.get("identityPolicies", [])]
    for key in ("resourcePolicy", "sessionPolicy"):
        if out.get(key):
            docs.append(out[key])
    for group in ("permissionBoundaries", "vpcEndpointPolicies"):
        docs += out.get(group) or []
    for group in ("scps", "rcps"):
        for level in out.get(group) or []:
            docs += level
    for doc in docs:
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Effect") != "Deny"]
    return out


@settings(max_examples=100)
@given(case=scenarios())
def test_property_no_deny_statement_no_explicit_deny(case: dict[str, Any]) -> None:
    assert decide(_without_denies(case)) != "explicit_deny"
