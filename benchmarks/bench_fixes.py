"""Workspace indexing and fix latency: 5,000 policy files, incremental update, propose+verify."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from accessdenied.denials import Denial
from accessdenied.fixes import propose_fixes
from accessdenied.text import Span
from accessdenied.workspace import build_index


def emit(metric: str, value: float, unit: str, target: str, ok: bool) -> None:
    """One benchmark line (benchmarks/run.py format)."""
    sys.stdout.write(
        json.dumps(
            {
                "area": "fixes",
                "metric": metric,
                "value": round(value, 4),
                "unit": unit,
                "target": target,
                "ok": ok,
            }
        )
        + "\n"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                }
            ],
        }
        for i in range(5000):
            d = root / f"team{i % 50}" / "policies"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"role-{i}.json").write_text(json.dumps(doc, indent=2))
        start = time.perf_counter()
        index = build_index(root)
        build = time.perf_counter() - start
        emit("build_index, 5000 policy files", build, "s", "<= 5 s", build <= 5)
        changed = root / "team7" / "policies" / "role-7.json"
        changed.write_text(json.dumps(doc))
        start = time.perf_counter()
        index = index.updated([changed])
        upd = time.perf_counter() - start
        emit(
            "updated(1 changed file), 5000 files",
            upd * 1000,
            "ms",
            "<= 200 ms",
            upd <= 0.2,
        )
        denial = Denial(
            span=Span(0, 0, 1, 1, 1, 1),
            text="",
            principal="arn:aws:sts::111122223333:assumed-role/role-42/s",
            action="s3:PutObject",
            resource="arn:aws:s3:::bucket/key.csv",
            decision="implicit",
            policy_type="identity",
        )
        times = []
        for _ in range(20):
            start = time.perf_counter()
            fixes = propose_fixes(denial, index)
            times.append(time.perf_counter() - start)
        assert fixes, "no fix"
        assert fixes[0].verified, fixes[0].explanation
        p50 = statistics.median(times) * 1000
        emit("propose_fixes + verification, p50", p50, "ms", "<= 100 ms", p50 <= 100)


if __name__ == "__main__":
    main()
