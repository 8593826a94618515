"""The fix property checked by the independent iam-simulate oracle (one Node process).

The edit is proposed and verified by our evaluator; the oracle then judges the result:
the denied request is allowed after the edit and a sample of other requests gets the
same decision before and after. Skips locally without Node/the oracle, never in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.paths import IN_CI, ORACLE_DIR
from tests.unit.fixes.fixcheck import documents, propose_for_text
from tests.unit.fixes.strategies import ACCOUNT, denials, policy_texts, sample_requests


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").exists():
        return (
            f"oracle not installed in {ORACLE_DIR} (bash scripts/install-test-deps.sh)"
        )
    return None


class _Oracle:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", "harness.mjs"],
            cwd=ORACLE_DIR,
            text=True,
            bufsize=1,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def decide(self, principal: str, action: str, resource: str, doc: Any) -> str:
        if not doc.get("Statement"):
            # The raw engine throws on a document without statements; it grants nothing.
            return "implicit_deny"
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        case = {
            "request": {
                "principal": principal,
                "action": action,
                "resource": {"arn": resource, "accountId": ACCOUNT},
                "context": {},
            },
            "identityPolicies": [doc],
            "engine": "raw",
        }
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["normalized"] != "error", answer
        return str(answer["normalized"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def oracle() -> Iterator[_Oracle]:
    reason = _missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"oracle required in CI: {reason}")
        pytest.skip(reason)
    o = _Oracle()
    yield o
    o.close()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=policy_texts(), denial=denials())
def test_fix_oracle_allows_denied_request_and_nothing_else_changes(
    oracle: _Oracle, text: str, denial: tuple[str, str, str]
) -> None:
    principal, action, resource = denial
    out = propose_for_text(text, principal, action, resource)
    if out.after is None:
        return  # explicit deny or already allowed: covered by the evaluator property
    before, after = documents(out.before, out.after)
    assert oracle.decide(principal, action, resource, before) != "allowed"
    assert oracle.decide(principal, action, resource, after) == "allowed"
    for other_action, other_resource in sample_requests():
        if (other_action, other_resource) == (action, resource):
            continue
        assert oracle.decide(principal, other_action, other_resource, before) == (
            oracle.decide(principal, other_action, other_resource, after)
        ), (other_action, other_resource)
