"""Policy validation side by side: us, cfn-lint and parliament.

Two corpora:
- the defect corpus: cfn-lint's own IAM fixtures converted in ../shared/peers/cfn/ with
  cfn.tsv (94 policy-grammar defects with their lines, plus line ranges that are
  valid): defects flagged, false errors on valid ranges, time;
- the 1,582 AWS managed policies (../shared/corpus/aws-managed-policies): all valid,
  so every error-level finding is a false error; time.

cfn-lint reads templates, so the managed policies are wrapped as
AWS::IAM::ManagedPolicy resources (400 per template, below its resource limit) and
only its IAM rules count. parliament reads bare policies: for the templates it gets
each document our detector finds (JSON re-serialised, so a parliament finding counts
for a defect when the document spans the defect's lines: document-level attribution,
generous to parliament).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# shared/ sits beside the clone; ACCESSDENIED_SHARED overrides (as in tests/paths.py).
SHARED = Path(os.environ.get("ACCESSDENIED_SHARED", REPO.parent / "shared"))
PEERS = SHARED / "peers"
CORPUS = SHARED / "corpus" / "aws-managed-policies"
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))

IAM_RULES = {"E3510", "E3512", "E3513", "E3514", "E3530", "W3037", "W2511", "I3510"}
# parliament findings that say the policy is broken (the others are advice).
PARLIAMENT_ERRORS = {
    "MALFORMED_JSON",
    "MALFORMED",
    "INVALID_ARN",
    "INVALID_VERSION",
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_PRINCIPAL",
    "UNKNOWN_OPERATOR",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "MISMATCHED_TYPE",
    "INVALID_SID",
    "DUPLICATE_SID",
    "EXCEPTION",
}


def emit(metric: str, value: float, unit: str, **extra: object) -> None:
    """One benchmark line (benchmarks/run.py format)."""
    line: dict[str, object] = {
        "area": "check-peers",
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
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


def _cfn_lint_lines(
    proc: subprocess.CompletedProcess[str],
) -> dict[str, list[tuple[int, int, str]]]:
    """file name -> [(line, end line, rule)] of cfn-lint's IAM findings (parseable)."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for line in proc.stdout.splitlines():
        parts = line.split(":", 6)
        if len(parts) < 7 or parts[5] not in IAM_RULES:
            continue
        try:
            start, end = int(parts[1]), int(parts[3])
        except ValueError:
            continue
        out.setdefault(Path(parts[0]).name, []).append((start, end, parts[5]))
    return out


def defect_corpus() -> None:
    from tests.peers.cfn_suite import load_rows

    rows = load_rows(PEERS / "cfn.tsv")
    files = sorted({r.file for r in rows if r.kind in ("policy", "valid")})
    paths = [str(PEERS / "cfn" / f) for f in files]

    # us: one process over the templates
    wall, cpu, proc = timed(
        [sys.executable, "-m", "accessdenied", "check", *paths, "--format", "json"]
    )
    ours: dict[str, list[tuple[int, int, str]]] = {}
    for f in json.loads(proc.stdout or '{"findings": []}')["findings"]:
        ours.setdefault(Path(f["file"]).name, []).append(
            (f["line"], f["end_line"], f["severity"])
        )
    flagged, false = _score(rows, ours, lambda sev: sev in ("error", "warning", "info"))
    emit(
        "defects_flagged_accessdenied",
        flagged,
        "defects",
        of=sum(r.kind == "policy" for r in rows),
        false_errors=false,
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
    )

    # cfn-lint: one process over the same templates
    cwall, ccpu, cproc = timed(
        [str(Path(sys.executable).parent / "cfn-lint"), "-f", "parseable", *paths]
    )
    theirs = _cfn_lint_lines(cproc)
    cflag, cfalse = _score(
        rows,
        {k: [(a, b, rule) for a, b, rule in v] for k, v in theirs.items()},
        lambda rule: True,
        error=lambda rule: rule.startswith("E"),
    )
    emit(
        "defects_flagged_cfn_lint",
        cflag,
        "defects",
        reference="cfn-lint 1.58.0 (IAM rules)",
        false_errors=cfalse,
        wall_s=round(cwall, 3),
        cpu_s=round(ccpu, 3),
    )

    # parliament: every document our detector finds, one process
    pwall, pcpu, pflag, pfalse = _parliament_defects(rows, files)
    emit(
        "defects_flagged_parliament",
        pflag,
        "defects",
        reference="parliament 1.6.4 (documents extracted by us)",
        false_errors=pfalse,
        wall_s=round(pwall, 3),
        cpu_s=round(pcpu, 3),
    )


