"""Differential test: our evaluator against the iam-simulate oracle on random policies.

Thousands of random requests and policy sets (identity, resource, SCP, RCP, boundary,
session, VPC endpoint policies, conditions, variables, wildcards) go to one long-lived
oracle process (raw engine) and to `accessdenied.evaluate`. Every disagreement must be one
of the oracle's documented errors (tests/oracle/known_errors.py, each with its AWS doc URL);
errors 2, 9 and 13 are proven by undoing the oracle's mistake in the input.

Runs in CI (`make test` installs the oracle); skips locally when Node or the oracle is missing.
"""

from __future__ import annotations

import collections
import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.oracle.known_errors import KNOWN_ERRORS, decide, explain
from tests.oracle.oracle import Oracle, oracle_missing_reason
from tests.oracle.strategies import A, scenarios
from tests.paths import IN_CI

pytestmark = pytest.mark.oracle

DISAGREEMENTS: collections.Counter[tuple[int, ...]] = collections.Counter()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    reason = oracle_missing_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"the oracle must run in CI: {reason}")
        pytest.skip(reason)
    process = Oracle()
    yield process
    process.close()


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenarios())
def test_differential_agrees_with_oracle_except_documented_errors(
    oracle: Oracle, case: dict[str, Any]
) -> None:
    answer = oracle.ask(case)
    assert answer["normalized"] != "error", f"oracle rejected input: {answer['detail']}"
    mine = decide(case)
    if mine == answer["normalized"]:
        return
    errors = explain(case, answer["normalized"])
    assert errors is not None, (
        f"undocumented disagreement: ours {mine}, oracle {answer['normalized']}\n"
        f"{json.dumps(case)}\noracle detail: {json.dumps(answer['detail'])}"
    )
    assert all(e in KNOWN_ERRORS for e in errors)
    DISAGREEMENTS[errors] += 1


# Action -> a resource of the type the validated engine expects for it.
VALIDATED_PAIRS = {
    "s3:GetObject": "arn:aws:s3:::corp-bucket/reports/q1.csv",
    "s3:ListBucket": "arn:aws:s3:::corp-bucket",
    "sqs:SendMessage": f"arn:aws:sqs:us-east-1:{A}:jobs",
    "dynamodb:GetItem": f"arn:aws:dynamodb:us-east-1:{A}:table/orders",
}


@pytest.fixture(scope="module")
def catalog() -> Any:
    return importlib.import_module("accessdenied.catalog").load_catalog()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenarios())
def test_differential_validated_engine_with_catalog_context(
    oracle: Oracle, catalog: Any, case: dict[str, Any]
) -> None:
    # The default ("validated") engine: context keys that do not apply to the action are
    # dropped and list/single values reshaped from the catalog; `--scenarios` does the same.
    action = case["request"]["action"]
    if action not in VALIDATED_PAIRS:
        action = "s3:GetObject"
    case["engine"] = "validated"
    case["request"]["action"] = action
    case["request"]["resource"] = {"arn": VALIDATED_PAIRS[action], "accountId": A}
    answer = oracle.ask(case)
    if answer["normalized"] == "error":
        return  # the validated engine rejects some random policies (grammar checks)
    mine = decide(case, catalog)
    if mine == answer["normalized"]:
        return
    errors = explain(case, answer["normalized"], catalog)
    assert errors is not None, (
        f"undocumented disagreement: ours {mine}, oracle {answer['normalized']}\n"
        f"{json.dumps(case)}\noracle detail: {json.dumps(answer['detail'])}"
    )


def _user_case(**policies: Any) -> dict[str, Any]:
    return {
        "id": "known",
        "engine": "raw",
        "request": {
            "principal": f"arn:aws:iam::{A}:user/alice",
            "action": "s3:GetObject",
            "resource": {
                "arn": "arn:aws:s3:::corp-bucket/home/alice/a.txt",
                "accountId": A,
            },
            "context": {"aws:username": "alice"},
        },
        **policies,
    }


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}

