"""The iam-simulate oracle judges fix --all on the Terraform and CDK workspaces.

For every identity denial of a workspace's log: the oracle denies it with the documents
before the fix and allows it after (documents as evaluated: Terraform references
resolved), and a sample of neighbouring requests gets the same answer before and after.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accessdenied.denials import Denial, scan_text
from accessdenied.fixes.fix_all import fix_all
from accessdenied.workspace import WorkspaceIndex, build_index, with_texts
from tests.oracle.oracle import Oracle, oracle_missing_reason
from tests.paths import IN_CI, REPO

WORKSPACES = REPO / "tests" / "workspaces"
SCENARIOS = sorted(p.name for p in WORKSPACES.iterdir() if p.name.startswith("tf-"))


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    reason = oracle_missing_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"oracle required in CI: {reason}")
        pytest.skip(reason)
    o = Oracle()
    yield o
    o.close()


def _decide(
    oracle: Oracle, index: WorkspaceIndex, d: Denial, action: str, resource: str
) -> str:
    principal = d.principal or ""
    ps = index.policy_set_for(principal, resource, action)
    docs: list[Any] = [p.document for p in ps.identity if p.document.get("Statement")]
    if not docs:
        return "implicit_deny"
    answer = oracle.ask(
        {
            "request": {
                "principal": principal,
                "action": action,
                "resource": {"arn": resource, "accountId": principal.split(":")[4]},
                "context": {},
            },
            "identityPolicies": docs,
            "engine": "raw",
        }
    )
    assert answer["normalized"] != "error", answer
    return str(answer["normalized"])


def _neighbours(d: Denial) -> list[tuple[str, str]]:
    action, resource = d.action or "", d.resource or "*"
    service = action.split(":", 1)[0]
    others = [
        (
            f"{service}:DeleteBucket" if service == "s3" else f"{service}:Delete*",
            resource,
        )
    ]
    if "/" in resource:
        others.append((action, resource.rsplit("/", 1)[0] + "/other-key"))
    others.append((action, resource + "-other"))
    return [(a, r) for a, r in others if "*" not in a]


@pytest.mark.parametrize("name", SCENARIOS)
def test_oracle_judges_fix_all(name: str, tmp_path: Path, oracle: Oracle) -> None:
    root = tmp_path / name
    shutil.copytree(WORKSPACES / name, root)
    (root / ".git").mkdir()
    log = (
        root / "denials.log"
        if (root / "denials.log").exists()
        else root / "logs" / "denied.log"
    )
    denials = [
        d for d in scan_text(log.read_text()) if d.policy_type in (None, "identity")
    ]
    denials = [d for d in denials if not (d.action or "").lower().startswith("sts:")]
    assert denials
    before = build_index(root)
    result = fix_all(denials, before)
    assert result.complete
    after = with_texts(before, {c.path: c.after for c in result.changes})
    for d in denials:
        resource = d.resource or "*"
        assert _decide(oracle, before, d, d.action or "", resource) != "allowed"
        assert _decide(oracle, after, d, d.action or "", resource) == "allowed"
        for action, other in _neighbours(d):
            if (action.lower(), other) in {
                ((x.action or "").lower(), x.resource) for x in denials
            }:
                continue
            assert _decide(oracle, before, d, action, other) == _decide(
                oracle, after, d, action, other
            ), (action, other)
