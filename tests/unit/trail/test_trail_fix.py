"""`accessdenied trail --fix`: groups become one verified edit per document."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from accessdenied.cli import main
from tests.unit.trail.trailgen import log_file

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-role"
WHO = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/dev"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"


def _event(i: int, source: str, name: str, message: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": WHO, "accountId": ACCOUNT},
        "eventTime": f"2026-11-30T10:0{i}:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "errorCode": "AccessDenied",
        "errorMessage": message,
        "requestID": f"req-{i}",
        "eventID": f"evt-{i}",
        "recipientAccountId": ACCOUNT,
    }


def _deny(action: str, resource: str, reason: str) -> str:
    return f"User: {WHO} is not authorized to perform: {action} on resource: {resource} {reason}"


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    ws = tmp_path / "ws"
    (ws / "policies").mkdir(parents=True)
    (ws / ".accessdenied.toml").write_text(
        f'[[principals]]\narn = "{ROLE}"\nidentity_policies = ["policies/app-role.json"]\n',
        encoding="utf-8",
    )
    (ws / "policies" / "app-role.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Logs",
                        "Effect": "Allow",
                        "Action": "logs:PutLogEvents",
                        "Resource": "*",
                    }
                ],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    implicit = "because no identity-based policy allows the {} action"
    records = [
        *(
            _event(
                i,
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                _deny(
                    "secretsmanager:GetSecretValue",
                    SECRET,
                    implicit.format("secretsmanager:GetSecretValue"),
                ),
            )
            for i in (1, 2)
        ),
        _event(
            3,
            "dynamodb.amazonaws.com",
            "GetItem",
            _deny("dynamodb:GetItem", TABLE, implicit.format("dynamodb:GetItem")),
        ),
        _event(
            4,
            "dynamodb.amazonaws.com",
            "DeleteTable",
            _deny(
                "dynamodb:DeleteTable",
                TABLE,
                "with an explicit deny in a service control policy",
            ),
        ),
    ]
    path = log_file(tmp_path / "trail", ACCOUNT, "us-east-1", "20261130T1015Z")
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": records}, fh)
    return ws, tmp_path / "trail"


def test_trail_fix_one_edit_per_document(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, trail = workspace
    policy = ws / "policies" / "app-role.json"
    before = policy.read_text(encoding="utf-8")
    status = main(
        ["trail", "--local", str(trail), "--fix", "--root", str(ws), "--format", "json"]
    )
    out = json.loads(capsys.readouterr().out)
    # The SCP deny cannot be fixed by an Allow in the workspace: exit 1, with its reason.
    assert status == 1
    fixes = {f["action"]: f for f in out["fixes"]}
    assert fixes["secretsmanager:GetSecretValue"]["fixed"]
    assert fixes["dynamodb:GetItem"]["fixed"]
    assert not fixes["dynamodb:DeleteTable"]["fixed"]
    assert fixes["dynamodb:DeleteTable"]["reason"]
    assert len(out["edits"]) == 1
    assert "secretsmanager:GetSecretValue" in out["edits"][0]["diff"]
    assert "dynamodb:GetItem" in out["edits"][0]["diff"]
    assert policy.read_text(encoding="utf-8") == before  # no --write: nothing changed

    status = main(
        ["trail", "--local", str(trail), "--fix", "--write", "--root", str(ws)]
    )
    capsys.readouterr()
    assert status == 1
    for action, resource in (
        ("secretsmanager:GetSecretValue", SECRET),
        ("dynamodb:GetItem", TABLE),
    ):
        assert (
            main(
                [
                    "simulate",
                    "--policy",
                    str(policy),
                    "--action",
                    action,
                    "--resource",
                    resource,
                    "--principal",
                    ROLE,
                    "--format",
                    "json",
                ]
            )
            == 0
        )
        assert json.loads(capsys.readouterr().out)["decision"] == "allowed"