# One hand-made input per known error: the oracle really answers differently, and we give
# the documented AWS answer.
KNOWN_ERROR_EXAMPLES: dict[int, tuple[dict[str, Any], str]] = {
    1: (
        {
            "id": "known-1",
            "engine": "raw",
            "request": {
                "principal": f"arn:aws:sts::{A}:assumed-role/app-role/dev",
                "action": "s3:GetObject",
                "resource": {"arn": "arn:aws:s3:::corp-bucket/a.txt", "accountId": A},
                "context": {},
            },
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [ALLOW_ALL]}],
            "sessionPolicy": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
            },
            "resourcePolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": f"arn:aws:sts::{A}:assumed-role/app-role/dev"
                        },
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::corp-bucket/*",
                    }
                ],
            },
        },
        "allowed",
    ),
    2: (
        _user_case(
            identityPolicies=[
                {
                    "Version": "2008-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::corp-bucket/home/${aws:username}/*",
                        }
                    ],
                }
            ]
        ),
        "implicit_deny",
    ),
    3: (
        {
            "id": "known-3",
            "engine": "raw",
            "request": {
                "principal": f"arn:aws:iam::{A}:user/alice",
                "action": "sqs:SendMessage",
                "resource": {"arn": f"arn:aws:sqs:us-east-1:{A}:jobs", "accountId": A},
                "context": {},
            },
            "identityPolicies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sqs:SendMessage",
                            "Resource": "arn:aws:sqs:*:jobs",
                        }
                    ],
                }
            ],
        },
        "allowed",
    ),
    4: (
        _user_case(
            identityPolicies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "*",
                            "Resource": "arn:AWS:S3:::corp-bucket/*",
                        }
                    ],
                }
            ]
        ),
        "implicit_deny",
    ),
    7: (
        {
            "id": "known-7",
            "engine": "raw",
            "request": {
                "principal": f"arn:aws:iam::{A}:user/alice",
                "action": "s3:GetObject",
                "resource": {"arn": "arn:aws:s3:::corp-bucket/a.txt", "accountId": A},
                "context": {"aws:MultiFactorAuthAge": "300abc"},
            },
            "identityPolicies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {
                                "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}
                            },
                        }
                    ],
                }
            ],
        },
        "implicit_deny",
    ),
    9: (
        {
            "id": "known-9",
            "engine": "raw",
            "request": {
                "principal": f"arn:aws:iam::{A}:user/alice",
                "action": "sts:AssumeRole",
                "resource": {"arn": f"arn:aws:iam::{A}:role/app-role", "accountId": A},
                "context": {},
            },
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [ALLOW_ALL]}],
        },
        "implicit_deny",
    ),
    13: (
        _user_case(
            identityPolicies=[{"Version": "2012-10-17", "Statement": [ALLOW_ALL]}],
            vpcEndpointPolicies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{A}:user/bob"},
                            "Action": "*",
                            "Resource": "*",
                        }
                    ],
                }
            ],
        ),
        "implicit_deny",
    ),
}


def test_every_known_error_has_an_example_and_a_doc_url() -> None:
    assert set(KNOWN_ERROR_EXAMPLES) == set(KNOWN_ERRORS)
    for text, url in KNOWN_ERRORS.values():
        assert text
        assert url.startswith("https://docs.aws.amazon.com/")


@pytest.mark.parametrize("number", sorted(KNOWN_ERROR_EXAMPLES))
def test_known_error_is_real_and_we_follow_aws(oracle: Oracle, number: int) -> None:
    case, aws_expected = KNOWN_ERROR_EXAMPLES[number]
    assert decide(case) == aws_expected, KNOWN_ERRORS[number][1]
    answer = oracle.ask(case)
    assert answer["normalized"] != aws_expected, "the oracle no longer has this error"
    assert explain(case, answer["normalized"]) is not None
