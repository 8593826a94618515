"""Live mode: fetch latency against a local moto server (cold and cached), the cost of
live mode off, and the semantic diff over the AWS managed-policy corpus."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
SHARED = Path(os.environ.get("ACCESSDENIED_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus" / "aws-managed-policies"


def emit(metric: str, value: float, unit: str, target: str, ok: bool) -> None:
    print(
        json.dumps(
            {
                "area": "live",
                "metric": metric,
                "value": round(value, 4),
                "unit": unit,
                "target": target,
                "ok": ok,
            }
        ),
        flush=True,
    )


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return proc, url
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)


def bench_fetch() -> None:
    proc, url = start_moto()
    try:
        os.environ.update(
            AWS_ACCESS_KEY_ID="AKIAFAKEKEYID0BENCH0",
            AWS_SECRET_ACCESS_KEY="bench" * 8,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=url,
        )
        import boto3

        from accessdenied.aws import LiveAccount, LiveConfig

        iam = boto3.client("iam")
        trust = {"Version": "2012-10-17", "Statement": []}
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
            ],
        }
        roles = []
        for i in range(6):
            name = f"bench-{i}"
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            iam.put_role_policy(
                RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(doc)
            )
            iam.attach_role_policy(
                RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSLambdaExecute"
            )
            iam.attach_role_policy(
                RoleName=name,
                PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            )
            roles.append(f"arn:aws:iam::123456789012:role/{name}")
        acct = LiveAccount(LiveConfig(enabled=True, region="us-east-1"))
        acct.principal_policies(roles[0])  # warm the client and moto's IAM backend
        cold = []
        for arn in roles[1:]:
            t0 = time.perf_counter()
            pp = acct.principal_policies(arn)
            cold.append(time.perf_counter() - t0)
            assert len(pp.identity) == 3
            assert not pp.findings
        warm = []
        for _ in range(200):
            t0 = time.perf_counter()
            acct.principal_policies(roles[1])
            warm.append(time.perf_counter() - t0)
        c = statistics.median(cold)
        w = statistics.median(warm) * 1e6
        emit(
            "principal policies, cold (3 policies, 8 calls, local moto)",
            c * 1000,
            "ms",
            "<= 500 ms",
            c <= 0.5,
        )
        emit("principal policies, cached", w, "µs", "<= 100 µs", w <= 100)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bench_off() -> None:
    from accessdenied.lsp.live import LiveMode

    live = LiveMode.from_settings({"accessdenied": {"aws": {"liveMode": False}}})

    async def run() -> float:
        t0 = time.perf_counter()
        for _ in range(10_000):
            await live.principal_policies("arn:aws:iam::1:role/r")
        return (time.perf_counter() - t0) / 10_000 * 1e6

    us = asyncio.run(run())
    emit("live mode off: one API call", us, "µs", "<= 50 µs", us <= 50)


def bench_diff() -> None:
    from accessdenied.aws import diff_documents

    docs: list[Any] = []
    for path in sorted(CORPUS.glob("*.json")):
        try:
            docs.append(json.loads(path.read_text()))
        except ValueError:
            continue
    t0 = time.perf_counter()
    differing = 0
    for d in docs:
        st = d.get("Statement")
        shuffled = dict(d, Statement=list(reversed(st)) if isinstance(st, list) else st)
        if diff_documents([d], [shuffled]).differs:
            differing += 1
    secs = time.perf_counter() - t0
    emit(
        f"semantic diff, {len(docs)} managed policies vs reordered self",
        secs,
        "s",
        "<= 10 s and 0 false differences",
        secs <= 10 and differing == 0,
    )


if __name__ == "__main__":
    bench_off()
    bench_diff()
    bench_fetch()
