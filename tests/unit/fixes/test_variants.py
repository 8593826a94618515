"""Dependent actions come only as a separate variant, never merged into the exact fix."""

from __future__ import annotations

from pathlib import Path

from accessdenied.catalog import load_catalog
from tests.unit.fixes.casekit import run_case

ACTION = "access-analyzer:StartPolicyGeneration"
CASE = {
    "files": {"p.json": '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'},
    "config": (
        '[[principals]]\narn = "arn:aws:iam::111122223333:role/app-role"\n'
        'identity_policies = ["p.json"]\n'
    ),
    "denial": {
        "principal": "arn:aws:sts::111122223333:assumed-role/app-role/dev",
        "action": ACTION,
        "resource": None,
        "decision": "implicit",
        "policy_type": "identity",
    },
}


def test_exact_variant_has_only_the_denied_action(tmp_path: Path) -> None:
    fixes, _ = run_case(CASE, tmp_path)
    assert fixes[0].variant == "exact"
    assert fixes[0].statement is not None
    assert fixes[0].statement["Action"] == ACTION
    assert fixes[0].verified


def test_dependent_variant_adds_catalog_dependent_actions(tmp_path: Path) -> None:
    dependent = load_catalog().dependent_actions(ACTION)
    assert dependent  # the catalog's overlay lists iam:PassRole
    fixes, after = run_case(dict(CASE, variant="with-dependent-actions"), tmp_path)
    fix = fixes[0]
    assert fix.variant == "with-dependent-actions"
    assert fix.statement is not None
    assert fix.statement["Action"] == [ACTION, *dependent]
    assert fix.statement["Sid"].endswith("AndDependencies")
    assert fix.verified, fix.explanation
    assert all(a in after["p.json"] for a in dependent)
