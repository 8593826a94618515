"""Delivery-failure recognition stays linear on one-line records (CloudTrail files)."""

from __future__ import annotations

import time

from accessdenied.denials.delivery import scan_delivery

_RECORD = (
    '{"notification": {"topicArn": "arn:aws:sns:us-east-1:111122223333:orders"}, '
    '"delivery": {"destination": "arn:aws:sqs:us-east-1:111122223333:q", '
    '"providerResponse": "AccessDenied", "statusCode": 403}, "status": "FAILURE"}'
)


def test_delivery_record_found_once_per_line() -> None:
    text = "2026-11-30 12:00:00 " + _RECORD + "\n" + _RECORD + "\n"
    found = scan_delivery(text)
    assert [d.resource for d in found] == ["arn:aws:sqs:us-east-1:111122223333:q"] * 2
    assert found[0].text.endswith(
        "Source ARN: arn:aws:sns:us-east-1:111122223333:orders"
    )
    assert found[0].span.start_line == 1
    assert found[1].span.start_line == 2


def test_delivery_success_is_no_denial() -> None:
    ok = _RECORD.replace("AccessDenied", "OK").replace("403", "200")
    assert scan_delivery(ok.replace('"FAILURE"', '"SUCCESS"')) == []


def test_delivery_scan_linear_on_one_long_line() -> None:
    """A 400 KB single line full of braces and topic ARNs without a failure (the
    shape of a CloudTrail file with SNS events) is read in one pass."""
    unit = '{"eventName": "Publish", "requestParameters": {"topicArn": "arn:aws:sns:us-east-1:111122223333:t"}}, '
    line = unit * (400_000 // len(unit))
    events = "\n".join(["NO_PERMISSIONS RULE_ARN=x"] * 20_000)
    start = time.process_time()
    assert scan_delivery(line) == []
    assert scan_delivery(events) == []
    assert time.process_time() - start < 2.0
