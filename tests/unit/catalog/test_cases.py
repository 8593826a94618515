"""Scenario tables for the catalog: tests/cases/catalog/*.json (name / input / expected).

Every case is a real IAM fact (Service Authorization Reference, S3's "Required permissions
for Amazon S3 API operations" page, SDK/CloudTrail service names).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.catalog import load_catalog
from tests.paths import CASES

CASE_DIR = CASES / "catalog"


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASE_DIR.glob("*.json")):
        for case in json.loads(path.read_text()):
            out.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict[str, Any]) -> None:
    cat = load_catalog()
    inp, expected = case["input"], case["expected"]
    query = inp["query"]
    if query == "operation":
        mapped = cat.actions_for_operation(inp["operation"], inp.get("service"))
        assert list(mapped) == expected["actions"]
    elif query == "service_prefix":
        assert cat.service_prefix(inp["hint"]) == expected["prefix"]
    elif query == "action":
        a = cat.action(inp["action"])
        if expected is None:
            assert a is None
            return
        assert a is not None
        names = [r.resource_type.name for r in a.resources]
        checks = {
            "full_name": a.full_name,
            "access_level": a.access_level,
            "access_levels": list(a.access_levels),
            "resource_types": names,
            "supports_resource_level": a.supports_resource_level,
            "required": [r.resource_type.name for r in a.resources if r.required],
        }
        for key, value in expected.items():
            if key == "condition_keys_include":
                assert set(value) <= set(a.condition_keys)
            elif key == "dependent_actions_include":
                assert set(value) <= set(a.dependent_actions)
            else:
                assert checks[key] == value, key
    elif query == "expand":
        got: list[str] = [a.full_name for a in cat.expand(inp["pattern"])]
        assert len(got) == len(set(got))
        if "names" in expected:
            assert got == expected["names"]
        if "includes" in expected:
            assert set(expected["includes"]) <= set(got)
        if "all_start_with" in expected:
            assert all(n.startswith(expected["all_start_with"]) for n in got)
        if "min" in expected:
            assert len(got) >= expected["min"]
        if "count_equals_service" in expected:
            service = cat.service(expected["count_equals_service"])
            assert service is not None
            assert len(got) == len(service.actions)
        if expected.get("count_equals_total"):
            assert len(got) == cat.info().actions
    elif query == "arn":
        got = [
            rt.full_name
            for rt in cat.resource_types_for_arn(inp["arn"], inp.get("service"))
        ]
        assert got == expected["resource_types"]
        for full in got:
            svc, _, name = full.partition(":")
            rt = cat.resource_type(svc, name)
            assert rt is not None
            assert rt.matches(inp["arn"])
    elif query == "condition_key":
        ck = cat.condition_key(inp["key"], inp.get("action"))
        if expected is None:
            assert ck is None
            return
        assert ck is not None
        for key, value in expected.items():
            if key == "multivalued":
                assert ck.is_multivalued is value
            else:
                assert getattr(ck, key) == value, key
    else:  # pragma: no cover - a typo in a case file
        pytest.fail(f"unknown query {query!r}")
