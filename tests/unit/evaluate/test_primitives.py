"""Principal parsing, wildcard compilation, dates, IPs and the Decision's explanation."""

from __future__ import annotations

import pytest

from accessdenied.evaluate import Policy, PolicySet, Request, evaluate, parse_principal
from accessdenied.evaluate.conditions import parse_operator
from accessdenied.evaluate.conditions.date import parse_date
from accessdenied.evaluate.conditions.ip import parse_address, parse_network
from accessdenied.evaluate.files import _statement_lines_fallback, statement_lines
from accessdenied.evaluate.matching import match_action, match_resource


@pytest.mark.parametrize(
    ("text", "kind", "account"),
    [
        ("arn:aws:iam::111122223333:user/path/alice", "user", "111122223333"),
        ("arn:aws:iam::111122223333:role/app", "role", "111122223333"),
        (
            "arn:aws:sts::111122223333:assumed-role/app/s",
            "assumed_role",
            "111122223333",
        ),
        (
            "arn:aws:sts::111122223333:federated-user/bob",
            "federated_user",
            "111122223333",
        ),
        ("arn:aws:iam::111122223333:root", "root", "111122223333"),
        ("111122223333", "root", "111122223333"),
        ("sns.amazonaws.com", "service", None),
        ("anonymous", "anonymous", None),
        ("cognito-identity.amazonaws.com", "federated", None),
        (
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            "canonical_user",
            None,
        ),
    ],
)
def test_parse_principal_kind(text: str, kind: str, account: str | None) -> None:
    p = parse_principal(text)
    assert (p.kind, p.account) == (kind, account)


def test_session_knows_its_role_and_service_linked_roles() -> None:
    s = parse_principal("arn:aws:sts::111122223333:assumed-role/app/s")
    assert s.role_arn == "arn:aws:iam::111122223333:role/app"
    linked = parse_principal(
        "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
    )
    assert linked.service_linked


def test_action_and_resource_wildcards() -> None:
    assert match_action(["S3:Get*"], "s3:GetObject")
    assert not match_action(["s3:Get?"], "s3:GetObject")
    assert match_resource(["arn:aws:sqs:*:jobs"], "arn:aws:sqs:us-east-1:1:jobs", None)
    assert not match_resource(
        ["arn:aws:sqs:us-*-1x:*:jobs"], "arn:aws:sqs:us-east-1:1:jobs", None
    )
    assert not match_resource(["arn:aws:s3:::B/*"], "arn:aws:s3:::b/k", None)


def test_operator_parsing() -> None:
    op = parse_operator("ForAllValues:StringLikeIfExists")
    assert (op.set_mode, op.if_exists, op.base and op.base.name) == (
        "all",
        True,
        "StringLike",
    )
    assert parse_operator("StringSoundsLike").base is None


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2024-01-01", 1704067200.0),
        ("2024-01-01T00:00:00Z", 1704067200.0),
        ("2024-01-01T00:00:00.000Z", 1704067200.0),
        ("2024-01-01T01:00:00+01:00", 1704067200.0),
        ("1704067200", 1704067200.0),
        ("not a date", None),
    ],
)
def test_parse_date(text: str, epoch: float | None) -> None:
    assert parse_date(text) == epoch


def test_ip_parsing() -> None:
    net = parse_network("203.0.113.0/24")
    addr = parse_address("203.0.113.9")
    assert net is not None
    assert addr is not None
    assert addr in net
    assert parse_network("nonsense") is None


def test_statement_lines_fallback_and_parser_agree() -> None:
    text = '{\n "Statement": [\n  {"Effect": "Allow"},\n\n  {"Sid": "a,]}"}\n ]\n}\n'
    assert _statement_lines_fallback(text) == (3, 5)
    assert statement_lines(text) == (3, 5)
    assert _statement_lines_fallback('{"Statement": {"Effect": "Allow"}}') == (1,)


def test_decision_explains_itself() -> None:
    policy = Policy(
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*",
             "Resource": "arn:aws:s3:::b/secret/*"},
        ]},
        name="app", file="app.json", statement_lines=(3, 4),
    )  # fmt: skip
    req = Request(
        "arn:aws:iam::111122223333:user/a", "s3:GetObject", "arn:aws:s3:::b/secret/k"
    )
    d = evaluate(req, PolicySet(identity=(policy,)))
    assert d.decision == "explicit_deny"
    assert not d.allowed
    (reason,) = d.reasons
    assert (reason.file, reason.line, reason.sid, reason.statement_index) == (
        "app.json", 4, "NoSecrets", 1,
    )  # fmt: skip
    assert 'Deny statement "NoSecrets" #1 of identity policy app.json:4' in d.explain()
    assert d.per_type["identity"] == "explicit_deny"


def test_policy_set_accepts_plain_documents_and_flat_scp_lists() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    ps = PolicySet(identity=[doc], scps=[doc, doc])  # type: ignore[arg-type]
    assert len(ps.scps) == 2
    assert isinstance(ps.identity[0], Policy)
    req = Request(
        "arn:aws:iam::111122223333:user/a", "s3:GetObject", "arn:aws:s3:::b/k"
    )
    assert evaluate(req, ps).allowed


def test_unknown_operator_is_explained() -> None:
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"StringSoundsLike": {"aws:username": "alice"}}}]}  # fmt: skip
    req = Request(
        "arn:aws:iam::111122223333:user/a", "s3:GetObject", "arn:aws:s3:::b/k"
    )
    d = evaluate(req, PolicySet(identity=(Policy(doc),)))
    assert d.decision == "implicit_deny"
    assert any("StringSoundsLike" in n for n in d.notes)


ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DENY = {"Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}  # fmt: skip


def test_management_account_exempt_from_scps_and_rcps() -> None:
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
    req = Request(
        "arn:aws:iam::111122223333:user/a", "s3:GetObject", "arn:aws:s3:::b/k"
    )
    guarded = PolicySet(identity=[ALLOW], scps=[[DENY]], rcps=[[DENY]])  # type: ignore[arg-type]
    assert evaluate(req, guarded).decision == "explicit_deny"
    mgmt = PolicySet(
        identity=[ALLOW],  # type: ignore[arg-type]
        scps=[[DENY]],  # type: ignore[arg-type]
        rcps=[[DENY]],  # type: ignore[arg-type]
        management_account="111122223333",
    )
    decision = evaluate(req, mgmt)
    assert decision.allowed
    assert decision.per_type["scp"] == "not_applicable"


def test_rcp_services_limit_where_rcps_apply() -> None:
    from accessdenied.evaluate import RCP_SERVICES_AT_LAUNCH

    ps = PolicySet(identity=[ALLOW], rcps=[[DENY]], rcp_services=RCP_SERVICES_AT_LAUNCH)  # type: ignore[arg-type]
    ec2 = Request("arn:aws:iam::111122223333:user/a", "ec2:RunInstances", "*")
    s3 = Request("arn:aws:iam::111122223333:user/a", "s3:GetObject", "arn:aws:s3:::b/k")
    assert evaluate(ec2, ps).allowed
    assert evaluate(s3, ps).decision == "explicit_deny"
