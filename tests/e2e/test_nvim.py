"""Headless Neovim (Debian's 0.7.2 and PyPI's 0.11.4) with client-nvim against the real server.

Open examples/logs/terminal.log (in a copy of examples/), get the denial diagnostics, hover the
principal ARN, apply the quick fix to policies/app-role.json, save it, and check with
`accessdenied simulate` that the policy now allows the denied request.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import tools
from tests.e2e.screens import ansi_to_html, html_to_png
from tests.paths import EXAMPLES, REPO

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("nvim")]

DRIVER = Path(__file__).parent / "nvim" / "drive.lua"
PLUGIN = REPO / "client-nvim"
PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/app-role/dev-session"
ACTION = "s3:PutObject"
RESOURCE = "arn:aws:s3:::acme-reports/2026/11/report.csv"

VERSIONS = {
    "0.7": (tools.NVIM_07, "v0.7.2", "40-editors-apt.sh"),
    "0.11": (tools.NVIM_011, "v0.11.4", "41-neovim-0.11.sh"),
}


def _nvim(version: str) -> Path:
    path, expected, step = VERSIONS[version]
    tools.require(path, f"Neovim {expected}", step)
    got = tools.nvim_version(path)
    if expected not in got:
        tools.missing(f"Neovim {expected} (found {got!r} at {path})", step)
    return path


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "examples"
    shutil.copytree(EXAMPLES, ws, ignore=shutil.ignore_patterns(".accessdenied"))
    return ws


def _argv(
    nvim: Path,
    headless: bool,
    early_setup: bool = False,
    log: str = "logs/terminal.log",
) -> list[str]:
    argv = [str(nvim)]
    if headless:
        argv.append("--headless")
    if early_setup:
        # As from init.lua: setup() before any file is loaded.
        argv += [
            "--cmd",
            f"set rtp+={PLUGIN}",
            "--cmd",
            "lua require('accessdenied').setup({cmd = vim.fn.json_decode(vim.env.AD_E2E_CMD)})",
        ]
    return [
        *argv,
        "--clean",
        "-n",
        "-i",
        "NONE",
        "--cmd",
        f"set rtp+={PLUGIN}",
        log,
        "-S",
        str(DRIVER),
    ]


def _env(tmp_path: Path, out: Path) -> dict[str, str]:
    env = tools.isolated_env(tmp_path / "home")
    env["AD_E2E_OUT"] = str(out)
    env["AD_E2E_CMD"] = json.dumps(tools.server_command())
    return env


@pytest.mark.parametrize("version", list(VERSIONS))
def test_nvim_quickfix_from_log_allows_request(version: str, tmp_path: Path) -> None:
    nvim = _nvim(version)
    ws = _workspace(tmp_path)
    policy = ws / "policies" / "app-role.json"
    before = tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)
    assert before["decision"] != "allowed", before

    out = tmp_path / "out.json"
    start = time.monotonic()
    proc = subprocess.run(
        _argv(nvim, headless=True),
        cwd=ws,
        env=_env(tmp_path, out),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    elapsed = time.monotonic() - start
    assert out.exists(), (
        f"driver wrote no result (rc={proc.returncode}): {proc.stderr[-2000:]}"
    )
    result = json.loads(out.read_text())
    (tools.OUTPUT).mkdir(exist_ok=True)
    (tools.OUTPUT / f"nvim-{version}-e2e.json").write_text(json.dumps(result, indent=2))
    assert result.get("ok"), f"{result.get('error')}\n{proc.stderr[-2000:]}"
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert result["version"] == version

    denial = [d for d in result["diagnostics"] if ACTION in d["message"]]
    assert denial, result["diagnostics"]
    assert denial[0]["source"] == "accessdenied"
    assert denial[0]["lnum"] == 1  # the `upload failed: ... PutObject` line, 0-based
    assert result["hover"].strip(), "empty hover on the principal ARN"
    assert "app-role" in result["hover"]
    assert result["actions"], "no quick fixes offered"
    assert any(Path(p).name == "app-role.json" for p in result["modified"]), result

    json.loads(policy.read_text())  # still valid JSON
    after = tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)
    assert after["decision"] == "allowed", (after, policy.read_text())
    assert elapsed < 60


@pytest.mark.parametrize("version", list(VERSIONS))
def test_nvim_screenshot_shows_diagnostics_and_hover(
    version: str, tmp_path: Path
) -> None:
    """The same scenario in a real terminal (tmux), pictured with the hover open."""
    nvim = _nvim(version)
    if not tools.have("tmux") or not tools.CHROMIUM.exists():
        tools.missing("tmux and chromium", "40-editors-apt.sh")
    ws = _workspace(tmp_path)
    out = tmp_path / "out.json"
    ready, go = tmp_path / "ready", tmp_path / "go"
    env = _env(tmp_path, out)
    env.update(
        AD_E2E_SHOT_READY=str(ready), AD_E2E_SHOT_GO=str(go), TERM="xterm-256color"
    )
    sock = f"ad-e2e-{version}-{tmp_path.name}"
    tmux = ["tmux", "-L", sock]
    cmd = " ".join(f"'{a}'" for a in _argv(nvim, headless=False))
    subprocess.run(
        [
            *tmux,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "42",
            "-c",
            str(ws),
            cmd,
        ],
        env=env,
        check=True,
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and not out.exists() and time.monotonic() < deadline:
            time.sleep(
                0.1
            )  # polling a file the editor writes, not waiting on the server
        assert ready.exists(), (
            out.read_text() if out.exists() else "nvim never got ready"
        )
        time.sleep(0.3)  # let the terminal UI finish drawing the float
        pane = subprocess.run(
            [*tmux, "capture-pane", "-p", "-e", "-t", "0"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        go.write_text("go")
    finally:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not out.exists():
            time.sleep(0.1)
        subprocess.run(
            [*tmux, "kill-server"], capture_output=True, check=False, timeout=30
        )
    assert "PutObject" in pane
    tools.OUTPUT.mkdir(exist_ok=True)
    page = tmp_path / "screen.html"
    page.write_text(
        ansi_to_html(
            pane,
            f"Neovim {version}: examples/logs/terminal.log, hover on the principal ARN",
        )
    )
    png = tools.OUTPUT / f"nvim-{version}-e2e.png"
    html_to_png(page, png, 1320, 760)
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("version", list(VERSIONS))
def test_nvim_terminal_output_is_forwarded(version: str, tmp_path: Path) -> None:
    """`:terminal cat logs/terminal.log`: the plugin forwards the buffer's lines as
    accessDenied/terminalOutput and the server publishes the denial on the terminal's
    virtual document (the long line arrives whole although the terminal wrapped it)."""
    nvim = _nvim(version)
    ws = _workspace(tmp_path)
    out = tmp_path / "out.json"
    env = _env(tmp_path, out)
    env["AD_E2E_MODE"] = "terminal"
    env["AD_E2E_SETUP_EARLY"] = "1"
    proc = subprocess.run(
        _argv(nvim, headless=True, early_setup=True),
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.exists(), (
        f"driver wrote no result (rc={proc.returncode}): {proc.stderr[-2000:]}"
    )
    result = json.loads(out.read_text())
    assert result.get("ok"), (
        f"{result.get('error')} {result.get('all')}\n{proc.stderr[-2000:]}"
    )
    found = result["terminal_diagnostic"]
    assert "accessdenied-terminal:" in found["buffer"]
    assert PRINCIPAL in found["message"] or "app-role" in found["message"]
