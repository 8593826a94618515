"""Score `check_text` against cfn-lint's converted IAM fixtures (../shared/peers/cfn.tsv).

A `policy` row (a policy-grammar defect cfn-lint reports) counts as flagged when one of
our findings (error, warning or info) touches one of its lines; a `valid` row (lines or
`all`) counts a false error for every error-severity finding on those lines. Shared by
the test (tests/unit/policy/test_cfn_peers.py) and `make bench` (benchmarks/bench_policy_peers.py).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from accessdenied.policy.model import Finding


@dataclass(frozen=True, slots=True)
class Row:
    file: str
    lines: frozenset[int] | None  # None: the whole file
    rule: str
    kind: str
    what: str


@dataclass(slots=True)
class Score:
    defects: int = 0
    flagged: int = 0
    missed: list[Row] = field(default_factory=list)
    false_errors: list[tuple[Row, Finding]] = field(default_factory=list)


def _lines(spec: str) -> frozenset[int] | None:
    if spec == "all":
        return None
    out: set[int] = set()
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return frozenset(out)


def load_rows(tsv: Path) -> list[Row]:
    with tsv.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        return [
            Row(r["file"], _lines(r["lines"]), r["rule"], r["kind"], r["what"])
            for r in reader
        ]


def _touches(f: Finding, lines: frozenset[int] | None) -> bool:
    if lines is None:
        return True
    return any(line in lines for line in range(f.span.start_line, f.span.end_line + 1))


def score(
    folder: Path,
    rows: list[Row],
    run: Callable[[Path], list[Finding]],
) -> Score:
    """Run `run` once per template and score every policy and valid row."""
    by_file: dict[str, list[Finding]] = {}
    out = Score()
    for row in rows:
        if row.kind not in ("policy", "valid"):
            continue
        if row.file not in by_file:
            by_file[row.file] = run(folder / row.file)
        found = by_file[row.file]
        if row.kind == "policy":
            out.defects += 1
            hit = any(
                _touches(f, row.lines)
                for f in found
                if f.severity in ("error", "warning", "info")
            )
            out.flagged += hit
            if not hit:
                out.missed.append(row)
        else:
            out.false_errors.extend(
                (row, f)
                for f in found
                if f.severity == "error" and _touches(f, row.lines)
            )
    return out
