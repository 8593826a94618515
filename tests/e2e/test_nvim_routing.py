"""Real Neovim: the denial diagnostic and the first quick fix name the same, deciding document.

For a denial decided by a role's trust policy, a permissions boundary, a KMS key policy and a
bucket policy (tests/workspaces/routing-*), headless Neovim (0.11 and 0.7) opens the log, takes the
denial's diagnostic, and checks that its relatedInformation and the first quick fix offered for
it both point at the policy that decided the denial (not at the principal's identity policy).
The first quick fix is then applied and saved: the file stays valid JSON and, evaluated with the
rest of the workspace, the denied request is allowed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import tools
from tests.e2e.test_nvim import _argv, _env, _nvim
from tests.paths import WORKSPACES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("nvim")]

PRINCIPAL_ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Case:
    """A denial in `log`, decided by `deciding`; `simulate` evaluates it with every policy."""

    log: str
    action: str
    resource: str
    principal: str
    deciding: str
    identity: str
    simulate: tuple[str, ...]


CASES = {
    "routing-trust": Case(
        "logs/deploy.log",
        "sts:AssumeRole",
        "arn:aws:iam::111122223333:role/deploy-target",
        "arn:aws:sts::111122223333:assumed-role/ci-runner/build-42",
        deciding="policies/deploy-target-trust.json",
        identity="policies/ci-runner.json",
        simulate=(
            "--policy",
            "policies/ci-runner.json",
            "--resource-policy",
            "policies/deploy-target-trust.json",
        ),
    ),
    "routing-boundary": Case(
        "logs/worker.log",
        "s3:GetObject",
        "arn:aws:s3:::acme-data/in/orders.csv",
        "arn:aws:sts::111122223333:assumed-role/app-role/worker-7",
        deciding="policies/app-role-boundary.json",
        identity="policies/app-role.json",
        simulate=(
            "--policy",
            "policies/app-role.json",
            "--boundary",
            "policies/app-role-boundary.json",
        ),
    ),
    "routing-kms": Case(
        "logs/app.log",
        "kms:Decrypt",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:sts::111122223333:assumed-role/app-role/export-job",
        deciding="policies/orders-key-policy.json",
        identity="policies/app-role.json",
        simulate=(
            "--policy",
            "policies/app-role.json",
            "--resource-policy",
            "policies/orders-key-policy.json",
        ),
    ),
    "routing-bucket": Case(
        "logs/upload.log",
        "s3:PutObject",
        "arn:aws:s3:::acme-uploads/invoices/invoice.pdf",
        "arn:aws:sts::111122223333:assumed-role/app-role/web-3",
        deciding="policies/acme-uploads-bucket-policy.json",
        identity="policies/app-role.json",
        simulate=(
            "--policy",
            "policies/app-role.json",
            "--resource-policy",
            "policies/acme-uploads-bucket-policy.json",
        ),
    ),
}


def _simulate(ws: Path, case: Case) -> str:
    """The decision for the denied request with the workspace's policies (1-based CLI)."""
    proc = subprocess.run(
        [
            tools.server_python(),
            "-m",
            "accessdenied",
            "simulate",
            *case.simulate,
            "--action",
            case.action,
            "--resource",
            case.resource,
            "--principal",
            case.principal,
            "--format",
            "json",
        ],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return str(json.loads(proc.stdout)["decision"])


def _drive(
    ws: Path, log: str, action: str, tmp_path: Path, version: str = "0.11"
) -> dict[str, Any]:
    nvim = _nvim(version)
    out = tmp_path / "out.json"
    env = _env(tmp_path, out)
    env.update(AD_E2E_ACTION=action, AD_E2E_PICK="first")
    proc = subprocess.run(
        _argv(nvim, headless=True, log=log),
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
    result: dict[str, Any] = json.loads(out.read_text())
    tools.OUTPUT.mkdir(exist_ok=True)
    (tools.OUTPUT / f"nvim-{version}-{ws.name}-e2e.json").write_text(
        json.dumps(result, indent=2)
    )
    assert result.get("ok"), f"{result.get('error')}\n{proc.stderr[-2000:]}"
    assert proc.returncode == 0, proc.stderr[-2000:]
    return result


@pytest.mark.parametrize("version", ["0.11", "0.7"])
@pytest.mark.parametrize("scenario", list(CASES))
def test_nvim_denial_and_first_fix_name_the_deciding_document(
    scenario: str, version: str, tmp_path: Path
) -> None:
    case = CASES[scenario]
    ws = tmp_path / scenario
    shutil.copytree(WORKSPACES / scenario, ws)
    assert _simulate(ws, case) != "allowed"
    before = {p: p.read_bytes() for p in (ws / "policies").iterdir()}

    result = _drive(ws, case.log, case.action, tmp_path, version)

    want = (ws / case.deciding).resolve()
    related = [Path(r["path"]).resolve() for r in result["related"]]
    assert related, f"the denial diagnostic has no related information: {result}"
    assert related[0] == want, (
        f"related information names {related}, not the deciding {case.deciding} "
        f"(the principal's identity policy is {case.identity})",
        result["related"],
    )
    first = [Path(p).resolve() for p in result["first_action"]["paths"]]
    assert first == [want], (
        f"the first quick fix ({result['first_action']['title']!r}) edits {first}, "
        f"not the deciding {case.deciding}"
    )
    # Applied and saved: only the deciding document changed, it is still JSON, and the
    # denied request is now allowed.
    changed = [p.resolve() for p, data in before.items() if p.read_bytes() != data]
    assert changed == [want], changed
    json.loads(want.read_text())
    assert _simulate(ws, case) == "allowed", want.read_text()


CODECS = {"utf-16": ("utf-16-le", 2), "utf-8": ("utf-8", 1), "utf-32": ("utf-32-le", 4)}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_nvim_unopened_log_columns_follow_position_encoding(
    encoding: str, tmp_path: Path
) -> None:
    """A denial in a log that is not open, after non-ASCII text (BMP and astral characters):
    the LSP range, read in the negotiated position encoding, covers exactly the denial."""
    ws = tmp_path / "e2e-utf16"
    shutil.copytree(WORKSPACES / "e2e-utf16", ws)
    out = tmp_path / "out.json"
    env = _env(tmp_path, out)
    env.update(
        AD_E2E_MODE="unopened",
        AD_E2E_UNOPENED="/logs/deploy.log",
        AD_E2E_ENCODING=encoding,
    )
    proc = subprocess.run(
        _argv(_nvim("0.11"), headless=True, log="policies/app-role.json"),
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.exists(), f"driver wrote no result: {proc.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert result.get("ok"), f"{result.get('error')}\n{proc.stderr[-2000:]}"
    assert result["offset_encoding"] == encoding, result
    assert result["unopened"]["loaded"] is False, "the log was open after all"
    rng = result["unopened"]["lsp"]["range"]
    assert rng["start"]["line"] == rng["end"]["line"] == 1, rng
    line = (ws / "logs" / "deploy.log").read_text(encoding="utf-8").splitlines()[1]
    codec, width = CODECS[encoding]
    units = line.encode(codec)
    start, end = rng["start"]["character"], rng["end"]["character"]
    covered = units[width * start : width * end].decode(codec)
    assert covered.startswith("User: arn:aws:sts::"), (covered, rng)
    assert covered.endswith("allows the s3:PutObject action"), (covered, rng)
