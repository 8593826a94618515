"""Reliability benchmark: bounded memory and scale.

- `accessdenied scan --format json` peak RSS (wait4 ru_maxrss of the process) on a 50 MB and a
  200 MB log (filler lines, one denial per MB; generated once into build/reliability/): the
  200 MB figure must stay within 20 MiB of the 50 MB one (streamed, not read whole).
- `build_index` wall time over 3,000 small policy files in 60 folders (target < 20 s).
- `check_text` of a 1 MB policy (target < 5 s).
Prints JSON lines for benchmarks/run.py.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))

from tests.reliability.helpers import big_log, peak_rss_kib  # noqa: E402

from accessdenied.policy import check_text  # noqa: E402
from accessdenied.workspace import build_index  # noqa: E402

POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}\n'
)


def emit(
    metric: str, value: float, unit: str, target: str, ok: bool, **kw: object
) -> None:
    row = {
        "area": "reliability",
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
    }
    row.update(kw)
    row.update({"target": target, "ok": ok})
    print(json.dumps(row), flush=True)


def scan_rss() -> None:
    argv = ["scan", "--format", "json"]
    rss: dict[int, float] = {}
    for mb in (50, 200):
        log = big_log(mb)
        t0 = time.perf_counter()
        rc, kib, out = peak_rss_kib([*argv, str(log)])
        wall = time.perf_counter() - t0
        found = len(json.loads(out)["denials"]) if rc == 1 else -1
        rss[mb] = kib / 1024
        emit(
            f"scan {mb} MB log: peak RSS",
            rss[mb],
            "MiB",
            "< 150 MiB",
            rss[mb] < 150 and found == mb,
        )
        emit(f"scan {mb} MB log: wall time", wall, "s", "informational", True)
    growth = rss[200] - rss[50]
    emit(
        "scan peak RSS growth 50 -> 200 MB",
        growth,
        "MiB",
        "< 20 MiB",
        growth < 20,
        reference="50 MB log",
        reference_value=round(rss[50], 1),
        ratio=round(rss[200] / rss[50], 3),
    )


def index_time() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(3000):
            d = root / f"team{i % 60}"
            d.mkdir(exist_ok=True)
            (d / f"role-{i}.json").write_text(POLICY, encoding="utf-8")
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            index = build_index(root)
            best = min(best, time.perf_counter() - t0)
        ok = len(index.files) == 3000 and best < 20
        emit("build_index 3,000 policy files (best of 3)", best, "s", "< 20 s", ok)


def check_big_policy() -> None:
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::bucket-{i}/*",
        }
        for i in range(5600)
    ]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        check_text(text)
        best = min(best, time.perf_counter() - t0)
    emit(
        f"check_text {len(text) / 1e6:.1f} MB policy (best of 3)",
        best,
        "s",
        "< 5 s",
        best < 5,
    )


def main() -> int:
    os.chdir(REPO)
    scan_rss()
    index_time()
    check_big_policy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
