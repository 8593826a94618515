"""Property: random valid policies + random denials => a minimal, correct, verified edit."""

from __future__ import annotations

from hypothesis import given, settings

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate
from tests.unit.fixes.fixcheck import (
    documents,
    outside_edit_unchanged,
    propose_for_text,
)
from tests.unit.fixes.strategies import denials, policy_texts, sample_requests


@settings(max_examples=150)
@given(text=policy_texts(), denial=denials())
def test_fix_property_valid_minimal_allows_and_changes_nothing_else(
    text: str, denial: tuple[str, str, str]
) -> None:
    principal, action, resource = denial
    out = propose_for_text(text, principal, action, resource)
    if out.decision_before == "explicit_deny":
        # Never an Allow that cannot work: only the deny report and its removal.
        assert {f.kind for f in out.fixes} <= {"explain-only", "remove-deny"}
        assert out.fixes[0].deny is not None
        return
    if out.decision_before == "allowed":
        assert [f.kind for f in out.fixes] == ["explain-only"]
        return
    fix = out.fixes[0]
    assert fix.verified, fix.explanation
    assert out.after is not None
    old_doc, new_doc = documents(out.before, out.after)  # valid JSON
    assert outside_edit_unchanged(out.before, out.after, fix)
    assert ("\r\n" in out.after) == ("\r\n" in out.before)
    old_set = PolicySet(identity=(Policy(old_doc),))
    new_set = PolicySet(identity=(Policy(new_doc),))
    assert evaluate(Request(principal, action, resource), new_set).allowed
    for other_action, other_resource in sample_requests():
        if (other_action, other_resource) == (action, resource):
            continue
        req = Request(principal, other_action, other_resource)
        assert evaluate(req, old_set).decision == evaluate(req, new_set).decision, (
            other_action,
            other_resource,
        )
