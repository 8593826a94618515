"""Scenario tables in tests/cases/denials/*.json: each input yields exactly the expected denials.

`expected` is a list (one entry per denial, in order) of the fields to compare; an empty list
means the text is a hard negative. Every span must lie inside the input and its text must be
the input's text at that span (modulo credential redaction).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.denials import redact, scan_text
from tests.paths import CASES

CASE_DIR = CASES / "denials"


def _load() -> list[Any]:
    out = []
    for path in sorted(CASE_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            out.append(pytest.param(case, id=f"{path.stem}/{case['name']}"))
    return out


CASES_ALL = _load()


def test_enough_cases() -> None:
    assert len(CASES_ALL) >= 40


@pytest.mark.parametrize("case", CASES_ALL)
def test_case(case: dict[str, Any]) -> None:
    text = case["input"]
    found = scan_text(text)
    expected = case["expected"]
    got = [
        {k: getattr(d, k) for k in exp} for d, exp in zip(found, expected, strict=False)
    ]
    assert len(found) == len(expected), [d.text for d in found]
    for d, exp, g in zip(found, expected, got, strict=True):
        want = {k: (tuple(v) if isinstance(v, list) else v) for k, v in exp.items()}
        assert g == want, d.text
        assert 0 <= d.span.start < d.span.end <= len(text)
        assert d.text == redact(text[d.span.start : d.span.end])
