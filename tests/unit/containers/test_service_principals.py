"""Service principals: SNS delivery failures fixed in the queue policy, pinned to the topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accessdenied.denials import scan_text
from accessdenied.evaluate import Request, evaluate
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    cfn_lint,
    copy_workspace,
    fix_write,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

QUEUE = "arn:aws:sqs:us-east-1:111122223333:orders-queue"
TOPIC = "arn:aws:sns:us-east-1:111122223333:orders-events"
OTHER_TOPIC = "arn:aws:sns:us-east-1:444455556666:anything"


def _decide(root: Path, source: str | None) -> str:
    index = build_index(root)
    ps = index.policy_set_for("sns.amazonaws.com", QUEUE, "sqs:SendMessage")
    ctx = {"aws:SourceArn": source} if source else {}
    return evaluate(
        Request("sns.amazonaws.com", "sqs:SendMessage", QUEUE, context=ctx), ps
    ).decision


def _queue_policy(root: Path) -> Any:
    index = build_index(root)
    [ref] = index.resource_policies_for(QUEUE)
    return index.document(ref)


def _oracle(harness: Oracle, doc: Any, source: str | None) -> str:
    ctx = {"aws:SourceArn": source} if source else {}
    answer = harness.ask(
        {
            "request": {
                "principal": "sns.amazonaws.com",
                "action": "sqs:SendMessage",
                "resource": {"arn": QUEUE, "accountId": "111122223333"},
                "context": ctx,
            },
            "resourcePolicy": doc,
            "engine": "raw",
        }
    )
    assert answer["normalized"] != "error", answer
    return str(answer["normalized"])


def test_sns_delivery_failure_record_is_a_resource_policy_denial() -> None:
    text = (
        Path(__file__).parents[2]
        / "workspaces/cfn-sns-sqs/logs/sns-delivery-failure.log"
    ).read_text()
    [d] = scan_text(text)
    assert (d.principal, d.action, d.resource, d.policy_type) == (
        "sns.amazonaws.com",
        "sqs:SendMessage",
        QUEUE,
        "resource",
    )
    assert f"Source ARN: {TOPIC}" in d.text


def test_queue_policy_admits_sns_only_for_the_template_topic(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-sns-sqs", tmp_path)
    assert _decide(root, TOPIC) == "implicit_deny"
    out = fix_write(
        root, "logs/sns-delivery-failure.log", 1, "template.yaml", capsys, monkeypatch
    )
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "          - Sid: AllowSqsSendMessage\n"
        "            Effect: Allow\n"
        "            Principal:\n"
        "              Service: sns.amazonaws.com\n"
        "            Action: sqs:SendMessage\n"
        "            Resource: !GetAtt OrdersQueue.Arn\n"
        "            Condition:\n"
        "              ArnEquals:\n"
        "                aws:SourceArn: !Ref OrdersTopic\n"
    )
    assert cfn_lint(root / "template.yaml") == []
    # The topic of the template is admitted; any other topic, or no source, is not.
    assert _decide(root, TOPIC) == "allowed"
    assert _decide(root, OTHER_TOPIC) == "implicit_deny"
    assert _decide(root, None) == "implicit_deny"
    doc = _queue_policy(root)
    assert _oracle(oracle, doc, TOPIC) == "allowed"
    assert _oracle(oracle, doc, OTHER_TOPIC) != "allowed"
    assert _oracle(oracle, doc, None) != "allowed"


EVENTS_DLQ = """Message attributes of a message in the rule's dead-letter queue:
RULE_ARN: arn:aws:events:us-east-1:111122223333:rule/orders-nightly
TARGET_ARN: arn:aws:lambda:us-east-1:111122223333:function:orders-report
ERROR_CODE: NO_PERMISSIONS
ERROR_MESSAGE: Access denied to invoke the target
"""


def test_eventbridge_dead_letter_attributes_are_a_lambda_denial() -> None:
    [d] = scan_text(EVENTS_DLQ)
    assert (d.principal, d.action, d.resource) == (
        "events.amazonaws.com",
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:111122223333:function:orders-report",
    )
    assert "rule/orders-nightly" in d.text
