"""One routing: the deciding document is the one the diagnostic names and the fix edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.denials import Denial, scan_text
from accessdenied.explain import explain_denial
from accessdenied.fixes import propose_fixes
from accessdenied.lsp.explain import from_core
from accessdenied.workspace import WorkspaceIndex, build_index
from tests.paths import WORKSPACES

ROOT = (WORKSPACES / "routing").resolve()


@pytest.fixture(scope="module")
def index() -> WorkspaceIndex:
    return build_index(ROOT)


def _denial(action: str) -> Denial:
    text = (ROOT / "logs" / "denials.log").read_text(encoding="utf-8")
    (found,) = [d for d in scan_text(text) if d.action == action]
    return found


CASES = [
    ("permissions-boundary", "dynamodb:PutItem", "app-boundary.json"),
    ("trust-policy", "sts:AssumeRole", "app-role-trust.json"),
    ("kms-key-policy", "kms:Decrypt", "app-key-policy.json"),
    ("bucket-policy", "s3:GetObject", "exports-bucket-policy.json"),
]


@pytest.mark.parametrize(
    ("action", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_explain_denial_routes_diagnostic_and_fix_to_one_document(
    index: WorkspaceIndex, action: str, expected: str
) -> None:
    denial = _denial(action)
    exp = explain_denial(denial, index)
    assert exp.decision is not None
    assert exp.decision.decision == "implicit_deny"
    assert exp.primary is not None
    assert Path(exp.primary.path).name == expected
    assert exp.primary.role == "should-allow"
    # The editor's "was denied" target and related information start there ...
    lsp = from_core(exp)
    assert lsp.target is not None
    assert Path(lsp.target.path).name == expected
    assert Path(lsp.related[0].path).name == expected
    # ... and the first fix edits that document, verified.
    fixes = [f for f in propose_fixes(denial, index) if f.edits]
    assert fixes
    assert Path(fixes[0].path).name == expected
    assert fixes[0].verified


def test_explain_denial_boundary_found_without_policy_type(
    index: WorkspaceIndex,
) -> None:
    from dataclasses import replace

    denial = replace(_denial("dynamodb:PutItem"), policy_type=None)
    exp = explain_denial(denial, index)
    assert exp.decision is not None
    assert exp.decision.blocked_by == ("permissions_boundary",)
    assert exp.primary is not None
    assert Path(exp.primary.path).name == "app-boundary.json"
    assert exp.primary.span is not None  # the "Statement" array of the boundary


def test_explain_denial_bucket_assumes_other_account(index: WorkspaceIndex) -> None:
    exp = explain_denial(_denial("s3:GetObject"), index)
    assert exp.request is not None
    assert exp.request.resource_account is not None
    assert any("another account" in a for a in exp.assumptions)


def test_explain_denial_open_buffer_wins_over_disk(index: WorkspaceIndex) -> None:
    denial = _denial("dynamodb:PutItem")
    boundary = str(ROOT / "policies" / "app-boundary.json")
    doc = json.loads(Path(boundary).read_text(encoding="utf-8"))
    doc["Statement"][0]["Action"].append("dynamodb:PutItem")
    buffers = {boundary: json.dumps(doc, indent=2)}

    def read_text(path: str) -> str:
        return buffers.get(path) or Path(path).read_text(encoding="utf-8")

    assert explain_denial(denial, index).decision is not None
    exp = explain_denial(denial, index, read_text)
    assert exp.decision is not None
    assert exp.allowed_now
    assert exp.targets == ()


def test_explain_denial_explicit_deny_names_denying_statement(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {
                        "Sid": "NoDeletes",
                        "Effect": "Deny",
                        "Action": "s3:DeleteObject",
                        "Resource": "*",
                    },
                ],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    (tmp_path / ".accessdenied.toml").write_text(
        '[[principals]]\narn = "arn:aws:iam::111122223333:role/r"\n'
        'identity_policies = ["p.json"]\n',
        encoding="utf-8",
    )
    (denial,) = scan_text(
        "User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized to "
        "perform: s3:DeleteObject on resource: arn:aws:s3:::b/k with an explicit "
        "deny in an identity-based policy"
    )
    index = build_index(tmp_path)
    exp = explain_denial(denial, index)
    assert exp.decision is not None
    assert exp.decision.decision == "explicit_deny"
    assert len(exp.explicit_denies) == 1
    assert exp.explicit_denies[0].reason.sid == "NoDeletes"
    assert exp.primary is not None
    assert exp.primary.role == "denies"
    assert exp.primary.line == 9
    edits = [f for f in propose_fixes(denial, index) if f.edits]
    assert edits[0].kind == "remove-deny"
    assert edits[0].path == exp.primary.path


def test_explain_denial_without_index_or_principal() -> None:
    denial = Denial(span=scan_text(_LINE)[0].span, text="x", action="s3:GetObject")
    assert explain_denial(denial, None).decision is None
    exp = explain_denial(denial, build_index(ROOT))
    assert exp.decision is None
    assert exp.targets == ()
    assert "principal" in exp.route


_LINE = (
    "User: arn:aws:iam::111122223333:user/u is not authorized to perform: "
    "s3:GetObject on resource: arn:aws:s3:::b/k"
)


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("permissions_boundary", "boundary"),
        ("permissions-boundary", "boundary"),
        ("boundary", "boundary"),
        ("KMS", "kms"),
        ("scp", "scp"),
        ("vpc-endpoint", "vpc_endpoint"),
    ],
)
def test_policy_kind_parse_every_spelling(spelling: str, kind: str) -> None:
    from accessdenied.policy import POLICY_KIND_LABELS, PolicyKind

    parsed = PolicyKind.parse(spelling)
    assert parsed is not None
    assert parsed.value == kind
    assert parsed in POLICY_KIND_LABELS
    assert PolicyKind.parse("nonsense") is None
