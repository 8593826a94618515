"""Scenario table: every check code has at least one positive and one negative case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.policy import check_text
from accessdenied.policy.checks import CHECKS
from tests.paths import CASES

CASE_FILE = CASES / "policy" / "checks.json"
ALL_CASES: list[dict[str, Any]] = json.loads(CASE_FILE.read_text(encoding="utf-8"))
# Codes produced by the parser and the schema rather than by a check function.
NON_CHECK_CODES = {
    "json-syntax",
    "policy-not-object",
    "missing-resource",
    "missing-action",
    "trust-policy-element",
    "conflicting-elements",
    "missing-element",
    "unknown-element",
    "invalid-type",
    "invalid-value",
}


def _text(inp: dict[str, Any]) -> str:
    if "text" in inp:
        return str(inp["text"])
    return json.dumps(inp["policy"], indent=2)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["name"] for c in ALL_CASES])
def test_case(case: dict[str, Any]) -> None:
    inp, exp = case["input"], case["expected"]
    text = _text(inp)
    findings = check_text(text, inp.get("policy_type"), inp.get("path"))
    hits = [f for f in findings if f.code == exp["code"]]
    for f in findings:
        assert 0 <= f.span.start <= f.span.end <= len(text)
    if not exp["present"]:
        assert hits == [], [(f.code, f.message) for f in hits]
        return
    assert hits, [(f.code, f.message) for f in findings]
    if "text" in exp:
        assert exp["text"] in [text[f.span.start : f.span.end] for f in hits]
    if "severity" in exp:
        assert exp["severity"] in [f.severity for f in hits]
    for f in hits:
        assert f.message


def test_every_code_has_positive_and_negative_cases() -> None:
    pos = {c["expected"]["code"] for c in ALL_CASES if c["expected"]["present"]}
    neg = {c["expected"]["code"] for c in ALL_CASES if not c["expected"]["present"]}
    codes = set(CHECKS) | NON_CHECK_CODES
    assert codes - pos == set()
    assert codes - neg == set()


def test_registry_codes_are_kebab_case_with_severity() -> None:
    for code, chk in CHECKS.items():
        assert code == chk.code
        assert code.replace("-", "").isalnum()
        assert code == code.lower()
        assert chk.severity in ("error", "warning", "info", "hint")
        assert chk.description
