"""Run a scenario workspace through `accessdenied fix --write` and judge the result.

Judges: the evaluator (the denied request allowed, neighbouring requests still
denied, via a fresh index of the edited workspace), the iam-simulate oracle on the
edited document as evaluated, bytes outside the one edit unchanged, the template
still parsing and cfn-lint reporting nothing new.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accessdenied.cli import main
from accessdenied.denials import Denial, scan_text
from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle, oracle_missing_reason
from tests.paths import IN_CI, WORKSPACES


def copy_workspace(name: str, tmp: Path) -> Path:
    """A private copy of tests/workspaces/<name> (a git root)."""
    root = tmp / name
    shutil.copytree(WORKSPACES / name, root)
    (root / ".git").mkdir(exist_ok=True)
    return root


def denial_at(root: Path, log: str, line: int) -> Denial:
    """The denial on (or starting at) a 1-based line of a log."""
    text = (root / log).read_text(encoding="utf-8")
    for d in scan_text(text):
        if d.span.start_line <= line <= d.span.end_line:
            return d
    raise AssertionError(f"no denial at {log}:{line}")


@dataclass(frozen=True)
class Outcome:
    """What `fix --write` did to one file."""

    status: int
    err: str
    before: str
    after: str


def fix_write(
    root: Path,
    log: str,
    line: int,
    edited: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Outcome:
    """`accessdenied fix --log LOG:LINE --write` in `root`; the edited file before/after."""
    monkeypatch.chdir(root)
    path = root / edited
    before = path.read_bytes().decode("utf-8")
    capsys.readouterr()
    status = main(["fix", "--log", f"{log}:{line}", "--write"])
    _, err = capsys.readouterr()
    after = path.read_bytes().decode("utf-8")
    return Outcome(status, err, before, after)


def single_insertion(before: str, after: str) -> str:
    """The inserted lines (asserted: one block of whole lines added, nothing removed)."""
    import difflib

    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    ops = [
        op
        for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    assert len(ops) == 1, f"more than one change: {ops}"
    tag, i1, i2, j1, j2 = ops[0]
    assert tag == "insert", f"existing lines were rewritten: {old[i1:i2]!r}"
    return "".join(new[j1:j2])


def decisions(root: Path, requests: Sequence[tuple[str, str, str]]) -> list[str]:
    """Evaluator decisions of (principal, action, resource) in a fresh index."""
    index = build_index(root)
    out: list[str] = []
    for principal, action, resource in requests:
        ps = index.policy_set_for(principal, resource, action)
        out.append(evaluate(Request(principal, action, resource), ps).decision)
    return out


def identity_documents(root: Path, principal: str) -> list[Any]:
    """The identity documents (as evaluated) of a principal in a fresh index."""
    index = build_index(root)
    return [
        dict(p.document)
        for p in index.policy_set_for(principal, "*", "sts:GetCallerIdentity").identity
    ]


def cfn_lint(path: Path) -> list[str]:
    """cfn-lint findings (rule id and message) of a template."""
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, config=ManualArgs(regions=["us-east-1"]))
    return sorted(f"{m.rule.id}: {m.message}" for m in matches)


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    """One iam-simulate process for the module (skipped locally when missing)."""
    reason = oracle_missing_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"oracle required in CI: {reason}")
        pytest.skip(reason)
    o = Oracle()
    yield o
    o.close()


def oracle_decision(
    oracle: Oracle, principal: str, action: str, resource: str, docs: Sequence[Any]
) -> str:
    """The oracle's decision for identity policies `docs` (same account)."""
    docs = [d for d in docs if d.get("Statement")]
    if not docs:
        return "implicit_deny"
    account = principal.split(":")[4]
    answer = oracle.ask(
        {
            "request": {
                "principal": principal,
                "action": action,
                "resource": {"arn": resource, "accountId": account},
                "context": {},
            },
            "identityPolicies": docs,
            "engine": "raw",
        }
    )
    assert answer["normalized"] != "error", answer
    return str(answer["normalized"])


def assert_oracle_agrees(
    oracle: Oracle,
    root: Path,
    principal: str,
    allowed: tuple[str, str],
    denied: tuple[str, str],
) -> None:
    """The oracle on the principal's edited identity documents.

    It allows the `allowed` (action, resource) and does not allow the `denied` one.
    """
    docs = identity_documents(root, principal)
    assert oracle_decision(oracle, principal, *allowed, docs) == "allowed"
    assert oracle_decision(oracle, principal, *denied, docs) != "allowed"
