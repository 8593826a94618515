"""Scenario table for fixes: tests/cases/fixes/*.json (name / input / expected).

Each case writes a small workspace, turns its denial into fixes and compares the first
edit's full result text byte for byte (indentation, CRLF, key order, trailing content).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.paths import CASES
from tests.unit.fixes.casekit import run_case

CASE_DIR = CASES / "fixes"


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASE_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            out.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_fix_case(case: dict[str, Any], tmp_path: Path) -> None:
    fixes, after = run_case(case["input"], tmp_path)
    expected = case["expected"]
    assert [f.kind for f in fixes] == expected["kinds"]
    assert fixes[0].verified is expected["verified"], fixes[0].explanation
    if "text" in expected:
        assert after == {expected["path"]: expected["text"]}
        original = case["input"]["files"][expected["path"]]
        # Every byte before and after the edit is the original's.
        edit = next(f for f in fixes if f.edits).edits[0]
        assert expected["text"][: edit.start] == original[: edit.start]
        assert expected["text"].endswith(original[edit.end :])
    else:
        assert after == {}
        assert fixes[0].explanation
    if "deny" in expected:
        deny = fixes[0].deny
        assert deny is not None
        assert {"line": deny.line, "sid": deny.sid} == expected["deny"]
        assert (
            f":{deny.line};" in fixes[0].explanation
            or f":{deny.line}" in fixes[0].title
        )
