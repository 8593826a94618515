"""The fix property, shared by the evaluator test and the oracle test.

For a policy text and an identity denial: propose through the workspace model (the file
is the principal's configured identity policy), then return what the checks need.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate
from accessdenied.fixes import Fix, apply_edits, propose_fixes
from tests.unit.fixes.casekit import make_denial


@dataclass
class Outcome:
    before: str
    after: str | None
    fixes: list[Fix]
    decision_before: str


def propose_for_text(text: str, principal: str, action: str, resource: str) -> Outcome:
    """Run propose_fixes on `text` as the principal's only identity policy."""
    from accessdenied.workspace import build_index

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / "p.json").write_bytes(text.encode("utf-8"))
        role = principal
        if ":assumed-role/" in principal:
            acct = principal.split(":")[4]
            role = f"arn:aws:iam::{acct}:role/{principal.split('/')[1]}"
        (root / ".accessdenied.toml").write_text(
            f'[[principals]]\narn = "{role}"\nidentity_policies = ["p.json"]\n'
        )
        denial = make_denial(
            {
                "principal": principal,
                "action": action,
                "resource": resource,
                "decision": "implicit",
                "policy_type": "identity",
            }
        )
        before = evaluate(
            Request(principal, action, resource),
            PolicySet(identity=(Policy(json.loads(text)),)),
        ).decision
        fixes = propose_fixes(denial, build_index(root), variants=("exact",))
        after = None
        edit_fixes = [f for f in fixes if f.edits and f.kind != "remove-deny"]
        if edit_fixes:
            after = apply_edits(text, edit_fixes[0].edits)
        return Outcome(text, after, fixes, before)


def outside_edit_unchanged(before: str, after: str, fix: Fix) -> bool:
    """Bytes before the first edit and after the last are the original's."""
    start = min(e.start for e in fix.edits)
    end = max(e.end for e in fix.edits)
    tail = len(before) - end
    return (
        after[:start] == before[:start] and after[len(after) - tail :] == before[end:]
    )


def documents(before: str, after: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return json.loads(before), json.loads(after)
