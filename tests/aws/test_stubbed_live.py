"""Live mode through botocore's Stubber for what moto does not implement:
sts:DecodeAuthorizationMessage, iam:Simulate*, cloudtrail:LookupEvents (plus the tool's
own AccessDenied, Lambda policies, the allow-list and redaction)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from accessdenied.aws import (
    READ_ONLY_OPERATIONS,
    LiveAccount,
    LiveConfig,
    ReadOnlyViolation,
)
from accessdenied.aws.safety import redact
from accessdenied.denials.model import Denial
from accessdenied.lsp.live import LiveMode
from accessdenied.text import LineIndex
from tests.aws.conftest import FAKE_CREDENTIALS, FAKE_KEY_ID, FAKE_SECRET

ACCOUNT = "111122223333"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/dev"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-role"

DECODED = {
    "allowed": False,
    "explicitDeny": True,
    "matchedStatements": {
        "items": [
            {
                "statementId": "DenyWithNoCompTag",
                "effect": "DENY",
                "principals": {"items": [{"value": "AROAEXAMPLE:i-0abc"}]},
                "principalGroups": {"items": []},
                "actions": {"items": [{"value": "ec2:RunInstances"}]},
                "resources": {"items": [{"value": "arn:aws:ec2:*:*:instance/*"}]},
                "conditions": {
                    "items": [
                        {
                            "key": "aws:RequestTag/ComponentID",
                            "values": {"items": [{"value": "true"}]},
                        }
                    ]
                },
            }
        ]
    },
    "failures": {"items": []},
    "context": {
        "principal": {"id": "AROAEXAMPLE:i-0abc", "arn": SESSION},
        "action": "RunInstances",
        "resource": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*",
        "conditions": {
            "items": [
                {
                    "key": "ec2:InstanceType",
                    "values": {"items": [{"value": "m5.large"}]},
                },
                {"key": "aws:Region", "values": {"items": [{"value": "us-east-1"}]}},
            ]
        },
    },
}
BLOB = "Ab3-EncodedAuthorizationFailureMessage_x" * 4


@pytest.fixture
def account(fake_aws_env: None) -> LiveAccount:
    return LiveAccount(LiveConfig(enabled=True, region="us-east-1"))


@pytest.fixture
def stub(account: LiveAccount) -> Iterator[Any]:
    stubs: dict[str, Stubber] = {}

    def make(service: str) -> Stubber:
        if service not in stubs:
            stubs[service] = Stubber(account.clients.client(service))
            stubs[service].activate()
        return stubs[service]

    yield make
    for s in stubs.values():
        s.assert_no_pending_responses()
        s.deactivate()


def _denial(text: str, blob: str | None) -> Denial:
    return Denial(
        span=LineIndex(text).span(0, len(text)),
        text=text,
        action="ec2:RunInstances",
        encoded_message=blob is not None,
        encoded_blob=blob,
        error_code="UnauthorizedOperation",
    )


async def test_decode_denial_gives_exact_request(
    account: LiveAccount, stub: Any
) -> None:
    stub("sts").add_response(
        "decode_authorization_message",
        {"DecodedMessage": json.dumps(DECODED)},
        {"EncodedMessage": BLOB},
    )
    live = LiveMode(account.config, account)
    original = _denial(f"Encoded authorization failure message: {BLOB}", BLOB)
    result = await live.decode(original)
    assert result.findings == ()
    d = result.value
    assert d is not None
    assert d.source == "decoded"
    assert d.principal == SESSION
    assert (
        d.action == "ec2:RunInstances"
    )  # prefix restored (context.action is "RunInstances")
    assert d.resource == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"
    assert d.decision == "explicit"
    assert d.span == original.span
    assert any("DenyWithNoCompTag" in n for n in d.notes)
    # Cached: a second decode of the same blob makes no call (the stub has no response left).
    again = await live.decode(original)
    assert again.value == d


async def test_decode_denied_is_a_plain_finding(
    account: LiveAccount, stub: Any
) -> None:
    stub("sts").add_client_error(
        "decode_authorization_message",
        service_error_code="AccessDenied",
        service_message=f"User: {SESSION} is not authorized to perform: sts:DecodeAuthorizationMessage",
        http_status_code=403,
    )
    live = LiveMode(account.config, account)
    result = await live.decode(
        _denial("Encoded authorization failure message: x", BLOB)
    )
    assert result.value is None
    assert result.messages() == [
        "live mode could not decode the authorization message: "
        "sts:DecodeAuthorizationMessage denied"
    ]
    assert result.findings[0].code == "live-access-denied"


def test_tool_access_denied_reading_role_is_a_finding(
    account: LiveAccount, stub: Any
) -> None:
    iam = stub("iam")
    iam.add_response(
        "get_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": "app-role",
                "RoleId": "AROAEXAMPLEEXAMPLE1",
                "Arn": ROLE,
                "CreateDate": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "AssumeRolePolicyDocument": json.dumps(
                    {"Version": "2012-10-17", "Statement": []}
                ),
            }
        },
        {"RoleName": "app-role"},
    )
    iam.add_response(
        "list_role_policies", {"PolicyNames": ["inline"], "IsTruncated": False}
    )
    iam.add_response(
        "get_role_policy",
        {
            "RoleName": "app-role",
            "PolicyName": "inline",
            "PolicyDocument": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
                    ],
                }
            ),
        },
    )
    iam.add_client_error(
        "list_attached_role_policies",
        service_error_code="AccessDenied",
        service_message=f"key {FAKE_KEY_ID} is not authorized",
        http_status_code=403,
    )
    pp = account.principal_policies(SESSION)
    assert [p.name for p in pp.identity] == ["inline"]
    assert [f.message for f in pp.findings] == [
        "live mode could not read policies of role app-role: "
        "iam:ListAttachedRolePolicies denied"
    ]
    assert not pp.complete


def test_unexpected_error_message_is_redacted(account: LiveAccount, stub: Any) -> None:
    stub("lambda").add_client_error(
        "get_policy",
        service_error_code="ServiceException",
        service_message=f"boom with {FAKE_KEY_ID} and secret={FAKE_SECRET}",
        http_status_code=500,
    )
    rp = account.resource_policy(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f")
    assert rp.document is None
    (finding,) = rp.findings
    assert finding.code == "live-error"
    assert "lambda:GetPolicy failed (ServiceException" in finding.message
    for secret in FAKE_CREDENTIALS:
        assert secret not in finding.message


def test_lambda_policy(account: LiveAccount, stub: Any) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "s3invoke",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
            }
        ],
    }
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    stub("lambda").add_response(
        "get_policy",
        {"Policy": json.dumps(policy), "RevisionId": "1"},
        {"FunctionName": arn},
    )
    assert account.resource_policy(arn).document == policy


FIX = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::reports/*",
        }
    ],
}


def _sim(decision: str) -> dict[str, Any]:
    return {
        "EvaluationResults": [
            {
                "EvalActionName": "s3:PutObject",
                "EvalResourceName": "arn:aws:s3:::reports/a.csv",
                "EvalDecision": decision,
                "MatchedStatements": [{"SourcePolicyId": "PolicyInputList.1"}],
            }
        ],
        "IsTruncated": False,
    }


async def test_cross_check_agrees(account: LiveAccount, stub: Any) -> None:
    iam = stub("iam")
    iam.add_response(
        "simulate_custom_policy",
        _sim("allowed"),
        {
            "ActionNames": ["s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::reports/a.csv"],
            "PolicyInputList": [json.dumps(FIX)],
        },
    )
    iam.add_response(
        "simulate_principal_policy",
        _sim("allowed"),
        {
            "ActionNames": ["s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::reports/a.csv"],
            "PolicySourceArn": ROLE,  # the session ARN maps to its role
            "PolicyInputList": [json.dumps(FIX)],
        },
    )
    live = LiveMode(account.config, account)
    result = await live.cross_check(
        principal=SESSION,
        action="s3:PutObject",
        resource="arn:aws:s3:::reports/a.csv",
        identity=[FIX],
    )
    check = result.value
    assert check is not None
    assert check.ours.decision == "allowed"
    assert [(v.source, v.decision) for v in check.aws] == [
        ("iam:SimulateCustomPolicy", "allowed"),
        ("iam:SimulatePrincipalPolicy", "allowed"),
    ]
    assert check.agree is True
    assert result.findings == ()


async def test_cross_check_disagreement_is_logged_with_inputs(
    account: LiveAccount, stub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    iam = stub("iam")
    iam.add_response("simulate_custom_policy", _sim("implicitDeny"))
    iam.add_response("simulate_principal_policy", _sim("implicitDeny"))
    live = LiveMode(account.config, account)
    result = await live.cross_check(
        principal="arn:aws:iam::111122223333:user/alice",
        action="s3:PutObject",
        resource="arn:aws:s3:::reports/a.csv",
        identity=[FIX],
    )
    assert result.value is not None
    assert [v.decision for v in result.value.aws] == ["implicit_deny", "implicit_deny"]
    assert result.value.agree is False
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "accessdenied.aws.simulate" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert '"accessdenied": "allowed"' in warnings[0]
    assert '"iam:SimulateCustomPolicy": "implicit_deny"' in warnings[0]
    assert "arn:aws:s3:::reports/*" in warnings[0]  # the input policy is in the log
    assert "live-disagreement" in [f.code for f in result.findings]
    for record in caplog.records:
        for secret in FAKE_CREDENTIALS:
            assert secret not in record.getMessage()


def _event(arn: str, code: str | None, name: str, message: str = "") -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": arn,
            "sessionContext": {"sessionIssuer": {"arn": ROLE, "type": "Role"}},
        },
        "eventTime": "2026-11-29T03:00:00Z",
        "eventSource": "sqs.amazonaws.com",
        "eventName": name,
        "requestID": "req-1",
        "eventID": f"ev-{name}",
    }
    if code:
        record["errorCode"] = code
        record["errorMessage"] = message
    return {
        "EventId": record["eventID"],
        "EventName": name,
        "CloudTrailEvent": json.dumps(record),
    }


async def test_recent_denials_from_cloudtrail(account: LiveAccount, stub: Any) -> None:
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    stub("cloudtrail").add_response(
        "lookup_events",
        {
            "Events": [
                _event(
                    SESSION,
                    "AccessDenied",
                    "SendMessage",
                    f"User: {SESSION} is not authorized to perform: sqs:sendmessage on "
                    f"resource: {queue} because no identity-based policy allows the "
                    "sqs:sendmessage action",
                ),
                _event(SESSION, None, "GetQueueUrl"),
                _event(
                    f"arn:aws:sts::{ACCOUNT}:assumed-role/other/x",
                    "AccessDenied",
                    "DeleteQueue",
                ),
            ]
        },
    )
    live = LiveMode(account.config, account)
    result = await live.recent_denials(SESSION)
    assert result.findings == ()
    denials = result.value
    assert denials is not None
    assert len(denials) == 1
    (d,) = denials
    assert d.principal == SESSION
    assert d.action is not None
    assert d.action.lower() == "sqs:sendmessage"
    assert d.resource == queue
    assert d.decision in ("implicit", "unknown")


def test_allow_list_is_read_only_and_exists_in_botocore() -> None:
    session = botocore.session.get_session()
    read_verbs = ("Get", "List", "Describe", "Lookup", "Simulate", "Decode")
    for service, operation in READ_ONLY_OPERATIONS:
        assert operation.startswith(read_verbs), operation
        model = session.get_service_model(service)
        assert operation in model.operation_names, (service, operation)


def test_guard_refuses_writes_even_when_stubbed(account: LiveAccount) -> None:
    client = account.clients.client("iam")
    with Stubber(client) as iam:
        iam.add_response("create_user", {})
        with pytest.raises(ReadOnlyViolation):
            client.create_user(UserName="x")
        # The stubbed response was never consumed: the call stopped before any request.
        with pytest.raises(AssertionError, match="1 responses remaining"):
            iam.assert_no_pending_responses()


def test_redact_masks_known_and_shaped_secrets() -> None:
    text = (
        f"key {FAKE_KEY_ID} secret={FAKE_SECRET} aws_session_token: IQoJb3JpZ2luX2VjEXAMPLETOKEN "
        "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok"
    )
    out = redact(text)
    for secret in (
        FAKE_KEY_ID,
        FAKE_SECRET,
        "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ):
        assert secret not in out
    assert out.endswith(" ok")
    # Principal ids and ARNs are not secrets and stay readable.
    arn = f"arn:aws:iam::{ACCOUNT}:role/app-role AROAEXAMPLEEXAMPLE1"
    assert redact(arn) == arn


async def test_unknown_profile_is_a_finding(fake_aws_env: None) -> None:
    live = LiveMode.from_settings(
        {"aws": {"liveMode": True, "profile": "no-such-profile"}}
    )
    result = await live.principal_policies(ROLE)
    assert result.value is None
    (finding,) = result.findings
    assert "no-such-profile" in finding.message
    assert finding.message.startswith("live mode could not read policies of")


def test_no_credentials_is_a_finding(
    fake_aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    acct = LiveAccount(
        LiveConfig(enabled=True, region="us-east-1", endpoint_url="http://127.0.0.1:9")
    )
    rp = acct.resource_policy("arn:aws:s3:::bucket")
    assert rp.document is None
    assert [f.code for f in rp.findings] == ["live-no-credentials"]
    assert "no usable AWS credentials" in rp.findings[0].message


def test_findings_are_redacted_at_construction() -> None:
    from accessdenied.aws import LiveFinding

    f = LiveFinding("live-error", "warning", f"oops {FAKE_KEY_ID} secret={FAKE_SECRET}")
    for secret in FAKE_CREDENTIALS:
        assert secret not in f.message


def test_required_permissions_are_known_read_actions() -> None:
    from accessdenied.aws import required_permissions
    from accessdenied.catalog import load_catalog

    cat = load_catalog()
    doc = required_permissions()
    actions = doc["Statement"][0]["Action"]
    assert len(actions) == len(READ_ONLY_OPERATIONS)
    for name in actions:
        action = cat.action(name)
        assert action is not None, name
        if name == "sts:DecodeAuthorizationMessage":
            # The Service Authorization Reference files it under "Write", yet it only
            # decodes a message and changes nothing; it is the one documented exception.
            continue
        assert action.access_level in ("Read", "List"), (name, action.access_level)


async def test_scanned_log_denial_decodes_end_to_end(
    account: LiveAccount, stub: Any
) -> None:
    from accessdenied.denials import scan_text

    log = (
        "2026-11-29 03:00:01 ERROR An error occurred (UnauthorizedOperation) when calling "
        "the RunInstances operation: You are not authorized to perform this operation. "
        f"Encoded authorization failure message: {BLOB}\n"
    )
    (denial,) = scan_text(log)
    assert denial.encoded_blob == BLOB
    stub("sts").add_response(
        "decode_authorization_message",
        {"DecodedMessage": json.dumps(DECODED)},
        {"EncodedMessage": BLOB},
    )
    live = LiveMode(account.config, account)
    result = await live.decode(denial)
    decoded = result.value
    assert decoded is not None
    assert (decoded.principal, decoded.action, decoded.decision) == (
        SESSION,
        "ec2:RunInstances",
        "explicit",
    )
    assert decoded.resource == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"
    assert decoded.span == denial.span  # the diagnostic stays where the log line is
    details = await live.decode_blob(BLOB)  # cached: no second STS call
    assert details.value is not None
    assert "DenyWithNoCompTag" in details.value.markdown()


def test_org_reads_from_member_account_are_plain_findings(
    account: LiveAccount, stub: Any
) -> None:
    stub("organizations").add_client_error(
        "list_parents",
        service_error_code="AccessDeniedException",
        service_message="You don't have permissions to access this resource.",
        http_status_code=400,
    )
    op = account.org_policies(ACCOUNT)
    assert not op.readable
    assert op.scps == ()
    assert [f.message for f in op.findings] == [
        f"live mode could not read the organization of account {ACCOUNT}: "
        "organizations:ListParents denied"
    ]
    fresh = LiveAccount(account.config)
    org_stub = Stubber(fresh.clients.client("organizations"))
    org_stub.add_client_error(
        "list_parents",
        service_error_code="AWSOrganizationsNotInUseException",
        http_status_code=400,
    )
    with org_stub:
        op = fresh.org_policies(ACCOUNT)
    assert [f.code for f in op.findings] == ["live-not-found"]
    assert "not in an organization" in op.findings[0].message
