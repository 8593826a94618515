"""Every Terraform / CDK scenario workspace through `fix --write` and `fix --all --write`.

Judged by the evaluator (each logged denial is allowed afterwards, nothing is left),
by the file's own tools (python-hcl2, py_compile) and byte stability (cdk.out and every
file without a fix untouched).
"""

from __future__ import annotations

import py_compile
import shutil
from pathlib import Path

import hcl2
import pytest

from accessdenied.cli import main
from accessdenied.denials import scan_text
from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from tests.paths import REPO

WORKSPACES = REPO / "tests" / "workspaces"
SCENARIOS = sorted(
    p.name for p in WORKSPACES.iterdir() if p.name.startswith(("tf-", "cdk-"))
)


def _log(root: Path) -> Path:
    return (
        root / "denials.log"
        if (root / "denials.log").exists()
        else root / "logs" / "denied.log"
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(WORKSPACES / name, root)
        (root / ".git").mkdir()
        monkeypatch.chdir(root)
        return root.resolve()

    return make


def _judge(root: Path, before: dict[str, bytes]) -> None:
    after = _files(root)
    changed = [k for k in after if after[k] != before.get(k)]
    assert changed, "nothing was written"
    for rel in changed:
        assert not rel.startswith("cdk.out/"), rel
        text = after[rel].decode("utf-8")
        if rel.endswith(".tf"):
            hcl2.loads(text)
        elif rel.endswith(".py"):
            py_compile.compile(
                str(root / rel), doraise=True, cfile=str(root / ".x.pyc")
            )
    if not (root / "cdk.json").exists():
        # Terraform: the evaluator, on the re-indexed workspace, allows every denial.
        index = build_index(root)
        for d in scan_text(_log(root).read_text()):
            ps = index.policy_set_for(d.principal or "", d.resource or "*", d.action)
            req = Request(d.principal or "", d.action or "", d.resource or "*")
            assert evaluate(req, ps).allowed, (d.action, d.resource)


@pytest.mark.parametrize("name", SCENARIOS)
def test_fix_all_write_every_scenario(name: str, copy, capsys) -> None:
    root = copy(name)
    before = _files(root)
    log = _log(root).relative_to(root).as_posix()
    assert main(["fix", "--all", "--log", log, "--write"]) == 0, capsys.readouterr().err
    _judge(root, before)


@pytest.mark.parametrize("name", SCENARIOS)
def test_fix_write_first_denial_every_scenario(name: str, copy, capsys) -> None:
    root = copy(name)
    before = _files(root)
    log = _log(root)
    first = scan_text(log.read_text())[0]
    spec = f"{log.relative_to(root).as_posix()}:{first.span.start_line}"
    assert main(["fix", "--log", spec, "--write"]) == 0, capsys.readouterr().err
    after = _files(root)
    changed = [k for k in after if after[k] != before.get(k)]
    assert len(changed) == 1, changed
    assert not changed[0].startswith("cdk.out/")
