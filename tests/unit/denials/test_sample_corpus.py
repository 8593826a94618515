"""Every entry of shared/corpus/denials/sample.jsonl: fields exactly as expected.

Convention difference (denial-formats.md §8 vs DESIGN.md): the corpus leaves `action` null
when the text has only an operation; the scanner fills it from the IAM catalog. For those
entries the action must be the catalog's mapping of the operation (`action_origin ==
"operation"`), and `service` is compared only where the corpus names one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.denials import scan_text
from tests.paths import DENIAL_SAMPLE

FIELDS = (
    "principal",
    "action",
    "resource",
    "decision",
    "policy_type",
    "policy_arn",
    "service",
    "operation",
    "encoded_message",
)


def _entries() -> list[Any]:
    if not DENIAL_SAMPLE.is_file():
        return [pytest.param(None, id="sample-missing")]
    lines = DENIAL_SAMPLE.read_text(encoding="utf-8").splitlines()
    return [
        pytest.param(json.loads(x), id=json.loads(x)["id"]) for x in lines if x.strip()
    ]


@pytest.mark.parametrize("entry", _entries())
def test_sample_entry(entry: dict[str, Any] | None) -> None:
    if entry is None:
        pytest.skip(f"{DENIAL_SAMPLE} not present (shared/ checkout missing)")
    text = entry["text"]
    found = scan_text(text)
    expect = entry["expect"]
    if expect is None:
        assert found == [], [d.text for d in found]
        return
    assert found, "no denial found"
    if entry.get("occurrences"):
        assert len(found) == entry["occurrences"]
    d = found[0]
    for key in FIELDS:
        want = expect.get(key)
        got = getattr(d, key)
        if key == "action" and want is None and d.action_origin == "operation":
            from accessdenied.catalog import load_catalog

            assert d.operation
            assert got in load_catalog().actions_for_operation(d.operation, d.service)
            continue
        if key == "service" and want is None and d.action_origin == "operation":
            continue
        assert got == want, key
    for f in found:
        assert 0 <= f.span.start < f.span.end <= len(text)
        assert f.span.start_line >= 1
        assert f.span.start_column >= 1
