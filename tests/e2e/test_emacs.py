"""Emacs 30's built-in eglot against the real server, as a user of any LSP client would set it up.

Batch Emacs (`emacs --batch -Q -l tests/e2e/emacs/drive.el`) in a copy of examples/: Flymake
shows the denial on logs/terminal.log, hover on the principal ARN and on the action answers,
the first quick fix (eglot's own `eglot-code-actions` + `eglot-execute`) edits
policies/app-role.json, which stays valid JSON and then allows the denied request.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import tools
from tests.e2e.test_nvim import ACTION, PRINCIPAL, RESOURCE
from tests.paths import EXAMPLES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("emacs")]

DRIVER = Path(__file__).parent / "emacs" / "drive.el"
STEP = "46-emacs-30.sh"


def _emacs() -> Path:
    found = shutil.which("emacs")
    if found is None:
        tools.missing("Emacs 30", STEP)
    assert found is not None
    first = subprocess.run(
        [found, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.splitlines()
    version = first[0] if first else ""
    if not re.match(r"GNU Emacs (3\d|[4-9]\d)\.", version):
        tools.missing(f"Emacs 30 (found {version!r} at {found})", STEP)
    return Path(found)


def _run(emacs: Path, ws: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "out.json"
    env = tools.isolated_env(tmp_path / "home")
    env["AD_E2E_OUT"] = str(out)
    env["AD_E2E_CMD"] = json.dumps(tools.server_command())
    proc = subprocess.run(
        [str(emacs), "--batch", "-Q", "-l", str(DRIVER)],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), (
        f"driver wrote no result (rc={proc.returncode}): {proc.stderr[-3000:]}"
    )
    result: dict[str, Any] = json.loads(out.read_text())
    tools.OUTPUT.mkdir(exist_ok=True)
    (tools.OUTPUT / "emacs-eglot-e2e.json").write_text(json.dumps(result, indent=2))
    assert result.get("ok") is True, f"{result.get('error')}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    return result


@dataclass(frozen=True)
class Run:
    ws: Path
    result: dict[str, Any]
    elapsed: float


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One Emacs session over a copy of examples/ (the tests below read its results)."""
    emacs = _emacs()
    tmp_path = tmp_path_factory.mktemp("emacs")
    ws = tmp_path / "examples"
    shutil.copytree(EXAMPLES, ws, ignore=shutil.ignore_patterns(".accessdenied"))
    policy = ws / "policies" / "app-role.json"
    assert tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)["decision"] != "allowed"
    start = time.monotonic()
    result = _run(emacs, ws, tmp_path)
    return Run(ws, result, time.monotonic() - start)


def test_emacs_eglot_quickfix_from_log_allows_request(run: Run) -> None:
    result, ws = run.result, run.ws
    policy = ws / "policies" / "app-role.json"
    assert int(result["version"].split(".")[0]) >= 30, result["version"]
    assert Path(result["root"]).resolve() == ws.resolve(), result["root"]
    # The log is found by its file pattern whatever language id eglot derives from the mode.
    denials = [d for d in result["diagnostics"] if ACTION in d["message"]]
    assert denials, result["diagnostics"]
    assert denials[0]["line"] == 2, denials  # the `upload failed: ... PutObject` line

    assert "app-role" in result["hover_principal"], result["hover_principal"]
    assert ACTION in result["hover_action"], result["hover_action"]

    assert result["actions"], "no quick fix offered"
    modified = [Path(p).resolve() for p in result["modified"]]
    assert modified == [policy.resolve()], result
    doc = json.loads(policy.read_text())  # still valid JSON
    added = [
        s
        for s in doc["Statement"]
        if s["Effect"] == "Allow" and ACTION in json.dumps(s.get("Action"))
    ]
    assert added, policy.read_text()
    after = tools.simulate(policy, ACTION, RESOURCE, PRINCIPAL)
    assert after["decision"] == "allowed", (after, policy.read_text())
    assert run.elapsed < 90


def test_emacs_eglot_server_exits_by_itself(run: Run) -> None:
    """After `shutdown` and `exit` the server ends on its own with status 0 (eglot kills a
    server still running 100 ms after `exit`; the driver waits 2 s to tell the two apart)."""
    assert run.result["server_exit"] == {"status": "exit", "code": 0}, run.result
    assert run.result["exit_ms"] < 2000


# Issue 13's "any LSP client" items.
def test_emacs_eglot_hover_is_plaintext(run: Run) -> None:
    result = run.result
    assert result["hover_formats"] == ["plaintext"], result["hover_formats"]
    assert result["hover_kind"] != "markdown", result["hover_kind"]
    for key in ("hover_principal", "hover_action"):
        assert "**" not in result[key], result[key]
        assert "\\_" not in result[key], result[key]


def test_emacs_eglot_message_names_the_policy_file(run: Run) -> None:
    # eglot offers no relatedInformation: the message names the deciding document, on
    # the first diagnostic Flymake shows and after the fix (the document allowing it).
    first = next(d for d in run.result["diagnostics"] if ACTION in d["message"])
    assert "(fix in policies/app-role.json:" in first["message"], first
    final = run.result["diagnostics_final"]
    denial = next(d for d in final if ACTION in d["message"])
    assert "app-role.json" in denial["message"], denial


def test_emacs_eglot_sees_logs_created_after_start(run: Run) -> None:
    result = run.result
    assert result["wrapper_status"] == 0, result
    assert (run.ws / ".accessdenied" / "terminal.log").exists()
    assert result["wrapper_log_seen"] is True, "`accessdenied run` log never diagnosed"
    assert result["build_log_seen"] is True, "build/out.log never diagnosed"
    assert result["late_txt_seen"] is True, (
        "logs/late.txt (logs/**/*.txt) never diagnosed"
    )
