"""Language-server latency and memory, measured over real stdio against `accessdenied serve`.

Metrics: server start to `initialize` answered, diagnostics latency after a one-line append
to a watched log (polling, as Neovim gets, and client-watched, as VS Code gets), open of a
10 MB log, hover and code-action p95, and the server's peak RSS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SERVER = [sys.executable, "-m", "accessdenied", "serve"]

DENIAL = (
    "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when "
    "calling the PutItem operation: User: arn:aws:sts::111122223333:assumed-role/"
    "app-role/i-0abc{n:05d} is not authorized to perform: dynamodb:PutItem on resource: "
    "arn:aws:dynamodb:us-east-1:111122223333:table/report-index-{n} because no "
    "identity-based policy allows the dynamodb:PutItem action\n"
)
NOISE = (
    "2026-11-28T09:14:02.113Z INFO  worker {n} processed batch ok, items=42, ms=17\n"
)


def row(metric: str, value: float, unit: str, target: str, ok: bool) -> None:
    print(
        json.dumps(
            {
                "area": "lsp",
                "metric": metric,
                "load_1min": round(os.getloadavg()[0], 1),
                "value": round(value, 4),
                "unit": unit,
                "target": target,
                "ok": ok,
            }
        ),
        flush=True,
    )


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


class Client:
    def __init__(self, profile: str, root: Path, settings: dict[str, Any]) -> None:
        self.profile = profile
        self.root = root
        self.settings = settings
        self.lc = LanguageClient("bench", "1")
        self.diags: dict[str, list[types.Diagnostic]] = {}
        self.events: asyncio.Queue[tuple[float, str, int]] = asyncio.Queue()
        lc = self.lc

        @lc.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diags(params: types.PublishDiagnosticsParams) -> None:
            self.diags[params.uri] = list(params.diagnostics)
            self.events.put_nowait(
                (time.perf_counter(), params.uri, len(params.diagnostics))
            )

        @lc.feature(types.WORKSPACE_CONFIGURATION)
        def _config(params: types.ConfigurationParams) -> list[Any]:
            return [self.settings for _ in params.items]

        @lc.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _reg(params: Any) -> None:
            return None

        @lc.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _progress(params: Any) -> None:
            return None

        @lc.feature(types.PROGRESS)
        def _p(params: Any) -> None:
            return None

        self.ready = asyncio.Event()

        @lc.feature(types.WINDOW_LOG_MESSAGE)
        def _log(params: Any) -> None:
            if "server ready" in params.message:
                self.ready.set()

    async def start(self) -> float:
        t0 = time.perf_counter()
        await self.lc.start_io(*SERVER)
        await self.lc.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities(self.profile),
                root_uri=self.root.as_uri(),
                workspace_folders=[
                    types.WorkspaceFolder(uri=self.root.as_uri(), name="w")
                ],
            )
        )
        elapsed = time.perf_counter() - t0
        self.lc.initialized(types.InitializedParams())
        return elapsed

    async def wait(self, uri: str, predicate: Any, timeout: float = 60) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            if predicate(self.diags.get(uri)):
                return time.perf_counter()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(uri)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.events.get(), remaining)

    async def stop(self) -> None:
        await self.lc.shutdown_async(None)
        self.lc.exit(None)
        await self.lc.stop()

    def rss_mb(self) -> float:
        server = getattr(self.lc, "_server", None)
        pid = getattr(server, "pid", None)
        if pid is None:
            return float("nan")
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def make_workspace(tmp: Path) -> Path:
    root = tmp / "ws"
    shutil.copytree(EXAMPLES, root)
    return root


async def bench_append(profile: str, root: Path, notify: bool) -> list[float]:
    log = root / "logs" / f"bench-{profile}.log"
    log.write_text(NOISE.format(n=0))
    uri = log.as_uri()
    c = Client(profile, root, {"logs": {"pollInterval": 0.1}})
    await c.start()
    latencies = []
    try:
        await asyncio.sleep(1.0)  # let discovery and indexing settle (not measured)
        for n in range(1, 11):
            t0 = time.perf_counter()
            with log.open("a") as fh:
                fh.write(DENIAL.format(n=n))
            if notify:
                c.lc.workspace_did_change_watched_files(
                    types.DidChangeWatchedFilesParams(
                        changes=[
                            types.FileEvent(uri=uri, type=types.FileChangeType.Changed)
                        ]
                    )
                )
            t1 = await c.wait(uri, lambda ds, n=n: ds is not None and len(ds) >= n)
            latencies.append(t1 - t0)
    finally:
        await c.stop()
    return latencies


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmpdir:
        root = make_workspace(Path(tmpdir))
        # Start-up (5 cold starts, median).
        starts = []
        readies = []
        for _ in range(3):
            c = Client("visual_studio_code", root, {})
            t0 = time.perf_counter()
            starts.append(await c.start())
            await asyncio.wait_for(c.ready.wait(), 60)
            readies.append(time.perf_counter() - t0)
            await c.stop()
        ready = statistics.median(readies)
        row(
            "server start to ready (initialized handled: settings, index, log scan)",
            ready,
            "s",
            "< 3 s",
            ready < 3,
        )
        start = statistics.median(starts)
        row(
            "server start to initialize answered (median of 3)",
            start,
            "s",
            "< 2 s",
            start < 2,
        )

        polled = await bench_append("neovim", root, notify=False)
        med = statistics.median(polled)
        row(
            "diagnostics after 1-line append, polling 0.1 s (Neovim), median of 10",
            med,
            "s",
            "< 0.5 s",
            med < 0.5,
        )
        watched = await bench_append("visual_studio_code", root, notify=True)
        med = statistics.median(watched)
        row(
            "diagnostics after 1-line append, didChangeWatchedFiles (VS Code), median of 10",
            med,
            "s",
            "< 0.25 s",
            med < 0.25,
        )

        # A 10 MB log opened in the editor, plus hover and code actions on it.
        c = Client("visual_studio_code", root, {})
        await c.start()
        try:
            lines: list[str] = []
            size = 0
            n = 0
            while size < 10 * 1024 * 1024:
                line = DENIAL.format(n=n) if n % 500 == 0 else NOISE.format(n=n)
                lines.append(line)
                size += len(line)
                n += 1
            text = "".join(lines)
            uri = (root / "logs" / "big.log").as_uri()
            t0 = time.perf_counter()
            c.lc.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="log", version=1, text=text
                    )
                )
            )
            t1 = await c.wait(uri, lambda ds: bool(ds), timeout=120)
            row(
                f"open of a 10 MB log ({len(c.diags[uri])} denial diagnostics)",
                t1 - t0,
                "s",
                "< 5 s",
                t1 - t0 < 5,
            )
            small = (root / "logs" / "app.log").as_uri()
            app_text = (root / "logs" / "app.log").read_text()
            c.lc.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=small, language_id="log", version=1, text=app_text
                    )
                )
            )
            await c.wait(small, lambda ds: bool(ds))
            [diag] = c.diags[small]
            line_no = diag.range.start.line
            line = app_text.splitlines()[line_no]
            hover_points = [
                line.index("arn:aws:sts") + 5,
                line.index("dynamodb:PutItem") + 3,
                line.index("arn:aws:dynamodb") + 5,
            ]
            times = []
            for i in range(60):
                pos = types.Position(line=line_no, character=hover_points[i % 3])
                t0 = time.perf_counter()
                await c.lc.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=small),
                        position=pos,
                    )
                )
                times.append(time.perf_counter() - t0)
            row(
                "hover p95 (principal, action, resource ARN)",
                p95(times),
                "s",
                "< 0.2 s",
                p95(times) < 0.2,
            )
            times = []
            for _ in range(30):
                t0 = time.perf_counter()
                await c.lc.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=types.TextDocumentIdentifier(uri=small),
                        range=diag.range,
                        context=types.CodeActionContext(diagnostics=[diag]),
                    )
                )
                times.append(time.perf_counter() - t0)
            row(
                "code action p95 (lazy resolve client)",
                p95(times),
                "s",
                "< 0.3 s",
                p95(times) < 0.3,
            )
            actions = await c.lc.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=small),
                    range=diag.range,
                    context=types.CodeActionContext(diagnostics=[diag]),
                )
            )
            first = next(a for a in actions or [] if isinstance(a, types.CodeAction))
            times = []
            for _ in range(30):
                t0 = time.perf_counter()
                await c.lc.code_action_resolve_async(first)
                times.append(time.perf_counter() - t0)
            row(
                "codeAction/resolve p95 (edit computed)",
                p95(times),
                "s",
                "< 0.3 s",
                p95(times) < 0.3,
            )
            rss = c.rss_mb()
            row("server peak RSS after the 10 MB log", rss, "MB", "< 400 MB", rss < 400)
        finally:
            await c.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
