"""Query rows -> denials through the scanner: truncated and absent messages, Lake times."""

from __future__ import annotations

from accessdenied.trail import TrailRow, row_to_denial
from accessdenied.trail.records import normalize_time

WHO = "arn:aws:sts::111122223333:assumed-role/app-role/dev"


def _row(**kw: str | None) -> TrailRow:
    base: dict[str, str | None] = {
        "event_time": "2026-11-30 10:00:00.000",
        "event_id": "e1",
        "event_source": "s3.amazonaws.com",
        "event_name": "GetObject",
        "aws_region": "us-east-1",
        "account": "111122223333",
        "principal_arn": WHO,
        "issuer_arn": None,
        "error_code": "AccessDenied",
        "error_message": "Access Denied",
        "source_ip": "10.0.0.1",
        "user_agent": "aws-cli/2.15.0",
        "request_id": "R1",
    }
    base.update(kw)
    return TrailRow(**base)


def test_trail_record_without_message_uses_event_name() -> None:
    td = row_to_denial(
        _row(
            error_message=None,
            event_source="lambda.amazonaws.com",
            event_name="GetFunction20150331v2",
        )
    )
    assert td is not None
    assert td.denial.action == "lambda:GetFunction"
    assert td.denial.principal == WHO
    assert any("no errorMessage" in n for n in td.denial.notes)
    assert td.row.event_time == "2026-11-30T10:00:00Z"


def test_trail_record_truncated_message_is_flagged() -> None:
    key = "arn:aws:s3:::bucket/" + "k" * 500
    message = (
        f"User: {WHO} is not authorized to perform: s3:GetObject on resource: {key} with an "
        "explicit deny in an identity-based policy: arn:aws:iam::111122223333:policy/"
        + "p"
        * 600
    )[:1000]
    td = row_to_denial(_row(error_message=message))
    assert td is not None
    assert td.truncated
    assert (td.denial.action, td.denial.resource, td.denial.decision) == (
        "s3:GetObject",
        key,
        "explicit",
    )
    assert any("1 KB" in n for n in td.denial.notes)
    assert td.to_json()["truncated_message"] is True


def test_trail_record_not_a_denial_is_dropped() -> None:
    assert (
        row_to_denial(
            _row(error_code="ThrottlingException", error_message="Rate exceeded")
        )
        is None
    )


def test_trail_record_request_id_comes_from_the_event() -> None:
    td = row_to_denial(_row(request_id="REQ-42"))
    assert td is not None
    assert td.denial.request_id == "REQ-42"


def test_trail_normalize_time() -> None:
    assert normalize_time("2026-11-30T10:00:00Z") == "2026-11-30T10:00:00Z"
    assert normalize_time("2026-11-30 10:00:00.000") == "2026-11-30T10:00:00Z"
    assert normalize_time("2026-11-30T12:00:00+02:00") == "2026-11-30T10:00:00Z"
    assert normalize_time("garbage") == "garbage"
    assert normalize_time(None) is None
