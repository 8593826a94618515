"""Trail benchmark: `accessdenied trail --local` (DuckDB) vs the Python scanner's
CloudTrail path on the same generated trail.

Generates (once; reused from build/bench/trail-*/) two organization trails in the S3
layout, CloudTrail records of many services and error codes with planted denials of every
message family (tests/unit/trail/trailgen.py): "compare" (3 accounts x 3 regions x 3 days
x 12 files of 60+ records), read by both engines, and "scale" (x 100 files), read by DuckDB.
Each run is its own process (peak RSS is the child's own): DuckDB through `run_local`
(all cores, 1 GB memory limit); the Python path gunzips every file and runs `scan_text`
on it, as `accessdenied scan` does. Both must find exactly the planted denials. Prints
JSON lines for benchmarks/run.py.
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
BENCH = REPO / "build" / "bench"
TRAILS = {"compare": 12, "scale": 100}  # files per day per account and region
DAYS, RECORDS_PER_FILE = 3, 60
#: Best of N runs per engine (BENCH_TRAIL_RUNS=1 for a quick look).
RUNS = int(os.environ.get("BENCH_TRAIL_RUNS", "3"))

sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))


def emit(metric: str, value: float, unit: str, **extra: object) -> None:
    print(
        json.dumps(
            {"area": "trail", "metric": metric, "value": value, "unit": unit, **extra}
        ),
        flush=True,
    )


def _prepare(name: str) -> dict[str, int]:
    build = BENCH / f"trail-{name}"
    meta_file = build / "trail.meta.json"
    shape = [DAYS, TRAILS[name], RECORDS_PER_FILE]
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("shape") == shape:
            return meta  # type: ignore[no-any-return]
    import shutil

    from tests.unit.trail.trailgen import generate

    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    print(f"generating the {name} trail ...", file=sys.stderr, flush=True)
    planted = generate(
        build, days=DAYS, files_per_day=TRAILS[name], records_per_file=RECORDS_PER_FILE
    )
    files = sum(1 for _ in build.rglob("*_CloudTrail_*.json.gz"))
    meta = {
        "shape": shape,
        "files": files,
        "events": files * RECORDS_PER_FILE + len(planted),
        "planted": len(planted),
        "bytes": sum(p.stat().st_size for p in build.rglob("*.json.gz")),
    }
    meta_file.write_text(json.dumps(meta))
    return meta


def _child(engine: str, name: str) -> None:
    build = BENCH / f"trail-{name}"
    t0 = time.perf_counter()
    if engine == "duckdb":
        from accessdenied.trail import TrailFilter, run_local

        found = len(run_local(build, TrailFilter()).denials)
    else:
        from accessdenied.denials import scan_text
        from accessdenied.trail import TrailFilter
        from accessdenied.trail.layout import scan_layout

        found = 0
        for f in scan_layout(build, TrailFilter()).files:
            with gzip.open(f.path, "rt", encoding="utf-8") as fh:
                found += len(scan_text(fh.read()))
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "denials": found, "rss_mb": rss_mb}))


def _run(engine: str, name: str) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, __file__, "--child", engine, name],
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
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        return 0
    cores = os.cpu_count() or 1
    compare, scale = _prepare("compare"), _prepare("scale")
    duck, py = _run("duckdb", "compare"), _run("python", "compare")
    events = compare["events"]
    for label, r in (
        ("DuckDB (trail --local)", duck),
        ("Python scanner (scan path)", py),
    ):
        emit(
            f"{label}: {compare['files']} files, {events} events, events/s",
            round(events / r["seconds"]),
            "events/s",
            target="every planted denial, nothing else",
            ok=int(r["denials"]) == compare["planted"],
        )
        emit(
            f"{label}: peak RSS",
            round(r["rss_mb"], 1),
            "MB",
            target="< 1.5 GB",
            ok=r["rss_mb"] < 1500,
        )
    emit(
        f"DuckDB vs Python scanner, same files ({cores} cores)",
        round(py["seconds"] / duck["seconds"], 2),
        "x",
        reference="Python scanner events/s",
        reference_value=round(events / py["seconds"]),
        ratio=round(py["seconds"] / duck["seconds"], 2),
        target="ratio >= 1 (DuckDB at least as fast)",
        ok=py["seconds"] >= duck["seconds"],
    )
    big = _run("duckdb", "scale")
    emit(
        f"DuckDB (trail --local): {scale['files']} files, {scale['events']} events, events/s",
        round(scale["events"] / big["seconds"]),
        "events/s",
        target="every planted denial, nothing else",
        ok=int(big["denials"]) == scale["planted"],
    )
    emit(
        "DuckDB (trail --local), scale trail: peak RSS",
        round(big["rss_mb"], 1),
        "MB",
        target="< 1.5 GB (memory_limit 1GB)",
        ok=big["rss_mb"] < 1500,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
