"""CloudFormation's generated role names past IAM's 64 characters still match the template."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.workspace.config import generated_name_matches
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

ACCOUNT = "111122223333"
WORKER_ROLE = "payments-reconciliat-LedgerReconciliationWorkerRol-1A2B3C4D5E6F7"
EXPORT_ROLE = "payments-reconciliation-SettlementExportFunctionRol-9Z8Y7X6W5V4U"
WORKER = f"arn:aws:sts::{ACCOUNT}:assumed-role/{WORKER_ROLE}/7f3c2a9e41d04b8d"
EXPORTER = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/{EXPORT_ROLE}/"
    "payments-reconciliation-SettlementExportFunct-Qw3rTy"
)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/ledger"
LOG = "logs/worker.log"
TARGET = "arn:*:iam::*:role/*-LedgerReconciliationWorkerRole-*"


def _role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _cut(stack: str, logical: str, suffix: str, stack_len: int) -> str:
    """`<stack>-<logical>-<suffix>` cut to 64: the stack part to `stack_len`."""
    logical_len = 64 - stack_len - len(suffix) - 2
    return f"{stack[:stack_len]}-{logical[:logical_len]}-{suffix}"


STACK = "payments-reconciliation-service-production"
LOGICAL = "LedgerReconciliationWorkerRole"


def test_cut_names_match_their_logical_id_and_nothing_else() -> None:
    assert len(WORKER_ROLE) == len(EXPORT_ROLE) == 64
    assert generated_name_matches(TARGET, _role(WORKER_ROLE))
    # Any split of the 64 characters between stack name and logical id; a 12- or
    # 13-character suffix.
    for stack_len in (21, 25, 33):
        for suffix in ("1A2B3C4D5E6F", "1A2B3C4D5E6F7"):
            name = _cut(STACK, LOGICAL, suffix, stack_len)
            assert len(name) == 64
            assert generated_name_matches(TARGET, _role(name)), name
    # Only the stack name cut (the whole logical id kept): the plain pattern.
    assert generated_name_matches(TARGET, _role(f"{STACK[:21]}-{LOGICAL}-1A2B3C4D5E6F"))
    # Not 64 characters long: CloudFormation did not cut it, a prefix is not enough.
    assert not generated_name_matches(
        TARGET, _role("pay-LedgerReconciliationWorkerRol-1A2B3C4D5E6F7")
    )
    # 64 characters whose middle part is not a prefix of the logical id.
    other = _cut(STACK, "LedgerAuditWorkerRoleWithAVeryLongName", "1A2B3C4D5E6F7", 20)
    assert not generated_name_matches(TARGET, _role(other))
    # A suffix that is not CloudFormation's (too short).
    odd = _cut(STACK, LOGICAL, "ABCDEF", 29)
    assert len(odd) == 64
    assert not generated_name_matches(TARGET, _role(odd))
    # Users are users, roles are roles; a literal RoleName is no generated name.
    assert not generated_name_matches(
        TARGET, f"arn:aws:iam::{ACCOUNT}:user/{WORKER_ROLE}"
    )
    assert not generated_name_matches(
        "arn:*:iam::*:role/ledger-worker", _role(WORKER_ROLE)
    )


def test_template_path_is_compared_only_when_the_arn_has_one() -> None:
    target = "arn:*:iam::*:role/service/*-Worker-*"
    assert generated_name_matches(target, _role("stack-Worker-1A2B3C4D5E6F"))
    assert generated_name_matches(target, _role("service/stack-Worker-1A2B3C4D5E6F"))
    assert not generated_name_matches(target, _role("other/stack-Worker-1A2B3C4D5E6F"))


@pytest.mark.parametrize(
    ("line", "principal", "inserted"),
    [
        (2, WORKER, "                Action: [dynamodb:GetItem, dynamodb:PutItem]\n"),
        (
            3,
            EXPORTER,
            "        - Statement:\n"
            "            - Sid: AllowDynamodbUpdateItem\n"
            "              Effect: Allow\n"
            "              Action: dynamodb:UpdateItem\n"
            "              Resource: !GetAtt LedgerTable.Arn\n",
        ),
    ],
)
def test_denial_of_a_cut_role_name_is_fixed_in_its_template_resource(
    line: int,
    principal: str,
    inserted: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-long-names", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, LOG, line, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    if line == 2:
        import difflib

        changed = [
            ln[0] + ln[2:]
            for ln in difflib.ndiff(
                out.before.splitlines(keepends=True),
                out.after.splitlines(keepends=True),
            )
            if ln[:1] in "+-"
        ]
        assert changed == [
            "-                Action: dynamodb:GetItem\n",
            "+" + inserted,
        ]
    else:
        assert single_insertion(out.before, out.after) == inserted
    assert cfn_lint(root / "template.yaml") == lint_before
    action = "dynamodb:PutItem" if line == 2 else "dynamodb:UpdateItem"
    other = WORKER if principal == EXPORTER else EXPORTER
    got = decisions(
        root,
        [
            (principal, action, TABLE),
            (principal, "dynamodb:DeleteItem", TABLE),
            (other, action, TABLE),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle, root, principal, (action, TABLE), ("dynamodb:DeleteItem", TABLE)
    )
