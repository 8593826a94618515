"""effective_permissions: per service and access level, limited by boundary/SCPs, with denies."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from accessdenied.evaluate import Policy, PolicySet, effective_permissions

USER = "arn:aws:iam::111122223333:user/alice"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return importlib.import_module("accessdenied.catalog").load_catalog()


def _doc(*statements: dict[str, Any]) -> Policy:
    return Policy({"Version": "2012-10-17", "Statement": list(statements)}, name="p")


def test_effective_groups_allowed_actions_by_service_and_level(catalog: Any) -> None:
    ps = PolicySet(
        identity=(
            _doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:Get*",
                    "Resource": "arn:aws:s3:::b/*",
                },
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            ),
        )
    )
    eff = effective_permissions(ps, USER, catalog)
    services = eff.by_service()
    assert set(services) == {"s3", "sqs"}
    assert "s3:GetObject" in {a.action for a in services["s3"]["Read"]}
    assert [a.action for a in services["sqs"]["Write"]] == ["sqs:SendMessage"]
    get = next(a for a in eff.allowed if a.action == "s3:GetObject")
    assert get.grants[0].resources == ("arn:aws:s3:::b/*",)
    assert not get.grants[0].unconditional


def test_effective_boundary_and_scp_limit_and_deny_removes(catalog: Any) -> None:
    ps = PolicySet(
        identity=(
            _doc(
                {
                    "Effect": "Allow",
                    "Action": ["s3:*", "dynamodb:GetItem"],
                    "Resource": "*",
                },
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "s3:PutObject",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
        ),
        boundary=_doc({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}),
        scps=((_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),),),
    )
    eff = effective_permissions(ps, USER, catalog)
    by_name = {a.action: a for a in eff.actions}
    assert not by_name["dynamodb:GetItem"].allowed
    assert by_name["dynamodb:GetItem"].limited_by == ("permissions_boundary",)
    assert by_name["s3:DeleteBucket"].denied
    assert not by_name["s3:DeleteBucket"].allowed
    # A conditional deny leaves the action allowed, with the deny attached.
    assert by_name["s3:PutObject"].allowed
    assert by_name["s3:PutObject"].denies[0].conditions
    assert "s3:DeleteBucket" in {a.action for a in eff.denied}
    assert "Explicitly denied" in eff.summary()


def test_effective_notaction_expands_everything_but(catalog: Any) -> None:
    ps = PolicySet(
        identity=(_doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),)
    )
    eff = effective_permissions(ps, USER, catalog)
    services = eff.by_service()
    assert "iam" not in services
    assert "s3" in services
    assert len(eff.allowed) > 10_000


def test_effective_resource_policy_naming_principal_counts(catalog: Any) -> None:
    ps = PolicySet(
        resource=_doc(
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sqs:ReceiveMessage",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
             "Action": "sqs:DeleteMessage", "Resource": "*"},
        )
    )  # fmt: skip
    eff = effective_permissions(ps, USER, catalog)
    assert [a.action for a in eff.allowed] == ["sqs:ReceiveMessage"]
