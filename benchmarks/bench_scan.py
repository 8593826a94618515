"""Scanner benchmark: whole-process `accessdenied scan --format json` vs `grep -F`.

Generates (once; reused from build/bench/) a 200 MB application log: plain lines, JSON lines,
stack traces, HTTP access lines with `Authorization` headers and other near misses, and a few
rare planted denials of several families. Times, in the same run and best of N:
- `accessdenied scan --format json LOG` (a fresh process: start-up included)
- `grep -F -c` with the scanner's prefilter literals (LC_ALL=C)
and checks that every planted denial is reported at its line. Also times a 1 MB single line of
near matches (regex audit: must be linear; 10 x the input within 25 x the time).
Prints JSON lines for benchmarks/run.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "bench"
LOG = BUILD / "scan-200mb.log"
PLANTS = BUILD / "scan-200mb.plants.json"
SIZE = 200 * 1024 * 1024
BIN = REPO / ".venv" / "bin" / "accessdenied"
RUNS = 5

sys.path.insert(0, str(REPO / "server"))
from accessdenied.denials.grammars import PREFILTER_LITERALS  # noqa: E402

P = "arn:aws:sts::111122223333:assumed-role/app-role/i-0abc{n:04d}"
DENIALS = [
    "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
    "PutObject operation: User: "
    + P
    + " is not authorized to perform: s3:PutObject on "
    'resource: "arn:aws:s3:::reports/{n}.csv" because no identity-based policy allows the '
    "s3:PutObject action",
    '{{"level":"error","msg":"AccessDeniedException: User: '
    + P
    + " is not authorized to "
    "perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/t{n} "
    'with an explicit deny in a service control policy"}}',
    "Error: operation error S3: HeadObject, https response error StatusCode: 403, RequestID: "
    "R{n}, HostID: h{n}=, api error Forbidden: Forbidden",
    "upload failed: ./a{n} to s3://b/a{n} An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied",
    "launching instance: UnauthorizedOperation: You are not authorized to perform this "
    "operation. Encoded authorization failure message: AbC{n}dEf-_ghI",
]
WORDS = ["request", "served", "user", "session", "cache", "miss", "hit", "retry", "backoff", "worker", "queue", "job", "payload", "bytes", "latency", "upstream", "connection", "pool", "checkout", "shard", "leader", "follower"]


def _filler(rng: random.Random) -> str:
    k = rng.random()
    ts = f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    if k < 0.55:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
        return f"{ts}:{rng.randint(0, 59):02d}Z INFO [w-{rng.randint(1, 64)}] {words}\n"
    if k < 0.80:
        return (
            json.dumps(
                {
                    "ts": ts,
                    "level": rng.choice(("info", "debug", "warn")),
                    "msg": " ".join(rng.choice(WORDS) for _ in range(8)),
                    "latency_ms": rng.randint(1, 900),
                    "trace": f"{rng.getrandbits(64):016x}",
                }
            )
            + "\n"
        )
    if k < 0.95:
        return (
            f'10.0.{rng.randint(0, 255)}.{rng.randint(0, 255)} - - [{ts}] "GET /api/v1/items/'
            f'{rng.randint(1, 99999)} HTTP/1.1" {rng.choice((200, 200, 200, 304, 404))} '
            f"{rng.randint(100, 90000)}\n"
        )
    return (
        "Traceback (most recent call last):\n"
        f'  File "/srv/app/worker.py", line {rng.randint(1, 900)}, in run\n'
        "    result = handler(event)\n"
        f"ValueError: bad payload {rng.getrandbits(32):08x}\n"
    )


# Near misses grep -F also matches: they make the scanner parse windows that hold nothing.
NEAR = [
    "2026-11-02T10:00:00Z DEBUG authorization header present, token refreshed\n",
    "2026-11-02T10:00:00Z WARN cache write not allowed while draining\n",
    '{"level":"warn","msg":"Forbidden path /admin requested by 10.0.0.9"}\n',
]


def generate() -> list[int]:
    """Write LOG (if missing) and return the 1-based lines of the planted denials."""
    if LOG.is_file() and PLANTS.is_file() and LOG.stat().st_size >= SIZE:
        return list(json.loads(PLANTS.read_text()))
    BUILD.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261129)
    block_lines = [_filler(rng) for _ in range(40_000)]
    plants: list[int] = []
    line_no = 0
    written = 0
    n = 0
    tmp = LOG.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        while written < SIZE:
            rng.shuffle(block_lines)
            chunk = "".join(block_lines)
            fh.write(chunk)
            written += len(chunk)
            line_no += chunk.count("\n")
            extra = NEAR[n % len(NEAR)]
            fh.write(extra)
            written += len(extra)
            line_no += 1
            if n % 4 == 0:
                text = DENIALS[(n // 4) % len(DENIALS)].format(n=n) + "\n"
                fh.write(text)
                written += len(text)
                line_no += 1
                plants.append(line_no)
            n += 1
    tmp.replace(LOG)
    PLANTS.write_text(json.dumps(plants))
    return plants


def best(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, bytes]:
    times = []
    out = b""
    for _ in range(RUNS):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return min(times), out


def emit(**kw: object) -> None:
    print(json.dumps({"area": "scan", **kw}), flush=True)


def main() -> int:
    t0 = time.perf_counter()
    plants = generate()
    print(f"log ready in {time.perf_counter() - t0:.1f}s: {LOG}", file=sys.stderr)
    mb = LOG.stat().st_size / 1e6
    grep = shutil.which("grep")
    env = dict(os.environ, LC_ALL="C")
    pat = BUILD / "scan-literals.txt"
    pat.write_text("\n".join(PREFILTER_LITERALS) + "\n")
    # Warm the page cache once so both tools read from memory.
    subprocess.run(["cat", str(LOG)], stdout=subprocess.DEVNULL, check=False)
    from accessdenied.denials.stream import prefilter_backend

    print(f"prefilter backend: {prefilter_backend()}", file=sys.stderr)
    t_scan, out = best([str(BIN), "scan", "--format", "json", str(LOG)])
    found = json.loads(out)["denials"]
    lines = sorted({d["line"] for d in found})
    missing = sorted(set(plants) - set(lines))
    ok_found = not missing
    if grep:
        t_grep, _ = best([grep, "-F", "-c", "-f", str(pat), str(LOG)], env)
        ratio = t_scan / t_grep
        emit(
            metric=f"{mb:.0f} MB log, whole process, scan --format json",
            value=round(t_scan, 3),
            unit="s",
            reference=f"grep -F -c, {len(PREFILTER_LITERALS)} literals",
            reference_value=round(t_grep, 3),
            ratio=round(ratio, 2),
            target="ratio <= 1.5",
            ok=ratio <= 1.5,
        )
        t_std, _ = best(
            [str(BIN), "scan", "--format", "json", str(LOG)],
            dict(os.environ, ACCESSDENIED_PREFILTER="stdlib"),
        )
        emit(
            metric=f"{mb:.0f} MB log, whole process, stdlib prefilter (no hyperscan)",
            value=round(t_std, 3),
            unit="s",
            reference="grep -F -c",
            reference_value=round(t_grep, 3),
            ratio=round(t_std / t_grep, 2),
        )
    emit(
        metric="throughput",
        value=round(mb / t_scan, 1),
        unit="MB/s",
    )
    emit(
        metric="planted denials found",
        value=len(plants) - len(missing),
        unit=f"of {len(plants)}",
        target="all",
        ok=ok_found,
    )
    # Regex audit: a single line of near matches, 100 KB vs 1 MB.
    from accessdenied.denials import scan_text

    unit = (
        "User: arn:aws:iam::1:user/x is not authorized to AccessDenied Access Denied "
        "Forbidden: not authorized to perform: on resource: arn:aws:s3:::b because no "
        '"errorCode": "AccessDenied", with an explicit deny in a \\\\" [31m '
    )
    timings = []
    for size in (100_000, 1_000_000):
        text = unit * (size // len(unit))
        t = time.perf_counter()
        scan_text(text)
        timings.append(time.perf_counter() - t)
    emit(
        metric="1 MB single line of near matches",
        value=round(timings[1], 3),
        unit="s",
        reference="100 KB x 10",
        reference_value=round(timings[0] * 10, 3),
        ratio=round(timings[1] / max(timings[0] * 10, 1e-6), 2),
        target="linear (ratio <= 2.5)",
        ok=timings[1] <= 2.5 * max(timings[0] * 10, 1e-3),
    )
    return 0 if ok_found else 1


if __name__ == "__main__":
    raise SystemExit(main())
