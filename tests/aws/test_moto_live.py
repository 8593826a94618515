"""Live mode against a real moto server process: IAM reads, Organizations, S3/KMS/SQS/SNS/
Secrets Manager policies, role trust policy, the read-only guard and redaction."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from typing import Any

import boto3
import pytest

from accessdenied.aws import LiveAccount, LiveConfig, ReadOnlyViolation
from accessdenied.evaluate import Request, evaluate
from accessdenied.lsp.live import LiveMode
from tests.aws.conftest import FAKE_CREDENTIALS, _free_port

ACCOUNT = "123456789012"  # moto's default account
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def account(moto_env: str) -> LiveAccount:
    return LiveAccount(LiveConfig(enabled=True, region="us-east-1"))


@pytest.fixture
def no_secrets_logged(caplog: pytest.LogCaptureFixture):
    """Every log record of the test (DEBUG and up) is checked for the fake credentials."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    for record in caplog.records:
        text = record.getMessage()
        for secret in FAKE_CREDENTIALS:
            assert secret not in text, f"credential leaked in log: {record.name}"


def _assert_clean(*messages: str) -> None:
    for message in messages:
        for secret in FAKE_CREDENTIALS:
            assert secret not in message


@pytest.fixture
def app_role(moto_env: str) -> dict[str, str]:
    """A role with an inline policy, a customer managed policy (v2 default), an AWS
    managed policy and a permissions boundary."""
    iam = boto3.client("iam")
    name = unique("app-role")
    iam.create_role(
        RoleName=name,
        Path="/service/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary="arn:aws:iam::aws:policy/AmazonS3FullAccess",
    )
    iam.put_role_policy(
        RoleName=name,
        PolicyName="reads",
        PolicyDocument=json.dumps(doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))),
    )
    managed = iam.create_policy(
        PolicyName=unique("writer"),
        PolicyDocument=json.dumps(doc(allow("s3:ListBucket", "arn:aws:s3:::reports"))),
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=managed,
        PolicyDocument=json.dumps(
            doc(
                allow(
                    ["s3:ListBucket", "s3:PutObject"],
                    ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
                )
            )
        ),
        SetAsDefault=True,
    )
    iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    iam.attach_role_policy(
        RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSLambdaExecute"
    )
    return {"name": name, "managed": managed}


def test_role_policies_from_assumed_role_session(
    account: LiveAccount, app_role: dict[str, str], no_secrets_logged: Any
) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{app_role['name']}/dev"
    pp = account.principal_policies(session)
    assert pp.findings == ()
    assert pp.entity_kind == "role"
    assert pp.entity_arn == f"arn:aws:iam::{ACCOUNT}:role/service/{app_role['name']}"
    kinds = {(p.kind, p.name) for p in pp.identity}
    assert ("inline", "reads") in kinds
    assert ("managed", "AWSLambdaExecute") in kinds
    writer = next(p for p in pp.identity if p.arn == app_role["managed"])
    # The default version (v2), not v1.
    assert writer.version == "v2"
    assert "s3:PutObject" in json.dumps(writer.document)
    assert pp.boundary is not None
    assert pp.boundary.name == "AmazonS3FullAccess"
    assert pp.trust is not None
    assert pp.trust.document["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }


def test_principal_policies_are_cached_with_ttl(
    account: LiveAccount, app_role: dict[str, str]
) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/service/{app_role['name']}"
    first = account.principal_policies(arn)
    second = account.principal_policies(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{app_role['name']}/other"
    )
    assert second is first  # same role, one read
    assert account.cache.hits == 1


def test_user_policies_include_groups(account: LiveAccount, moto_env: str) -> None:
    iam = boto3.client("iam")
    user, group = unique("alice"), unique("devs")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(UserName=user, GroupName=group)
    iam.put_group_policy(
        GroupName=group,
        PolicyName="group-inline",
        PolicyDocument=json.dumps(doc(allow("sqs:SendMessage"))),
    )
    iam.attach_group_policy(
        GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    )
    iam.put_user_policy(
        UserName=user,
        PolicyName="own",
        PolicyDocument=json.dumps(doc(allow("sns:Publish"))),
    )
    pp = account.principal_policies(f"arn:aws:iam::{ACCOUNT}:user/{user}")
    assert pp.findings == ()
    got = {(p.kind, p.name, p.source) for p in pp.identity}
    assert ("inline", "own", None) in got
    assert ("group-inline", "group-inline", group) in got
    assert ("group-managed", "AmazonSQSReadOnlyAccess", group) in got


def test_policy_set_from_account_evaluates(
    account: LiveAccount, app_role: dict[str, str]
) -> None:
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{app_role['name']}/dev"
    policy_set, findings = account.policy_set(arn, include_org=False)
    assert findings == ()
    allowed = evaluate(
        Request(arn, "s3:PutObject", "arn:aws:s3:::reports/a.csv"), policy_set
    )
    assert allowed.decision == "allowed"
    # The boundary (AmazonS3FullAccess) caps everything that is not S3.
    capped = evaluate(
        Request(
            arn, "logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:x"
        ),
        policy_set,
    )
    assert capped.decision == "implicit_deny"


def test_diff_with_workspace_names_missing_action(
    account: LiveAccount, moto_env: str
) -> None:
    iam = boto3.client("iam")
    name = unique("diff-role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="deployed",
        PolicyDocument=json.dumps(doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))),
    )
    workspace = doc(
        {"Sid": "Read", **allow(["s3:getobject", "s3:PutObject"], "arn:aws:s3:::b/*")}
    )
    diff, findings = account.diff_with_workspace(
        f"arn:aws:iam::{ACCOUNT}:role/{name}", {"policies/app.json": workspace}
    )
    assert findings == ()
    assert diff.missing == ("s3:PutObject on arn:aws:s3:::b/*",)
    assert diff.extra == ()
    assert diff.message() == (
        "deployed policy differs from policies/app.json: "
        "missing s3:PutObject on arn:aws:s3:::b/*"
    )


