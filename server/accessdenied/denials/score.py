"""Recognition scoring against labelled denial corpora (the shared sample, the peers file).

A row is `{"id", "text", "expect": {field: value} | null, "accept": {field: [values]},
"bar": false?, "require": false?}` (shared/peers/README.md, denial-formats.md §8). Used by
the conformance tests and by `benchmarks/bench_scan.py` to print the recognition figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accessdenied.denials.model import Denial
from accessdenied.denials.scan import scan_text

SCORED_FIELDS = ("principal", "action", "resource", "decision", "policy_type")


@dataclass(frozen=True, slots=True)
class RowResult:
    """The verdict on one labelled row."""

    id: str
    scored: bool
    negative: bool
    ok: bool
    wrong: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Score:
    """Totals over a corpus: positives right, false alarms among negatives."""

    results: tuple[RowResult, ...]

    @property
    def positives(self) -> int:
        return sum(1 for r in self.results if r.scored and not r.negative)

    @property
    def positives_right(self) -> int:
        return sum(1 for r in self.results if r.scored and not r.negative and r.ok)

    @property
    def negatives(self) -> int:
        return sum(1 for r in self.results if r.negative)

    @property
    def false_alarms(self) -> int:
        return sum(1 for r in self.results if r.negative and not r.ok)

    @property
    def failures(self) -> list[RowResult]:
        return [r for r in self.results if r.scored and not r.ok]


def _norm_action(value: Any) -> Any:
    if isinstance(value, str) and ":" in value:
        prefix, _, name = value.partition(":")
        return f"{prefix.lower()}:{name.lower()}"
    return value


def _same(key: str, got: Any, want: Any) -> bool:
    if key == "action":
        return bool(_norm_action(got) == _norm_action(want))
    return bool(got == want)


def score_row(
    row: dict[str, Any],
    fields: Iterable[str] = SCORED_FIELDS,
    scan: Callable[[str], list[Denial]] = scan_text,
) -> RowResult:
    """Scan one row's text and compare its first denial with the row's expectation."""
    text = row["text"]
    if not isinstance(text, str):
        text = json.dumps(text, indent=2)
    found = scan(text)
    expect = row.get("expect")
    scored = row.get("bar", True) is not False
    rid = str(row.get("id", ""))
    if expect is None:
        return RowResult(rid, True, True, not found)
    if not found:
        ok = row.get("require", True) is False
        return RowResult(
            rid, scored, False, ok, {} if ok else {"denial": (None, "any")}
        )
    accept = row.get("accept") or {}
    fields = tuple(fields)
    # `expect` describes one of the denials in the text (the first, unless a note says
    # which): the row is right when some denial has every field right.
    first: dict[str, tuple[Any, Any]] | None = None
    for d in found:
        wrong = _compare(d, expect, accept, fields)
        if not wrong:
            return RowResult(rid, scored, False, True)
        first = wrong if first is None else first
    return RowResult(rid, scored, False, False, first or {})


def _compare(
    d: Denial,
    expect: dict[str, Any],
    accept: dict[str, list[Any]],
    fields: tuple[str, ...],
) -> dict[str, tuple[Any, Any]]:
    wrong: dict[str, tuple[Any, Any]] = {}
    for key in fields:
        if key not in expect:
            continue
        got = getattr(d, key)
        if key == "action" and expect[key] is None and d.action_origin == "operation":
            continue  # the corpus leaves catalog-derived actions null (§8)
        if key == "service" and expect[key] is None and d.action_origin == "operation":
            continue
        options = [expect[key], *accept.get(key, [])]
        if not any(_same(key, got, w) for w in options):
            wrong[key] = (got, expect[key])
    return wrong


def score_file(
    path: str | Path,
    fields: Iterable[str] = SCORED_FIELDS,
    scan: Callable[[str], list[Denial]] = scan_text,
) -> Score:
    """Score every row of a JSONL corpus."""
    rows = [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return Score(tuple(score_row(r, tuple(fields), scan) for r in rows))
