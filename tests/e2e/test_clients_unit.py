"""The editor clients' own unit tests and the .vsix's bundled server, run by `make test`.

- `npm test` in client-vscode: node's test runner over the client logic (settings, server
  discovery, terminal forwarding, status count) behind the vscodeapi.ts seam.
- The built .vsix carries the server package and its dependencies: its entry point runs
  `accessdenied --version` with a bare interpreter (`-S`: no site-packages at all).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e import tools

pytestmark = pytest.mark.xdist_group("clients-unit")


def test_vscode_client_unit_tests_pass() -> None:
    if shutil.which("node") is None:
        tools.missing("node", "45-vscode-extension.sh")
    tools.require(
        tools.VSCODE_EXT / "node_modules" / "esbuild",
        "the extension's dev dependencies (npm ci)",
        "45-vscode-extension.sh",
    )
    proc = subprocess.run(
        ["node", "scripts/test.mjs"],
        cwd=tools.VSCODE_EXT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
    passed = int(proc.stdout.split("# pass ")[1].split()[0])
    assert passed >= 15


def test_vsix_bundles_a_runnable_server(tmp_path: Path) -> None:
    version = json.loads((tools.VSCODE_EXT / "package.json").read_text())["version"]
    vsix = tools.require(
        tools.VSCODE_EXT / f"accessdenied-{version}.vsix",
        "the extension (.vsix; `make vsix`)",
        "45-vscode-extension.sh",
    )
    with zipfile.ZipFile(vsix) as z:
        names = z.namelist()
        z.extractall(tmp_path)
    assert "extension/dist/extension.js" in names
    assert "extension/bundled/entry.py" in names
    assert not any("/boto3/" in n or "/botocore/" in n for n in names)
    manifest = json.loads((tmp_path / "extension" / "package.json").read_text())
    assert {c["command"] for c in manifest["contributes"]["commands"]} >= {
        "accessdenied.restartServer",
        "accessdenied.scanClipboard",
        "accessdenied.showEffectivePermissions",
    }
    titles = [c["title"] for c in manifest["contributes"]["configuration"]]
    assert titles == ["Server", "Logs", "Terminal", "AWS", "Developer"]
    entry = tmp_path / "extension" / "bundled" / "entry.py"
    proc = subprocess.run(
        [sys.executable, "-S", str(entry), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "accessdenied" in proc.stdout
    # The language server's own imports resolve from bundled/libs alone.
    libs = tmp_path / "extension" / "bundled" / "libs"
    check = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import pygls.lsp.server, lsprotocol.types, jsonschema, yaml, accessdenied.cli",
            str(libs),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def _flatten(
    tree: dict[str, object], prefix: str = "accessdenied"
) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def test_vscode_settings_match_the_server_settings() -> None:
    """Every `accessdenied.*` setting VS Code contributes exists in the server with the same
    default (VS Code sends its defaults, so a mismatch would silently override the server)."""
    from accessdenied.lsp.settings import Settings, settings_to_json

    server = _flatten(settings_to_json(Settings()))
    manifest = json.loads((tools.VSCODE_EXT / "package.json").read_text())
    props: dict[str, dict[str, object]] = {}
    for group in manifest["contributes"]["configuration"]:
        props.update(group["properties"])
    assert set(props) <= set(server), set(props) - set(server)
    for key, prop in props.items():
        assert prop["default"] == server[key], key
    for required in (
        "accessdenied.server.path",
        "accessdenied.server.interpreter",
        "accessdenied.logs.include",
        "accessdenied.terminal.enabled",
        "accessdenied.terminal.forward",
        "accessdenied.aws.liveMode",
        "accessdenied.aws.profile",
        "accessdenied.aws.region",
        "accessdenied.trace.server",
    ):
        assert required in props
