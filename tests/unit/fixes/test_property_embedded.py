"""Property for embedded documents: a policy inside a CloudFormation JSON template.

The edit stays inside the PolicyDocument, the template stays valid JSON, every byte
outside the edit is kept, and the role's request is allowed afterwards.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate
from accessdenied.fixes import apply_edits, propose_fixes
from accessdenied.workspace import build_index
from tests.unit.fixes.casekit import make_denial
from tests.unit.fixes.strategies import denials, statements

ROLE = "arn:aws:sts::111122223333:assumed-role/app-role/dev"


@settings(max_examples=60)
@given(
    stmts=st.lists(statements(), max_size=3),
    indent=st.sampled_from([None, 2, 4, "\t"]),
    denial=denials(),
)
def test_fix_cloudformation_json_embedded_policy(
    stmts: list[dict[str, Any]], indent: int | str | None, denial: tuple[str, str, str]
) -> None:
    _, action, resource = denial
    doc = {"Version": "2012-10-17", "Statement": stmts}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "AppRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "app-role",
                    "Policies": [{"PolicyName": "main", "PolicyDocument": doc}],
                },
            }
        },
    }
    text = json.dumps(template, indent=indent) + "\n"
    before = evaluate(
        Request(ROLE, action, resource), PolicySet(identity=(Policy(doc),))
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / "stack.json").write_text(text)
        fixes = propose_fixes(
            make_denial(
                {
                    "principal": ROLE,
                    "action": action,
                    "resource": resource,
                    "decision": "implicit",
                    "policy_type": "identity",
                }
            ),
            build_index(root),
            variants=("exact",),
        )
    if before.decision != "implicit_deny":
        assert all(f.kind in ("explain-only", "remove-deny") for f in fixes)
        return
    fix = fixes[0]
    assert fix.verified, fix.explanation
    after = apply_edits(text, fix.edits)
    new_template = json.loads(after)
    new_doc = new_template["Resources"]["AppRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]
    # Nothing outside the policy document changed.
    new_template["Resources"]["AppRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ] = doc
    assert new_template == template
    start = min(e.start for e in fix.edits)
    end = max(e.end for e in fix.edits)
    assert after[:start] == text[:start]
    assert after[len(after) - (len(text) - end) :] == text[end:]
    assert evaluate(
        Request(ROLE, action, resource), PolicySet(identity=(Policy(new_doc),))
    ).allowed
