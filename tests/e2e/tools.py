"""Where the e2e tests find their editors and how they give up without them.

Every tool is installed by `make test-deps` (scripts/test-deps.d/4*.sh). Without it a test
skips locally, naming the install command; in CI (CI=true) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import BUILD, IN_CI, REPO

NVIM_07 = Path("/usr/bin/nvim")
NVIM_011 = REPO / ".venv-nvim" / "bin" / "nvim"
NODE24 = BUILD / "editors" / "node24" / "bin" / "node"
CODE_SERVER = (
    BUILD / "editors" / "code-server" / "node_modules" / ".bin" / "code-server"
)
PLAYWRIGHT = REPO / "tests" / "e2e" / "vscode" / "node_modules" / "playwright-core"
CHROMIUM = Path("/usr/bin/chromium")
VSCODE_EXT = REPO / "client-vscode"
OUTPUT = REPO / "test-output"
INSTALL = "make test-deps (or: bash scripts/test-deps.d/{step})"


def server_python() -> str:
    """The interpreter that has this checkout's `accessdenied` (the .venv in dev and CI)."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def server_override() -> list[str]:
    """$AD_E2E_SERVER: another server command (a stand-in while developing the harness)."""
    return os.environ.get("AD_E2E_SERVER", "").split()


def server_command() -> list[str]:
    return server_override() or [server_python(), "-m", "accessdenied", "serve"]


def missing(what: str, step: str) -> None:
    """Skip (locally) or fail (CI) because `what` is not installed."""
    msg = f"{what} is not installed; install it with: {INSTALL.format(step=step)}"
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def require(path: Path, what: str, step: str) -> Path:
    if not path.exists():
        missing(what, step)
    return path


def nvim_version(nvim: Path) -> str:
    out = subprocess.run(
        [str(nvim), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return out.splitlines()[0] if out else ""


def simulate(
    policy: Path, action: str, resource: str, principal: str
) -> dict[str, object]:
    """`accessdenied simulate` on one identity policy, as JSON."""
    import json

    if os.environ.get("AD_E2E_FAKE_SIMULATE"):  # harness development only, never in CI
        assert not IN_CI
        return {
            "decision": "allowed" if action in policy.read_text() else "implicit_deny"
        }

    proc = subprocess.run(
        [
            server_python(),
            "-m",
            "accessdenied",
            "simulate",
            "--policy",
            str(policy),
            "--action",
            action,
            "--resource",
            resource,
            "--principal",
            principal,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def isolated_env(home: Path) -> dict[str, str]:
    """Environment with HOME and XDG dirs in `home` (editors write caches and logs there)."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    return env


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None
