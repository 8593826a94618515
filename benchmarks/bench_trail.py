"""Trail benchmark: `accessdenied trail --local` (DuckDB) vs the Python scanner's
CloudTrail path on the same generated trail.

Generates (once; reused from build/bench/trail/) an organization trail in the S3 layout:
3 accounts x 3 regions x 3 days x 100 files of 60+ CloudTrail records of many services and
error codes with planted denials of every message family (tests/unit/trail/trailgen.py).
Each engine runs in its own process (peak RSS is the child's own): DuckDB through
`run_local` (all cores, 1 GB memory limit), the Python path gunzips every file and runs
`scan_text` on it, as `accessdenied scan` does. Both must find exactly the planted
denials. Prints JSON lines for benchmarks/run.py.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "bench" / "trail"
META = BUILD / "trail.meta.json"
DAYS, FILES_PER_DAY, RECORDS_PER_FILE = 3, 100, 60
RUNS = 3

sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))


def emit(metric: str, value: float, unit: str, **extra: object) -> None:
    print(
        json.dumps(
            {"area": "trail", "metric": metric, "value": value, "unit": unit, **extra}
        ),
        flush=True,
    )


def _prepare() -> dict[str, int]:
    shape = [DAYS, FILES_PER_DAY, RECORDS_PER_FILE]
    if META.exists():
        meta = json.loads(META.read_text())
        if meta.get("shape") == shape:
            return meta  # type: ignore[no-any-return]
    import shutil

    from tests.unit.trail.trailgen import generate

    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True)
    print("generating the trail ...", file=sys.stderr, flush=True)
    planted = generate(
        BUILD, days=DAYS, files_per_day=FILES_PER_DAY, records_per_file=RECORDS_PER_FILE
    )
    files = sum(1 for _ in BUILD.rglob("*_CloudTrail_*.json.gz"))
    meta = {
        "shape": shape,
        "files": files,
        "events": files * RECORDS_PER_FILE + len(planted),
        "planted": len(planted),
        "bytes": sum(p.stat().st_size for p in BUILD.rglob("*.json.gz")),
    }
    META.write_text(json.dumps(meta))
    return meta


def _child(engine: str) -> None:
    t0 = time.perf_counter()
    if engine == "duckdb":
        from accessdenied.trail import TrailFilter, run_local

        found = len(run_local(BUILD, TrailFilter()).denials)
    else:
        from accessdenied.denials import scan_text
        from accessdenied.trail import TrailFilter
        from accessdenied.trail.layout import scan_layout

        found = 0
        for f in scan_layout(BUILD, TrailFilter()).files:
            with gzip.open(f.path, "rt", encoding="utf-8") as fh:
                found += len(scan_text(fh.read()))
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "denials": found, "rss_mb": rss_mb}))


def _run(engine: str) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, __file__, "--child", engine],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        got = json.loads(out.strip().splitlines()[-1])
        if best is None or got["seconds"] < best["seconds"]:
            best = got
    assert best is not None
    return best


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
        return 0
    meta = _prepare()
    duck = _run("duckdb")
    py = _run("python")
    events = meta["events"]
    cores = os.cpu_count() or 1
    for name, r in (
        ("DuckDB (trail --local)", duck),
        ("Python scanner (scan path)", py),
    ):
        ok = int(r["denials"]) == meta["planted"]
        emit(
            f"{name}: {meta['files']} files, {events} events, events/s",
            events / r["seconds"],
            "events/s",
            target="every planted denial, nothing else",
            ok=ok,
        )
        emit(
            f"{name}: peak RSS",
            round(r["rss_mb"], 1),
            "MB",
            target="DuckDB memory_limit 1GB",
            ok=r["rss_mb"] < 1500,
        )
    emit(
        f"DuckDB vs Python scanner throughput ({cores} cores)",
        round(py["seconds"] / duck["seconds"], 2),
        "x",
        reference="Python scanner",
        reference_value=round(events / py["seconds"]),
        ratio=round(py["seconds"] / duck["seconds"], 2),
        target="ratio >= 1 (DuckDB at least as fast)",
        ok=py["seconds"] >= duck["seconds"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
