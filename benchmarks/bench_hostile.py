"""Hostile-input benchmark (issue 18): the server stays bounded under floods.

- terminal flood: 400 x 1 MB lines into one terminal, then a denial; the server's peak
  RSS (VmHWM) and the p95 of hovers sent during the flood (target: RSS < 300 MiB,
  hover p95 < 1 s).
- 3,000 terminals with one line each: peak RSS (target < 300 MiB).
- 1 GB appended to a watched log (filler, one denial per MB, the last at the end):
  peak RSS and the time from the end of the append to the diagnostic of the last
  denial (target: RSS < 300 MiB).
Prints JSON lines for benchmarks/run.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO))

from tests.reliability.helpers import DENIAL, big_log  # noqa: E402
from tests.reliability.lsp_raw import RawServer  # noqa: E402

RSS_TARGET_MIB = 300


def emit(metric: str, value: float, unit: str, target: str, ok: bool) -> None:
    row = {"area": "hostile", "metric": metric, "value": round(value, 3), "unit": unit}
    row.update({"target": target, "ok": ok})
    print(json.dumps(row), flush=True)


async def _ready(server: RawServer) -> None:
    await server.wait_notification(
        "window/logMessage", lambda p: "server ready" in p["message"], timeout=120
    )


def _term(server: RawServer, name: str, data: str) -> None:
    server.notify(
        "accessDenied/terminalOutput",
        {"terminal": name, "command": "aws s3 cp", "data": data},
    )


async def terminal_flood(root: Path) -> None:
    server = await RawServer.start()
    try:
        await server.initialize(root)
        await _ready(server)
        uri = "accessdenied-terminal:/flood"
        line = "x" * (1 << 20) + "\n"
        hovers: list[float] = []
        _term(server, "flood", DENIAL + "\n")
        for i in range(400):
            _term(server, "flood", line)
            if i % 20 == 19:
                t0 = time.perf_counter()
                msg_id = server.request(
                    "textDocument/hover",
                    {
                        "textDocument": {"uri": uri},
                        "position": {"line": 0, "character": 0},
                    },
                )
                await server.response(msg_id, timeout=120)
                hovers.append(time.perf_counter() - t0)
        _term(server, "flood", DENIAL + "\n")
        await server.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p["diagnostics"],
            timeout=300,
        )
        peak = server.rss_kib("VmHWM") / 1024
        emit("terminal flood 400 x 1 MB: server peak RSS", peak, "MiB",
             f"< {RSS_TARGET_MIB} MiB", peak < RSS_TARGET_MIB)  # fmt: skip
        p95 = statistics.quantiles(hovers, n=20)[-1] if len(hovers) > 1 else hovers[0]
        emit("hover p95 during the flood", p95, "s", "< 1 s", p95 < 1)
        await server.close(timeout=30)
    finally:
        server.kill()


async def many_terminals(root: Path) -> None:
    server = await RawServer.start()
    try:
        await server.initialize(root)
        await _ready(server)
        for i in range(3000):
            _term(server, f"t{i}", f"line {i}\n" * 50)
        status = await server.response(
            server.request("accessDenied/status", {}), timeout=300
        )
        kept = len(status["result"]["terminals"])
        peak = server.rss_kib("VmHWM") / 1024
        emit(f"3,000 terminals ({kept} kept): server peak RSS", peak, "MiB",
             f"< {RSS_TARGET_MIB} MiB", peak < RSS_TARGET_MIB)  # fmt: skip
        await server.close(timeout=30)
    finally:
        server.kill()


async def gigabyte_append(root: Path) -> None:
    source = big_log(1000)
    log = root / "app.log"
    log.write_text("start\n", encoding="utf-8")
    server = await RawServer.start()
    try:
        await server.initialize(root, {"logs": {"pollInterval": 0.2}})
        await _ready(server)
        with open(source, "rb") as src, open(log, "ab") as dst:
            shutil.copyfileobj(src, dst, 8 << 20)
            dst.write(DENIAL.replace("b/k", "b/last").encode() + b"\n")
        t0 = time.perf_counter()
        await server.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: (
                p["uri"] == log.as_uri()
                and any("b/last" in d["message"] for d in p["diagnostics"])
            ),
            timeout=900,
        )
        elapsed = time.perf_counter() - t0
        peak = server.rss_kib("VmHWM") / 1024
        emit("1 GB append to a watched log: server peak RSS", peak, "MiB",
             f"< {RSS_TARGET_MIB} MiB", peak < RSS_TARGET_MIB)  # fmt: skip
        emit("1 GB append: time to the last denial's diagnostic", elapsed, "s",
             "reported", True)  # fmt: skip
        await server.close(timeout=60)
    finally:
        server.kill()
        log.unlink(missing_ok=True)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        await terminal_flood(root)
        await many_terminals(root)
        await gigabyte_append(root)


if __name__ == "__main__":
    asyncio.run(main())
