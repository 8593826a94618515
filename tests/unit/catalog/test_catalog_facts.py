"""Real IAM facts from the bundled catalog."""

from __future__ import annotations

import pytest

from accessdenied.catalog import Action, load_catalog


def test_known_actions_and_access_levels() -> None:
    cat = load_catalog()
    a = cat.action("s3:getobject")
    assert isinstance(a, Action)
    assert a.full_name == "s3:GetObject"
    assert a.access_level == "Read"
    assert {r.resource_type.name for r in a.resources} >= {"object"}
    assert cat.action("iam:PassRole") is not None
    assert cat.action("iam:PassRole").access_level == "Write"  # type: ignore[union-attr]
    assert cat.action("s3:NoSuchAction") is None
    assert cat.action("garbage") is None


def test_list_all_my_buckets_has_no_resource_types() -> None:
    a = load_catalog().action("s3:ListAllMyBuckets")
    assert a is not None
    assert a.resources == ()
    assert not a.supports_resource_level


def test_combined_access_levels_are_normalised() -> None:
    a = load_catalog().action("iam:TagRole")
    assert a is not None
    assert a.access_level == "Tagging"
    assert "Tagging" in a.access_levels


@pytest.mark.parametrize(
    ("op", "service", "expected"),
    [
        ("ListObjectsV2", "s3", ("s3:ListBucket",)),
        ("HeadObject", "Amazon S3", ("s3:GetObject",)),
        ("CopyObject", "s3", ("s3:GetObject", "s3:PutObject")),
        ("getBucketLocation", "s3.amazonaws.com", ("s3:GetBucketLocation",)),
        ("GetSecretValue", "Secrets Manager", ("secretsmanager:GetSecretValue",)),
        ("PutItem", "DynamoDB", ("dynamodb:PutItem",)),
        ("AssumeRole", "AWSSecurityTokenService", ("sts:AssumeRole",)),
        ("SendMessage", "AmazonSQS", ("sqs:SendMessage",)),
        ("PutMetricData", "monitoring", ("cloudwatch:PutMetricData",)),
    ],
)
def test_operation_mapping(op: str, service: str, expected: tuple[str, ...]) -> None:
    assert load_catalog().actions_for_operation(op, service) == expected


def test_2026_service_present() -> None:
    svc = load_catalog().service("bedrock-agentcore")
    assert svc is not None
    assert len(svc.actions) > 200