def test_s3_bucket_policy_and_missing_policy(
    account: LiveAccount, moto_env: str
) -> None:
    s3 = boto3.client("s3")
    bucket, bare = unique("reports"), unique("bare")
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bare)
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    rp = account.resource_policy(f"arn:aws:s3:::{bucket}/some/key.csv")
    assert rp.kind == "s3"
    assert rp.document == policy
    none = account.resource_policy(f"arn:aws:s3:::{bare}")
    assert none.document is None
    assert [f.code for f in none.findings] == ["live-not-found"]
    assert "NoSuchBucketPolicy" in none.findings[0].message


def test_kms_key_policy(account: LiveAccount, moto_env: str) -> None:
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]
    rp = account.resource_policy(key["Arn"])
    assert rp.findings == ()
    assert rp.kind == "kms"
    assert rp.document is not None
    assert rp.document["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:root"
    }
    alias = unique("alias/app")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    by_alias = account.resource_policy(f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}")
    assert by_alias.findings == ()
    assert by_alias.document == rp.document


def test_role_trust_policy_as_resource_policy(
    account: LiveAccount, app_role: dict[str, str]
) -> None:
    rp = account.resource_policy(
        f"arn:aws:iam::{ACCOUNT}:role/service/{app_role['name']}"
    )
    assert rp.kind == "trust"
    assert rp.document == TRUST


def test_sqs_sns_secrets_policies(account: LiveAccount, moto_env: str) -> None:
    queue_policy = doc(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "sqs:SendMessage",
            "Resource": "*",
        }
    )
    qname = unique("q")
    boto3.client("sqs").create_queue(
        QueueName=qname, Attributes={"Policy": json.dumps(queue_policy)}
    )
    rp = account.resource_policy(f"arn:aws:sqs:us-east-1:{ACCOUNT}:{qname}")
    assert rp.document == queue_policy
    topic = boto3.client("sns").create_topic(Name=unique("t"))["TopicArn"]
    rp = account.resource_policy(topic)
    assert rp.document is not None
    assert rp.document["Statement"]
    sm = boto3.client("secretsmanager")
    secret = sm.create_secret(Name=unique("db"), SecretString="not-a-credential")["ARN"]
    secret_policy = doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:DeleteSecret",
            "Resource": "*",
        }
    )
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps(secret_policy))
    rp = account.resource_policy(secret)
    assert rp.document == secret_policy


