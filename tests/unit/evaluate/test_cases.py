"""Scenario tables in tests/cases/evaluate/*.json: name / doc / input (harness format) / expected.

`input` uses the iam-simulate harness input format (see accessdenied.evaluate.scenario);
`expected.decision` is the AWS-documented answer (`doc` cites the page); `expected.blocked_by`,
when present, lists the policy types that did not allow an implicitly denied request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.evaluate import evaluate
from accessdenied.evaluate.scenario import parse_scenario
from tests.paths import CASES

FOLDER = CASES / "evaluate"


def _load() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(FOLDER.glob("*.json")):
        for case in json.loads(path.read_text()):
            cases.append((f"{path.stem}/{case['name']}", case))
    return cases


CASES_LIST = _load()


def test_case_names_are_unique_and_cite_docs() -> None:
    names = [name for name, _ in CASES_LIST]
    assert len(names) == len(set(names))
    assert len(names) >= 100
    assert all(case["doc"].startswith("https://") for _, case in CASES_LIST)


@pytest.mark.parametrize(
    "case", [c for _, c in CASES_LIST], ids=[n for n, _ in CASES_LIST]
)
def test_evaluate_case(case: dict[str, Any]) -> None:
    scenario = parse_scenario(case["input"])
    decision = evaluate(scenario.request, scenario.policy_set)
    expected = case["expected"]
    assert decision.decision == expected["decision"], decision.explain()
    if "blocked_by" in expected:
        assert list(decision.blocked_by) == expected["blocked_by"], decision.explain()