def _score(
    rows: list,  # type: ignore[type-arg]
    found: dict[str, list[tuple[int, int, str]]],
    counts: object,
    error: object = None,
) -> tuple[int, int]:
    is_error = error if callable(error) else (lambda sev: sev == "error")
    counts_fn = counts if callable(counts) else (lambda _s: True)
    flagged = false = 0
    for r in rows:
        hits = found.get(r.file, [])
        if r.kind == "policy":
            flagged += any(
                counts_fn(tag) and any(line in r.lines for line in range(a, b + 1))
                for a, b, tag in hits
            )
        elif r.kind == "valid":
            false += sum(
                1
                for a, b, tag in hits
                if is_error(tag)
                and (
                    r.lines is None or any(line in r.lines for line in range(a, b + 1))
                )
            )
    return flagged, false


PARLIAMENT_DOCS = """
import json, sys
from parliament import analyze_policy_string
out = []
for item in json.load(sys.stdin):
    try:
        issues = [f.issue for f in analyze_policy_string(item["policy"]).findings]
    except Exception:
        issues = ["EXCEPTION"]
    out.append({"file": item["file"], "start": item["start"], "end": item["end"],
                "issues": issues})
json.dump(out, sys.stdout)
"""


def _parliament_defects(rows: list, files: list[str]) -> tuple[float, float, int, int]:  # type: ignore[type-arg]
    from accessdenied.policy.detect import find_policies

    items = []
    for name in files:
        text = (PEERS / "cfn" / name).read_text(encoding="utf-8")
        for emb in find_policies(name, text):
            if emb.value is None:
                continue
            items.append(
                {
                    "file": name,
                    "start": emb.span.start_line,
                    "end": emb.span.end_line,
                    "policy": json.dumps(emb.value, indent=2),
                }
            )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PARLIAMENT_DOCS],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    results = json.loads(proc.stdout or "[]")
    found: dict[str, list[tuple[int, int, str]]] = {}
    for res in results:
        for issue in res["issues"]:
            found.setdefault(res["file"], []).append((res["start"], res["end"], issue))
    flagged, false = _score(
        rows, found, lambda _i: True, error=lambda i: i in PARLIAMENT_ERRORS
    )
    return wall, cpu, flagged, false


def managed_corpus() -> None:
    files = sorted(CORPUS.glob("*.json"))
    wall, cpu, proc = timed(
        [sys.executable, "-m", "accessdenied", "check", str(CORPUS), "--format", "json"]
    )
    data = json.loads(proc.stdout or '{"findings": []}')
    errors = sum(1 for f in data["findings"] if f["severity"] == "error")
    emit(
        "managed_false_errors_accessdenied",
        errors,
        "findings",
        files=len(files),
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
        target="0 errors, < 3 s",
        ok=errors == 0 and cpu < 3.0,
    )
    with tempfile.TemporaryDirectory() as tmp:
        chunks = [files[i : i + 400] for i in range(0, len(files), 400)]
        paths = []
        for n, chunk in enumerate(chunks):
            resources = {}
            for i, p in enumerate(chunk):
                resources[f"P{i}"] = {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {"PolicyDocument": json.loads(p.read_text())},
                }
            t = Path(tmp) / f"managed-{n}.json"
            t.write_text(
                json.dumps(
                    {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources},
                    indent=1,
                )
            )
            paths.append(str(t))
        cwall, ccpu, cproc = timed(
            [str(Path(sys.executable).parent / "cfn-lint"), "-f", "parseable", *paths]
        )
        lines = [
            line.split(":", 6)
            for line in cproc.stdout.splitlines()
            if len(line.split(":", 6)) == 7
        ]
        iam_errors = sum(1 for p in lines if p[5] in IAM_RULES and p[5].startswith("E"))
        emit(
            "managed_false_errors_cfn_lint",
            iam_errors,
            "findings",
            reference="cfn-lint 1.58.0 (IAM rules, wrapped in templates)",
            wall_s=round(cwall, 3),
            cpu_s=round(ccpu, 3),
        )
    script = """
import sys, pathlib
from parliament import analyze_policy_string
errs = failed = 0
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    try:
        errs += sum(1 for f in analyze_policy_string(p.read_text()).findings
                    if f.issue in set(sys.argv[2].split(",")))
    except Exception:
        failed += 1
print(errs, failed)
"""
    pwall, pcpu, pproc = timed(
        [sys.executable, "-c", script, str(CORPUS), ",".join(sorted(PARLIAMENT_ERRORS))]
    )
    perr, pfailed = (int(x) for x in (pproc.stdout.split() or ["0", "0"]))
    emit(
        "managed_false_errors_parliament",
        perr,
        "findings",
        reference="parliament 1.6.4 (per-file API)",
        failed_files=pfailed,
        wall_s=round(pwall, 3),
        cpu_s=round(pcpu, 3),
    )


def main() -> None:
    import importlib.util

    if not (PEERS / "cfn.tsv").is_file() or not CORPUS.is_dir():
        sys.stderr.write("bench_policy_peers: ../shared peers/corpus missing\n")
        return
    if importlib.util.find_spec("parliament") is None:
        sys.stderr.write("bench_policy_peers: parliament not installed (.[bench])\n")
        return
    defect_corpus()
    managed_corpus()


if __name__ == "__main__":
    main()
