"""`accessdenied check` over the AWS managed-policy corpus, parliament as the reference,
and the tolerant parser's time for a 100 KB policy."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "aws-managed-policies"

# parliament's own directory mode stops at the first policy it cannot handle
# ("Unknown data format: ArrayOfARN"), so the reference run lints file by file through
# its Python API and counts the files it fails on.
PARLIAMENT = """
import sys, pathlib
from parliament import analyze_policy_string
failed = findings = 0
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    try:
        findings += len(analyze_policy_string(p.read_text(encoding="utf-8")).findings)
    except Exception:
        failed += 1
print(findings, failed)
"""


def emit(
    metric: str, value: float, unit: str, target: str, ok: bool, **extra: object
) -> None:
    """One benchmark line (benchmarks/run.py format)."""
    line = {
        "area": "check",
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "ok": ok,
    }
    line.update(extra)
    sys.stdout.write(json.dumps(line) + "\n")


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall s, cpu s, result) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, proc


def main() -> None:
    if CORPUS.is_dir():
        files = len(list(CORPUS.glob("*.json")))
        wall, cpu, proc = timed(
            [
                sys.executable,
                "-m",
                "accessdenied",
                "check",
                str(CORPUS),
                "--format",
                "json",
            ]
        )
        data = json.loads(proc.stdout or '{"findings": []}')
        errors = sum(1 for f in data["findings"] if f["severity"] == "error")
        emit("corpus_errors", errors, "findings", "== 0", errors == 0, files=files)
        emit("corpus_check_wall", wall, "s", "< 3", wall < 3.0, files=files)
        emit("corpus_check_cpu", cpu, "s", "< 3", cpu < 3.0, files=files)
        import importlib.util

        if importlib.util.find_spec("parliament") is None:
            sys.stderr.write("bench_check: parliament not installed (pip: .[bench])\n")
        else:
            pwall, pcpu, pproc = timed([sys.executable, "-c", PARLIAMENT, str(CORPUS)])
            pfind, pfailed = (int(x) for x in (pproc.stdout.split() or ["0", "0"]))
            sys.stdout.write(
                json.dumps(
                    {
                        "area": "check",
                        "metric": "corpus_check_vs_parliament",
                        "value": round(wall, 4),
                        "unit": "s",
                        "reference": "parliament 1.6.4 (per-file API)",
                        "reference_value": round(pwall, 4),
                        "ratio": round(wall / pwall, 3) if pwall else None,
                        "target": "<= 1.0",
                        "ok": wall <= pwall,
                        "cpu": round(cpu, 4),
                        "reference_cpu": round(pcpu, 4),
                        "reference_findings": pfind,
                        "reference_failed_files": pfailed,
                    }
                )
                + "\n"
            )
    sys.path.insert(0, str(REPO / "server"))
    from accessdenied.policy import parse_json

    stmts = []
    if CORPUS.is_dir():
        for p in sorted(CORPUS.glob("*.json")):
            doc = json.loads(p.read_text(encoding="utf-8"))
            s = doc.get("Statement")
            stmts.extend(s if isinstance(s, list) else [s])
            if len(json.dumps(stmts, indent=2)) > 100_000:
                break
    else:  # pragma: no cover
        stmts = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}] * 900
    text = json.dumps({"Version": "2012-10-17", "Statement": stmts}, indent=2)[:100_000]
    best = min(_cpu(lambda: parse_json(text)) for _ in range(7))
    emit("parse_100kb_cpu", best * 1000, "ms", "<= 10", best <= 0.010, size=len(text))


def _cpu(fn: object) -> float:
    t0 = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - t0


if __name__ == "__main__":
    main()
