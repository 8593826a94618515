"""The evaluation context a denial implies, and the KMS default key policy assumption."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from accessdenied.denials import scan_text
from accessdenied.fixes import propose_fixes
from accessdenied.fixes.context import implied_context, requested_region
from accessdenied.workspace import build_index
from tests.unit.containers.scenario import (
    copy_workspace,
    fix_write,
    single_insertion,
)
from tests.unit.fixes.casekit import make_denial

WORKER = "arn:aws:sts::111122223333:assumed-role/worker/job-1"


def test_scp_region_guard_is_not_blamed_for_a_call_in_an_allowed_region(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-scp-region", tmp_path)
    out = fix_write(root, "logs/worker.log", 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert "Action: sqs:SendMessage" in single_insertion(out.before, out.after)
    assert "aws:RequestedRegion is eu-west-1" in out.err
    # The same call in a region the SCP guards stays explicitly denied by the SCP.
    out = fix_write(root, "logs/worker.log", 3, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert "explicit deny at org/region-guard.json:4:DenyOutsideEurope" in out.err
    assert out.after == out.before


def test_requested_region_from_arn_endpoint_text_and_global_services() -> None:
    def region(text: str) -> str | None:
        [d] = scan_text(text)
        return requested_region(d)[0]

    def denial(op: str, action: str, res: str) -> str:
        return (
            f"An error occurred (AccessDenied) when calling the {op} operation: User: "
            f"{WORKER} is not authorized to perform: {action} on resource: {res}"
        )

    table = "arn:aws:dynamodb:eu-central-1:111122223333:table/t"
    assert region(denial("GetItem", "dynamodb:GetItem", table)) == "eu-central-1"
    role = "arn:aws:iam::111122223333:role/x"
    assert region(denial("CreateRole", "iam:CreateRole", role)) == "us-east-1"
    # S3 ARNs carry no region: an endpoint or region in the denial's text names it.
    [d] = scan_text(denial("PutObject", "s3:PutObject", "arn:aws:s3:::b/k"))
    assert requested_region(d) == (None, "")
    d = replace(d, text=d.text + " (https://s3.ap-southeast-2.amazonaws.com/b/k)")
    assert requested_region(d) == ("ap-southeast-2", "the endpoint")
    d = replace(d, text="... Region: ca-central-1, RequestId: 1")
    assert requested_region(d) == ("ca-central-1", "the message")


def test_implied_context_names_the_role_as_principal_arn() -> None:
    d = make_denial(
        {
            "principal": WORKER,
            "action": "sqs:SendMessage",
            "resource": "arn:aws:sqs:eu-west-1:111122223333:results",
            "decision": "implicit",
            "policy_type": "identity",
        }
    )
    ctx, notes = implied_context(d)
    assert ctx["aws:PrincipalArn"] == "arn:aws:iam::111122223333:role/worker"
    assert ctx["aws:PrincipalAccount"] == "111122223333"
    assert ctx["aws:RequestedRegion"] == "eu-west-1"
    assert notes == ["aws:RequestedRegion is eu-west-1 (from the resource ARN)"]


KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_kms_default_key_policy_is_assumed_and_stated(tmp_path: Path) -> None:
    root = copy_workspace("cfn-scp-region", tmp_path)
    denial = make_denial(
        {
            "principal": WORKER,
            "action": "kms:Decrypt",
            "resource": KEY,
            "decision": "implicit",
            "policy_type": "identity",
        }
    )
    [fix] = propose_fixes(denial, build_index(root), variants=("exact",))
    assert fix.verified, fix.explanation
    assert fix.statement is not None
    assert fix.statement["Resource"] == KEY
    assert "default key policy is assumed" in fix.explanation


def test_kms_key_policy_blamed_is_not_assumed_away(tmp_path: Path) -> None:
    root = copy_workspace("cfn-scp-region", tmp_path)
    denial = make_denial(
        {
            "principal": WORKER,
            "action": "kms:Decrypt",
            "resource": KEY,
            "decision": "implicit",
            "policy_type": "resource",
        }
    )
    fixes = propose_fixes(denial, build_index(root), variants=("exact",))
    assert all(not f.verified for f in fixes)
    assert not any("default key policy is assumed" in f.explanation for f in fixes)