@pytest.fixture
def organization(moto_env: str) -> dict[str, str]:
    org = boto3.client("organizations")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    scp = org.create_policy(
        Content=json.dumps(
            doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
        ),
        Description="no bucket deletes",
        Name=unique("DenyDeleteBucket"),
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    rcp = org.create_policy(
        Content=json.dumps(
            doc(
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            )
        ),
        Description="TLS only",
        Name=unique("TlsOnly"),
        Type="RESOURCE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    status = org.create_account(
        Email=f"{unique('m')}@example.com", AccountName="member"
    )
    member = status["CreateAccountStatus"]["AccountId"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=ACCOUNT)
    org.attach_policy(PolicyId=scp["Id"], TargetId=member)
    org.attach_policy(PolicyId=rcp["Id"], TargetId=root)
    return {"root": root, "scp": scp["Name"], "rcp": rcp["Name"], "member": member}


def test_org_scps_and_rcps_by_level(
    account: LiveAccount, organization: dict[str, str]
) -> None:
    op = account.org_policies()
    assert op.readable
    assert op.account == ACCOUNT
    # Root first, account last.
    root_scps = {p.name for p in op.scps[0]}
    account_scps = {p.name for p in op.scps[-1]}
    assert "FullAWSAccess" in root_scps
    assert {"FullAWSAccess", organization["scp"]} <= account_scps
    root_rcps = {p.name for p in op.rcps[0]}
    assert {"RCPFullAWSAccess", organization["rcp"]} <= root_rcps
    # The SCP takes part in evaluation through the PolicySet.
    user = unique("bob")
    iam = boto3.client("iam")
    iam.create_user(UserName=user)
    iam.attach_user_policy(
        UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess"
    )
    # moto's caller account is the management account: SCPs do not apply to it.
    assert op.management_account == ACCOUNT
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    policy_set, _ = account.policy_set(arn)
    assert policy_set.management_account == ACCOUNT
    request = Request(arn, "s3:DeleteBucket", "arn:aws:s3:::x")
    assert evaluate(request, policy_set).allowed
    # A member account's principal (moto serves IAM from one account, so the same user's
    # policies are read) gets the member account's SCP levels: the Deny wins.
    member_arn = f"arn:aws:iam::{organization['member']}:user/{user}"
    member_set, findings = account.policy_set(member_arn)
    assert findings == ()
    assert [p.name for p in member_set.scps[-1]] == [
        "SCP FullAWSAccess",
        f"SCP {organization['scp']}",
    ]
    denied = evaluate(
        Request(member_arn, "s3:DeleteBucket", "arn:aws:s3:::x"), member_set
    )
    assert denied.decision == "explicit_deny"
    assert evaluate(
        Request(member_arn, "s3:ListBucket", "arn:aws:s3:::x"), member_set
    ).allowed


def test_read_only_guard_blocks_writes_before_sending(
    account: LiveAccount, moto_env: str
) -> None:
    iam = account.clients.client("iam")
    name = unique("mallory")
    with pytest.raises(ReadOnlyViolation):
        iam.create_user(UserName=name)
    with pytest.raises(ReadOnlyViolation):
        account.clients.client("s3").put_bucket_policy(Bucket="x", Policy="{}")
    names = [u["UserName"] for u in boto3.client("iam").list_users()["Users"]]
    assert name not in names


async def test_lsp_live_api_against_moto(
    moto_env: str, app_role: dict[str, str], no_secrets_logged: Any
) -> None:
    live = LiveMode.from_settings(
        {"accessdenied": {"aws": {"liveMode": True, "region": "us-east-1"}}}
    )
    assert live.enabled
    assert live.available
    arn = f"arn:aws:iam::{ACCOUNT}:role/service/{app_role['name']}"
    pp = await live.principal_policies(arn)
    assert pp.ok
    assert pp.value is not None
    assert {p.name for p in pp.value.identity} >= {"reads", "AWSLambdaExecute"}
    ps = await live.policy_set(arn)
    assert ps.ok
    missing = await live.principal_policies(
        f"arn:aws:iam::{ACCOUNT}:role/nope-{uuid.uuid4().hex}"
    )
    assert missing.value is not None
    assert next(f.code for f in missing.findings) == "live-not-found"
    hover = live.hover_markdown(arn)
    assert "AWSLambdaExecute" in hover
    _assert_clean(hover, *missing.messages(), live.status())


def test_unreachable_endpoint_is_a_finding(fake_aws_env: None) -> None:
    # A port just freed: nothing listens, the connection is refused at once.
    acct = LiveAccount(
        LiveConfig(
            enabled=True,
            region="us-east-1",
            endpoint_url=f"http://127.0.0.1:{_free_port()}",
            connect_timeout=0.5,
            read_timeout=0.5,
            max_attempts=1,
        )
    )
    pp = acct.principal_policies(f"arn:aws:iam::{ACCOUNT}:role/app")
    assert pp.identity == ()
    assert pp.findings
    assert {f.code for f in pp.findings} == {"live-timeout"}
    assert "iam:GetRole" in pp.findings[0].message
    _assert_clean(*(f.message for f in pp.findings))


async def test_diff_with_workspace_index(moto_env: str) -> None:
    """The examples workspace maps app-role to policies/app-role.json; the deployed role
    (in moto) lacks sqs:SendMessage and has an extra s3:DeleteObject."""
    from accessdenied.workspace import build_index
    from tests.paths import EXAMPLES

    iam = boto3.client("iam")
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="app-role",
        PolicyName="deployed",
        PolicyDocument=json.dumps(
            doc(
                allow(
                    ["s3:ListBucket", "s3:GetObject"],
                    ["arn:aws:s3:::acme-reports/*", "arn:aws:s3:::acme-reports"],
                ),
                allow("s3:DeleteObject", "arn:aws:s3:::acme-reports/*"),
            )
        ),
    )
    live = LiveMode.from_settings({"aws": {"liveMode": True, "region": "us-east-1"}})
    index = build_index(EXAMPLES)
    result = await live.diff_with_index(
        "arn:aws:iam::111122223333:role/app-role", index
    )
    assert result.findings == ()
    diff = result.value
    assert diff is not None
    assert diff.files == ("policies/app-role.json",)
    assert diff.missing == (
        "sqs:SendMessage on arn:aws:sqs:us-east-1:111122223333:report-jobs",
    )
    assert diff.extra == ("s3:DeleteObject on arn:aws:s3:::acme-reports/*",)
    assert diff.message().startswith(
        "deployed policy differs from policies/app-role.json: missing sqs:SendMessage"
    )
