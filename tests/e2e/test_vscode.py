"""Real VS Code (code-server 4.139.1) in Debian's Chromium, driven by playwright-core.

Installs the built .vsix into a fresh profile, opens a copy of examples/, and checks the whole
loop through the UI: denial in the Problems panel, hover on the principal ARN, quick fix
applied from the light-bulb menu, policy file saved; then `accessdenied simulate` on the file.
Last, `sleep 1; cat logs/terminal.log` runs in the integrated terminal once shell integration
is up: the extension forwards its output and the denial appears under the terminal (why the
command waits a moment: tests/e2e/vscode/drive.mjs).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e import tools
from tests.e2e.test_nvim import ACTION, PRINCIPAL, RESOURCE
from tests.paths import EXAMPLES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("vscode")]

DRIVER = Path(__file__).parent / "vscode" / "drive.mjs"


def _vsix() -> Path:
    version = json.loads((tools.VSCODE_EXT / "package.json").read_text())["version"]
    return tools.require(
        tools.VSCODE_EXT / f"accessdenied-{version}.vsix",
        "the extension (.vsix; `make vsix`)",
        "45-vscode-extension.sh",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"code-server exited: {log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)  # polling the editor's health endpoint while it starts
    pytest.fail(f"code-server not healthy after 60 s: {log.read_text()[-2000:]}")


def test_vscode_problems_hover_quickfix(tmp_path: Path) -> None:
    tools.require(tools.NODE24, "Node 24", "42-node24.sh")
    tools.require(tools.CODE_SERVER, "code-server 4.139.1", "43-code-server.sh")
    tools.require(tools.CHROMIUM, "Debian's chromium", "40-editors-apt.sh")
    tools.require(tools.PLAYWRIGHT, "playwright-core", "44-playwright.sh")
    vsix = _vsix()

    ws = tmp_path / "examples"
    shutil.copytree(EXAMPLES, ws, ignore=shutil.ignore_patterns(".accessdenied"))
    policy = ws / "policies" / "app-role.json"
    assert tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)["decision"] != "allowed"

    home = tmp_path / "home"
    user = tmp_path / "user-data" / "User"
    user.mkdir(parents=True)
    (user / "settings.json").write_text(
        json.dumps(
            {
                "accessdenied.server.interpreter": [tools.server_python()],
                "accessdenied.server.path": tools.server_override(),
                "security.workspace.trust.enabled": False,
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "telemetry.telemetryLevel": "off",
                "extensions.autoUpdate": False,
                "extensions.autoCheckUpdates": False,
                "update.mode": "none",
                "workbench.enableExperiments": False,
                "chat.disableAIFeatures": True,
                "editor.hover.delay": 100,
                "accessdenied.trace.server": "messages",
                "accessdenied.server.logLevel": "debug",
                "workbench.secondarySideBar.defaultVisibility": "hidden",
            }
        )
    )
    port = _free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    env = tools.isolated_env(home)
    env["PATH"] = f"{tools.NODE24.parent}:{env['PATH']}"
    base = [
        str(tools.CODE_SERVER),
        "--config",
        str(config),
        "--user-data-dir",
        str(tmp_path / "user-data"),
        "--extensions-dir",
        str(tmp_path / "extensions"),
    ]
    install = subprocess.run(
        [*base, "--install-extension", str(vsix)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert install.returncode == 0, install.stderr + install.stdout

    log = tmp_path / "code-server.log"
    start = time.monotonic()
    with log.open("wb") as out:
        # Own process group: the extension host and the language server go with it.
        proc = subprocess.Popen(
            [
                *base,
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--reconnection-grace-time",
                "5",
                str(ws),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(port, proc, log)
        shots = tmp_path / "shots"
        shots.mkdir()
        drive_env = dict(env)
        drive_env["AD_LOGS_DIR"] = str(tmp_path / "user-data" / "logs")
        drive = subprocess.run(
            [
                str(tools.NODE24),
                str(DRIVER),
                f"http://127.0.0.1:{port}/?folder={ws}",
                str(shots),
            ],
            cwd=DRIVER.parent,
            env=drive_env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        deadline = time.monotonic() + 15
        while "s3:PutObject" not in policy.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # the save reaches the disk asynchronously
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
    elapsed = time.monotonic() - start
    # Pictures and results for people: test-output/vscode-e2e*.png, .json, the editor's log.
    tools.OUTPUT.mkdir(exist_ok=True)
    shutil.copy(log, tools.OUTPUT / "vscode-code-server.log")
    for f in shots.iterdir():
        shutil.copy(f, tools.OUTPUT / f.name)
    assert drive.returncode == 0, (
        f"{drive.stdout[-3000:]}\n{drive.stderr[-3000:]}\n--- code-server log:\n"
        f"{log.read_text()[-3000:]}"
    )
    result = json.loads((shots / "vscode-e2e.json").read_text())
    assert any(ACTION in row for row in result["problems"]), result["problems"]
    assert result["hover"].strip()
    assert result["fixes"], "no quick fix in the light-bulb menu"
    json.loads(policy.read_text())
    after = tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)
    assert after["decision"] == "allowed", (after, policy.read_text())
    assert (shots / "vscode-e2e.png").stat().st_size > 10_000
    assert result["denials"]["before"] >= 1, result["denials"]
    # Terminal capture: the command's output reached the server through shell integration.
    assert result["terminalCapture"] == "seen", (
        result["steps"],
        result["problemsAfter"],
    )
    assert result["denials"]["after"] > result["denials"]["before"], result["denials"]
    assert elapsed < 150
