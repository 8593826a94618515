"""Run every `benchmarks/bench_*.py` and collect their figures into one report.

Each bench script is run as its own process (so start-up and memory are real) and prints
one JSON object per line on stdout:

    {"area": "scan", "metric": "200 MB log, whole process", "value": 0.41, "unit": "s",
     "reference": "grep -F", "reference_value": 0.38, "ratio": 1.08,
     "target": "ratio <= 1.5", "ok": true}

`reference*`, `ratio`, `target` and `ok` are optional. Lines that are not JSON are passed
through to stderr as progress. The report goes to benchmarks/REPORT.md and stdout.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores, {cpu}{mem}, Python {platform.python_version()}"


def fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return "" if v is None else str(v)


def main() -> int:
    only = sys.argv[1:]
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if any(o in s.name for o in only)]
    rows: list[dict[str, object]] = []
    failed: list[str] = []
    for script in scripts:
        print(f"== {script.name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        for line in proc.stdout.splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                print(line, file=sys.stderr)
                continue
            if isinstance(row, dict):
                rows.append(row)
        if proc.returncode != 0:
            failed.append(script.name)
            sys.stderr.write(proc.stderr[-4000:])
        print(f"   {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    lines = [
        "# Benchmark report",
        "",
        f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.",
        "",
        "| area | metric | value | reference | ratio | target | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = r.get("reference")
        ref_txt = (
            f"{ref}: {fmt(r.get('reference_value'))} {r.get('unit', '')}" if ref else ""
        )
        ok = r.get("ok")
        lines.append(
            f"| {r.get('area', '')} | {r.get('metric', '')} | {fmt(r.get('value'))} "
            f"{r.get('unit', '')} | {ref_txt} | {fmt(r.get('ratio'))} | "
            f"{r.get('target', '')} | {'' if ok is None else ('yes' if ok else 'NO')} |"
        )
    if failed:
        lines += ["", "Failed bench scripts: " + ", ".join(failed)]
    report = "\n".join(lines) + "\n"
    (HERE / "REPORT.md").write_text(report)
    print(report)
    missed = [r for r in rows if r.get("ok") is False]
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
