"""docs/trail-policy.json: the least-privilege policy for `accessdenied trail` itself."""

from __future__ import annotations

import json

import pytest

from accessdenied.aws.querying import QUERY_OPERATIONS
from accessdenied.cli import main
from tests.paths import REPO

POLICY = REPO / "docs" / "trail-policy.json"


def test_trail_policy_passes_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(POLICY), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_trail_policy_grants_every_call_and_nothing_wild() -> None:
    doc = json.loads(POLICY.read_text(encoding="utf-8"))
    granted: set[str] = set()
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = (
            st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        )
        assert all("*" not in a for a in actions), st["Sid"]
        assert all(r != "*" for r in resources), st["Sid"]
        granted.update(actions)
    # Every API call the command can make (the client guard's list) is granted...
    for service, operation in QUERY_OPERATIONS:
        assert f"{service}:{operation}" in granted
    # ...and what Athena does on the caller's behalf: Glue metadata and S3 objects.
    assert {"glue:GetTable", "s3:GetObject", "s3:PutObject"} <= granted
