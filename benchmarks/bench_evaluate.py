"""Evaluations per second: `accessdenied.evaluate` against the iam-simulate oracle, same run.

Workload: the 80 hand-written cases of shared/oracle/cases.jsonl, repeated. Two figures for
us, one process each way:
- "end to end": parse the harness input (JSON dict -> Request + fresh Policy objects) and
  evaluate, every time (nothing cached between evaluations but regexes);
- "engine": evaluate pre-built requests and policy sets (compiled policies reused), which
  is how the language server and `fix` verification call it.
Reference: the oracle's validated engine (`node harness.mjs --bench=200`), in-process loop;
both sides best of three rounds, alternating.
Target: end-to-end ratio >= 5x.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))

from tests.paths import ORACLE_CASES, ORACLE_DIR  # noqa: E402

from accessdenied.evaluate import evaluate  # noqa: E402
from accessdenied.evaluate.scenario import parse_scenario  # noqa: E402

PASSES = 100
ORACLE_PASSES = 200  # as the brief's `node harness.mjs --bench=200` (JIT warm)
ROUNDS = 3


def _cases() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in ORACLE_CASES.read_text().splitlines()
        if line.strip()
    ]


def _rate(fn: Any, n: int) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def _oracle_rate(passes: int, engine: str | None = None) -> float | None:
    harness = ORACLE_DIR / "harness.mjs"
    if not harness.exists():
        return None
    text = ORACLE_CASES.read_text()
    if engine is not None:
        text = "\n".join(
            json.dumps({**json.loads(line), "engine": engine})
            for line in text.splitlines()
            if line.strip()
        )
    proc = subprocess.run(
        ["node", "harness.mjs", f"--bench={passes}"],
        cwd=ORACLE_DIR,
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stderr.splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "bench" in data:
            return float(data["bench"]["perSecond"])
    return None


def main() -> int:
    cases = _cases()
    catalog = None
    try:
        from accessdenied.catalog import load_catalog

        catalog = load_catalog()
    except Exception:
        catalog = None

    def end_to_end() -> None:
        for _ in range(PASSES):
            for c in cases:
                s = parse_scenario(
                    c, catalog=catalog if c.get("engine") != "raw" else None
                )
                evaluate(s.request, s.policy_set)

    built = [parse_scenario(c, catalog=catalog) for c in cases]

    def engine_only() -> None:
        for _ in range(PASSES):
            for s in built:
                evaluate(s.request, s.policy_set)

    engine_only()  # warm regex caches for both
    n = PASSES * len(cases)
    # Best of three, alternating with the oracle, so that a busy machine hurts both
    # sides alike (this runs beside other work in CI).
    e2e = eng = 0.0
    oracle: float | None = None
    for _ in range(ROUNDS):
        e2e = max(e2e, _rate(end_to_end, n))
        eng = max(eng, _rate(engine_only, n))
        got = _oracle_rate(ORACLE_PASSES)
        if got is not None:
            oracle = max(oracle or 0.0, got)
    for metric, value in (
        ("evaluations/s, end to end (80 cases x 100, best of 3)", e2e),
        ("evaluations/s, engine with built policy sets", eng),
    ):
        row: dict[str, Any] = {
            "area": "evaluate",
            "metric": metric,
            "value": round(value),
            "unit": "eval/s",
            "target": "ratio >= 5",
        }
        if oracle:
            ratio = value / oracle
            row.update(
                reference="iam-simulate validated (node --bench)",
                reference_value=round(oracle),
                ratio=round(ratio, 1),
                ok=ratio >= 5,
            )
        print(json.dumps(row), flush=True)
    raw = (
        max((_oracle_rate(ORACLE_PASSES, "raw") or 0.0) for _ in range(ROUNDS)) or None
    )
    if raw:
        # For information: the oracle's core without validation or catalog look-ups.
        print(
            json.dumps(
                {
                    "area": "evaluate",
                    "metric": "evaluations/s, engine vs oracle raw core (info)",
                    "value": round(eng),
                    "unit": "eval/s",
                    "reference": "iam-simulate raw authorize (node --bench)",
                    "reference_value": round(raw),
                    "ratio": round(eng / raw, 1),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
