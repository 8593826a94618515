"""A generated CloudTrail trail in the S3 layout, with planted denials of every family.

`generate(root, ...)` writes `AWSLogs/...` (an organization trail with the `o-` level and
a plain account trail), thousands of gzipped record files of many services and error
codes, and returns the planted denials (what every engine must find, nothing else).
Used by tests/unit/trail and benchmarks/bench_trail.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import string
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORG = "o-a1b2c3d4e5"
ORG_ACCOUNTS = ("111122223333", "444455556666")
PLAIN_ACCOUNT = "777788889999"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Planted:
    """One planted denial and what the scanner must read from it."""

    event_id: str
    account: str
    region: str
    event_time: str
    principal: str
    action: str
    resource: str | None
    decision: str
    policy_type: str | None
    family: str
    truncated: bool = False


def _role(account: str, name: str) -> tuple[str, str]:
    return (
        f"arn:aws:sts::{account}:assumed-role/{name}/session-{name}",
        f"arn:aws:iam::{account}:role/{name}",
    )


def _identity(account: str, name: str) -> dict[str, Any]:
    arn, issuer = _role(account, name)
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEID:" + name,
        "arn": arn,
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEID",
                "arn": issuer,
                "accountId": account,
                "userName": name,
            },
            "attributes": {
                "creationDate": "2026-11-01T00:00:00Z",
                "mfaAuthenticated": "false",
            },
        },
    }


# (eventSource, eventName, requestParameters) of ordinary traffic.
_CALLS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    (
        "s3.amazonaws.com",
        "GetObject",
        {"bucketName": "data-lake", "key": "raw/part-0001.parquet"},
    ),
    ("s3.amazonaws.com", "PutObject", {"bucketName": "data-lake", "key": "out/x.json"}),
    ("s3.amazonaws.com", "ListObjects", {"bucketName": "data-lake", "prefix": "raw/"}),
    ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
    ("ec2.amazonaws.com", "RunInstances", {"instanceType": "t3.micro", "minCount": 1}),
    ("iam.amazonaws.com", "GetRole", {"roleName": "app-role"}),
    (
        "sts.amazonaws.com",
        "AssumeRole",
        {"roleArn": "arn:aws:iam::111122223333:role/x", "roleSessionName": "s"},
    ),
    ("lambda.amazonaws.com", "Invoke", {"functionName": "resize"}),
    ("lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": "resize"}),
    (
        "dynamodb.amazonaws.com",
        "GetItem",
        {"tableName": "orders", "key": {"id": {"S": "1"}}},
    ),
    ("dynamodb.amazonaws.com", "PutItem", {"tableName": "orders"}),
    ("kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "db"}),
    (
        "sqs.amazonaws.com",
        "SendMessage",
        {"queueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"},
    ),
    ("sns.amazonaws.com", "Publish", {"topicArn": "arn:aws:sns:us-east-1:1:t"}),
    ("logs.amazonaws.com", "PutLogEvents", {"logGroupName": "/app"}),
    ("cloudformation.amazonaws.com", "DescribeStacks", None),
    (
        "ssm.amazonaws.com",
        "GetParameter",
        {"name": "/app/flag", "withDecryption": True},
    ),
)
# Errors that are not access denials (realistic codes and messages).
_OTHER_ERRORS: tuple[tuple[str, str | None], ...] = (
    ("ThrottlingException", "Rate exceeded"),
    ("ResourceNotFoundException", "Requested resource not found"),
    ("NoSuchKey", "The specified key does not exist."),
    ("ValidationException", "1 validation error detected: Value null at 'tableName'"),
    (
        "Client.InvalidParameterValue",
        "Value (t9.huge) for parameter instanceType is invalid.",
    ),
    ("ConditionalCheckFailedException", "The conditional request failed"),
    ("EntityAlreadyExists", "Role with name app-role already exists."),
    ("NoSuchEntity", "The role with name ghost cannot be found."),
    ("InvalidCiphertextException", None),
    ("ServiceUnavailable", "Please reduce your request rate."),
)


def _denial_specs(
    account: str, region: str, rnd: random.Random
) -> list[dict[str, Any]]:
    """One record template per message family (errorCode, errorMessage, expected)."""
    who, _ = _role(account, "app-role")
    ci, _ = _role(account, "ci-deployer")
    sec = f"arn:aws:secretsmanager:{region}:{account}:secret:db-AbCdEf"
    key = f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    topic = f"arn:aws:sns:{region}:{account}:alerts"
    table = f"arn:aws:dynamodb:{region}:{account}:table/orders"
    # CloudTrail's 1 KB cut falls in the deny's policy ARN (first key) or inside the
    # resource itself (second key).
    longkey = "arn:aws:s3:::data-lake/" + "/".join(
        "".join(rnd.choices(string.ascii_lowercase, k=12)) for _ in range(40)
    )
    cutkey = "arn:aws:s3:::data-lake/" + "/".join(
        "".join(rnd.choices(string.ascii_lowercase, k=12)) for _ in range(80)
    )
    base = [
        (
            "implicit-identity",
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            "AccessDenied",
            who,
            f"User: {who} is not authorized to perform: secretsmanager:GetSecretValue on resource: {sec} "
            "because no identity-based policy allows the secretsmanager:GetSecretValue action",
            "secretsmanager:GetSecretValue",
            sec,
            "implicit",
            "identity",
        ),
        (
            "explicit-scp",
            "dynamodb.amazonaws.com",
            "PutItem",
            "AccessDeniedException",
            who,
            f"User: {who} is not authorized to perform: dynamodb:PutItem on resource: {table} "
            "with an explicit deny in a service control policy",
            "dynamodb:PutItem",
            table,
            "explicit",
            "scp",
        ),
        (
            "explicit-identity-arn",
            "dynamodb.amazonaws.com",
            "GetItem",
            "AccessDeniedException",
            ci,
            f"User: {ci} is not authorized to perform: dynamodb:GetItem on resource: {table} with an "
            f"explicit deny in an identity-based policy: arn:aws:iam::{account}:policy/deny-prod-data",
            "dynamodb:GetItem",
            table,
            "explicit",
            "identity",
        ),
        (
            "implicit-resource",
            "kms.amazonaws.com",
            "Decrypt",
            "AccessDeniedException",
            who,
            f"User: {who} is not authorized to perform: kms:Decrypt on resource: {key} because no "
            "resource-based policy allows the kms:Decrypt action",
            "kms:Decrypt",
            key,
            "implicit",
            "resource",
        ),
        (
            "implicit-boundary",
            "sns.amazonaws.com",
            "Publish",
            "AuthorizationError",
            ci,
            f"User: {ci} is not authorized to perform: SNS:Publish on resource: {topic} because no "
            "permissions boundary allows the SNS:Publish action",
            "sns:Publish",
            topic,
            "implicit",
            "permissions_boundary",
        ),
        (
            "implicit-session",
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            "AccessDeniedException",
            ci,
            f"User: {ci} is not authorized to perform: secretsmanager:GetSecretValue on resource: {sec} "
            "because no session policy allows the secretsmanager:GetSecretValue action",
            "secretsmanager:GetSecretValue",
            sec,
            "implicit",
            "session",
        ),
        (
            "explicit-vpce",
            "s3.amazonaws.com",
            "PutObject",
            "AccessDenied",
            who,
            f"User: {who} is not authorized to perform: s3:PutObject on resource: "
            "arn:aws:s3:::data-lake/out/x.json with an explicit deny in a VPC endpoint policy",
            "s3:PutObject",
            "arn:aws:s3:::data-lake/out/x.json",
            "explicit",
            "vpc_endpoint",
        ),
        (
            "explicit-rcp",
            "s3.amazonaws.com",
            "GetObject",
            "AccessDenied",
            ci,
            f"User: {ci} is not authorized to perform: s3:GetObject on resource: "
            "arn:aws:s3:::data-lake/raw/secret.csv with an explicit deny in a resource control policy",
            "s3:GetObject",
            "arn:aws:s3:::data-lake/raw/secret.csv",
            "explicit",
            "rcp",
        ),
        (
            "s3-bare",
            "s3.amazonaws.com",
            "GetObject",
            "AccessDenied",
            who,
            "Access Denied",
            "s3:GetObject",
            None,
            "unknown",
            None,
        ),
        (
            "ec2-unauthorized",
            "ec2.amazonaws.com",
            "RunInstances",
            "Client.UnauthorizedOperation",
            ci,
            "You are not authorized to perform this operation.",
            "ec2:RunInstances",
            None,
            "unknown",
            None,
        ),
        (
            "no-message",
            "lambda.amazonaws.com",
            "GetFunction20150331v2",
            "AccessDenied",
            who,
            None,
            "lambda:GetFunction",
            None,
            "unknown",
            None,
        ),
        (
            "encoded",
            "ec2.amazonaws.com",
            "StartInstances",
            "Client.UnauthorizedOperation",
            who,
            f"You are not authorized to perform this operation. User: {who} is not authorized to "
            f"perform: ec2:StartInstances on resource: arn:aws:ec2:{region}:{account}:instance/i-0abc "
            "because no identity-based policy allows the ec2:StartInstances action. Encoded "
            "authorization failure message: "
            + "".join(rnd.choices(string.ascii_letters + string.digits + "-_", k=160)),
            "ec2:StartInstances",
            f"arn:aws:ec2:{region}:{account}:instance/i-0abc",
            "implicit",
            "identity",
        ),
        (
            "truncated-policy-arn",
            "s3.amazonaws.com",
            "GetObject",
            "AccessDenied",
            who,
            (
                f"User: {who} is not authorized to perform: s3:GetObject on resource: {longkey} "
                f"with an explicit deny in an identity-based policy: arn:aws:iam::{account}:policy/"
                + "/".join(["guardrails"] * 40)
                + "/deny-raw"
            )[:1000],
            "s3:GetObject",
            longkey,
            "explicit",
            "identity",
        ),
        (
            "truncated-resource",
            "s3.amazonaws.com",
            "GetObject",
            "AccessDenied",
            ci,
            (
                f"User: {ci} is not authorized to perform: s3:GetObject on resource: {cutkey} "
                "because no identity-based policy allows the s3:GetObject action"
            )[:1000],
            "s3:GetObject",
            None,
            "unknown",
            None,
        ),
    ]
    out = []
    for (
        family,
        source,
        name,
        code,
        principal,
        message,
        action,
        resource,
        decision,
        ptype,
    ) in base:
        out.append(
            {
                "family": family,
                "source": source,
                "name": name,
                "code": code,
                "principal": principal,
                "message": message,
                "action": action,
                "resource": resource,
                "decision": decision,
                "policy_type": ptype,
            }
        )
    return out


def _record(
    rnd: random.Random,
    account: str,
    region: str,
    when: dt.datetime,
    role: str,
    call: tuple[str, str, dict[str, Any] | None],
    error: tuple[str, str | None] | None,
) -> dict[str, Any]:
    source, name, params = call
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(account, role),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}",
        "userAgent": rnd.choice(
            (
                "aws-cli/2.15.0 Python/3.11.6",
                "Boto3/1.34.0 md/Botocore#1.34.0",
                "aws-sdk-go-v2/1.24.0",
                "terraform-provider-aws/5.31.0",
            )
        ),
        "requestParameters": params,
        "responseElements": None if error else {"ok": True},
        "requestID": str(uuid.UUID(int=rnd.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rnd.getrandbits(128))),
        "readOnly": name.startswith(("Get", "Describe", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
        },
    }
    if source == "s3.amazonaws.com":
        rec["resources"] = [
            {
                "type": "AWS::S3::Object",
                "ARN": "arn:aws:s3:::data-lake/raw/part-0001.parquet",
            }
        ]
    if error:
        rec["errorCode"] = error[0]
        if error[1] is not None:
            rec["errorMessage"] = error[1]
    return rec


def log_file(root: Path, account: str, region: str, stamp: str) -> Path:
    """Where CloudTrail delivers a log file at `stamp` (`20261130T1015Z`) under `root`.

    `root/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<name>.json.gz`; the
    day directory is created.
    """
    day = root / "AWSLogs" / account / "CloudTrail" / region
    day = day / stamp[:4] / stamp[4:6] / stamp[6:8]
    day.mkdir(parents=True, exist_ok=True)
    return day / f"{account}_CloudTrail_{region}_{stamp}_abcdefABCDEF0123.json.gz"


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        json.dump({"Records": records}, fh, separators=(",", ":"))


def generate(
    root: Path,
    *,
    days: int = 3,
    files_per_day: int = 40,
    records_per_file: int = 12,
    seed: int = 19,
) -> list[Planted]:
    """Write the trail under `root`; return every planted denial."""
    rnd = random.Random(seed)
    planted: list[Planted] = []
    trails = [(root / "AWSLogs" / ORG / a, a) for a in ORG_ACCOUNTS]
    trails.append((root / "AWSLogs" / PLAIN_ACCOUNT, PLAIN_ACCOUNT))
    roles = ("app-role", "ci-deployer", "etl", "readonly", "admin")
    for base, account in trails:
        for region in REGIONS:
            specs = _denial_specs(account, region, rnd)
            for day in range(days):
                d0 = START + dt.timedelta(days=day)
                for i in range(files_per_day):
                    delivered = d0 + dt.timedelta(
                        minutes=(i * 1440) // files_per_day + 5
                    )
                    records: list[dict[str, Any]] = []
                    for _ in range(records_per_file):
                        when = delivered - dt.timedelta(seconds=rnd.randrange(60, 300))
                        roll = rnd.random()
                        error = rnd.choice(_OTHER_ERRORS) if roll < 0.08 else None
                        records.append(
                            _record(
                                rnd,
                                account,
                                region,
                                when,
                                rnd.choice(roles),
                                rnd.choice(_CALLS),
                                error,
                            )
                        )
                    # Plant: family k appears in files where i % (k + 3) == 0 (distinct counts).
                    for k, spec in enumerate(specs):
                        if i % (k + 3) != day % (k + 3):
                            continue
                        when = delivered - dt.timedelta(seconds=rnd.randrange(10, 59))
                        name = spec["principal"].split("/")[1]
                        rec = _record(
                            rnd,
                            account,
                            region,
                            when,
                            name,
                            (spec["source"], spec["name"], {"x": 1}),
                            (spec["code"], spec["message"]),
                        )
                        records.insert(rnd.randrange(len(records) + 1), rec)
                        planted.append(
                            Planted(
                                rec["eventID"],
                                account,
                                region,
                                rec["eventTime"],
                                spec["principal"],
                                spec["action"],
                                spec["resource"],
                                spec["decision"],
                                spec["policy_type"],
                                spec["family"],
                                truncated=spec["family"].startswith("truncated"),
                            )
                        )
                    stamp = delivered.strftime("%Y%m%dT%H%MZ")
                    unique = "".join(
                        rnd.choices(string.ascii_letters + string.digits, k=16)
                    )
                    path = (
                        base
                        / "CloudTrail"
                        / region
                        / delivered.strftime("%Y/%m/%d")
                        / f"{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
                    )
                    _write(path, records)
        # Digest files are not CloudTrail records: the layout walk must skip them.
        digest = base / "CloudTrail-Digest" / REGIONS[0] / START.strftime("%Y/%m/%d")
        digest.mkdir(parents=True, exist_ok=True)
        (digest / f"{account}_CloudTrail-Digest_{REGIONS[0]}_x.json.gz").write_bytes(
            b"not gzip"
        )
    return planted
