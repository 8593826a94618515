"""Pure parts of live mode: decoded-message parsing, semantic diff, TTL cache, CloudTrail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessdenied.aws import (
    TTLCache,
    decoded_denial,
    diff_documents,
    entity_of,
    parse_decoded_message,
    record_to_denial,
)
from accessdenied.aws.principals import as_document
from accessdenied.aws.simulate import _caller_arn
from tests.paths import DENIAL_SAMPLE


def _ctx(
    action: str | None, resource: str | None = None, **extra: Any
) -> dict[str, Any]:
    conditions = [
        {"key": k, "values": {"items": [{"value": v}]}} for k, v in extra.items()
    ]
    return {
        "allowed": False,
        "explicitDeny": False,
        "matchedStatements": {"items": []},
        "failures": {"items": []},
        "context": {
            "principal": {
                "id": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::111122223333:user/bob",
            },
            "action": action,
            "resource": resource,
            "conditions": {"items": conditions},
        },
    }


@pytest.mark.parametrize(
    ("message", "action"),
    [
        (
            _ctx("ec2:RunInstances", "arn:aws:ec2:us-east-1:111122223333:instance/*"),
            "ec2:RunInstances",
        ),
        (
            _ctx("RunInstances", "arn:aws:ec2:us-east-1:111122223333:instance/*"),
            "ec2:RunInstances",
        ),
        (_ctx("CreateVolume", "*", **{"aws:Service": "ec2"}), "ec2:CreateVolume"),
        (
            _ctx("StartInstances", None, **{"ec2:Region": "us-east-1"}),
            "ec2:StartInstances",
        ),
        (_ctx("Mystery", None), "Mystery"),
        (_ctx(None, None), None),
    ],
    ids=[
        "prefixed",
        "from-resource-arn",
        "from-aws-service",
        "from-condition-key",
        "unknown",
        "none",
    ],
)
def test_decoded_action_prefix(message: dict[str, Any], action: str | None) -> None:
    assert parse_decoded_message(json.dumps(message)).action == action


def test_decoded_message_from_corpus_d135() -> None:
    """The real decoded message in the shared corpus (context.action lacks its prefix)."""
    record = next(
        json.loads(line)
        for line in DENIAL_SAMPLE.read_text().splitlines()
        if line.startswith('{"id": "d135"')
    )
    text = record["text"]
    start = text.index('"DecodedMessage"')
    # The sample is a fragment of `aws sts decode-authorization-message` output.
    wrapped = (
        "{"
        + text[start:].rstrip().rstrip(",")
        + ("}" if not text.rstrip().endswith("}") else "")
    )
    outer = json.loads(wrapped)
    decoded = parse_decoded_message(outer)
    assert decoded.action == "ec2:RunInstances"
    assert decoded.raw_action == "RunInstances"
    assert decoded.explicit_deny
    assert decoded.principal is not None
    assert decoded.principal.startswith("arn:aws:sts::")
    assert decoded.matched_statements[0].statement_id == "DenyWithNoCompTag"
    assert decoded.conditions["ec2:InstanceType"] == ("m5.large",)
    md = decoded.markdown()
    assert "- action: `ec2:RunInstances`" in md
    assert "matched Deny statement `DenyWithNoCompTag`" in md
    assert "`ec2:InstanceType` = `m5.large`" in md
    d = decoded_denial(decoded)
    assert (d.source, d.decision, d.action) == (
        "decoded",
        "explicit",
        "ec2:RunInstances",
    )


def test_decoded_message_with_outer_wrapper_and_values() -> None:
    inner = _ctx("s3:PutObject", "arn:aws:s3:::b/k", **{"s3:x-amz-acl": "public-read"})
    inner["allowed"] = False
    decoded = parse_decoded_message({"DecodedMessage": json.dumps(inner)})
    assert decoded.decision == "implicit"
    assert decoded.conditions == {"s3:x-amz-acl": ("public-read",)}
    assert "implicit deny" in decoded.summary()


@pytest.mark.parametrize("bad", ["[]", "1", '"text"'])
def test_decoded_message_rejects_non_objects(bad: str) -> None:
    with pytest.raises(ValueError, match="JSON object"):
        parse_decoded_message(bad)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


DIFF_CASES: list[tuple[str, list[Any], list[Any], tuple[str, ...], tuple[str, ...]]] = [
    (
        "same-grants-different-shape",
        [
            doc(
                {
                    "Sid": "A",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "arn:aws:s3:::b/*",
                }
            )
        ],
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:putobject",
                    "Resource": ["arn:aws:s3:::b/*"],
                }
            ),
            doc(
                {
                    "Sid": "Other",
                    "Effect": "Allow",
                    "Action": "S3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ),
        ],
        (),
        (),
    ),
    (
        "missing-action",
        [doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})],
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "*",
                }
            )
        ],
        ("s3:PutObject",),
        (),
    ),
    (
        "wildcard-covers",
        [doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"})],
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/key",
                }
            )
        ],
        (),
        ("s3:Get* on arn:aws:s3:::b/*",),
    ),
    (
        "condition-matters",
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": True}},
                }
            )
        ],
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:securetransport": "true"}},
                }
            )
        ],
        (),
        (),
    ),
    (
        "deny-and-resource",
        [
            doc(
                {
                    "Effect": "Deny",
                    "Action": "s3:DeleteObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            )
        ],
        [doc()],
        (),
        ("Deny s3:DeleteObject on arn:aws:s3:::b/*",),
    ),
    (
        "not-action",
        [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
        [doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})],
        (),
        (),
    ),
]


@pytest.mark.parametrize(
    ("deployed", "workspace", "missing", "extra"),
    [c[1:] for c in DIFF_CASES],
    ids=[c[0] for c in DIFF_CASES],
)
def test_diff_documents(
    deployed: list[Any],
    workspace: list[Any],
    missing: tuple[str, ...],
    extra: tuple[str, ...],
) -> None:
    d = diff_documents(deployed, workspace, principal="p", files=["policies/app.json"])
    assert d.missing == missing
    assert d.extra == extra
    assert d.differs == bool(missing or extra)


def test_diff_message_wording() -> None:
    d = diff_documents(
        [doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})],
        [
            doc(
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "*",
                }
            )
        ],
        principal="arn:aws:iam::1:role/app",
        files=["policies/app.json"],
    )
    assert (
        d.message()
        == "deployed policy differs from policies/app.json: missing s3:PutObject"
    )


def test_ttl_cache_expires() -> None:
    now = [0.0]
    cache = TTLCache(10, clock=lambda: now[0])
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    now[0] = 9.9
    assert cache.get_or_compute("k", compute) == 1
    assert cache.peek("k") == 1
    now[0] = 10.1
    assert cache.peek("k") is None
    assert cache.get_or_compute("k", compute) == 2
    assert (cache.hits, cache.misses) == (1, 2)


@pytest.mark.parametrize(
    ("arn", "entity"),
    [
        ("arn:aws:sts::111122223333:assumed-role/app-role/dev", ("role", "app-role")),
        ("arn:aws:iam::111122223333:role/service/app-role", ("role", "app-role")),
        ("arn:aws:iam::111122223333:user/alice", ("user", "alice")),
        ("arn:aws-cn:sts::111122223333:assumed-role/r/s", ("role", "r")),
        ("arn:aws:iam::111122223333:root", None),
        ("arn:aws:s3:::bucket", None),
    ],
)
def test_entity_of(arn: str, entity: tuple[str, str] | None) -> None:
    assert entity_of(arn) == entity


def test_simulate_caller_arn_maps_session_to_role() -> None:
    assert (
        _caller_arn("arn:aws:sts::111122223333:assumed-role/app-role/dev")
        == "arn:aws:iam::111122223333:role/app-role"
    )
    assert _caller_arn("arn:aws:iam::1:user/a") == "arn:aws:iam::1:user/a"


def test_as_document_accepts_dict_json_and_url_encoded() -> None:
    d = {"Version": "2012-10-17", "Statement": []}
    assert as_document(d) == d
    assert as_document(json.dumps(d)) == d
    assert (
        as_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D")
        == d
    )
    assert as_document("not json") is None
    assert as_document(None) is None


def test_cloudtrail_record_to_denial() -> None:
    record = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketPolicy",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "userIdentity": {"arn": "arn:aws:iam::111122223333:user/alice"},
        "resources": [{"ARN": "arn:aws:s3:::reports"}],
        "requestID": "R1",
        "eventID": "E1",
    }
    d = record_to_denial(record)
    assert d is not None
    assert d.principal == "arn:aws:iam::111122223333:user/alice"
    assert d.action is not None
    assert d.action.lower() == "s3:putbucketpolicy"
    assert d.operation == "PutBucketPolicy"
    assert d.resource == "arn:aws:s3:::reports"
    assert d.source == "cloudtrail"
    assert d.request_id == "R1"
    assert record_to_denial({**record, "errorCode": None, "errorMessage": None}) is None
