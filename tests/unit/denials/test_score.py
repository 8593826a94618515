"""The recognition scorer used by the conformance tests and bench_scan."""

from __future__ import annotations

from accessdenied.denials.score import score_row

TEXT = (
    "User: arn:aws:iam::1:user/x is not authorized to perform: SNS:Publish on resource: "
    "arn:aws:sns:us-east-1:1:t with an explicit deny in a service control policy"
)


def test_score_row_fields_accept_and_case() -> None:
    row = {
        "id": "r",
        "text": TEXT,
        "expect": {
            "action": "SNS:Publish",
            "decision": "explicit",
            "policy_type": "rcp",
        },
        "accept": {"policy_type": ["scp"]},
    }
    assert score_row(row).ok
    row["accept"] = {}
    res = score_row(row)
    assert not res.ok
    assert res.wrong == {"policy_type": ("scp", "rcp")}


def test_score_row_negatives_require_and_bar() -> None:
    assert score_row({"id": "n", "text": "all good", "expect": None}).ok
    assert not score_row({"id": "n", "text": TEXT, "expect": None}).ok
    miss = {"id": "m", "text": "nothing here", "expect": {"action": "s3:GetObject"}}
    assert not score_row(miss).ok
    assert score_row({**miss, "require": False}).ok
    assert not score_row({**miss, "bar": False}).scored


def test_score_row_matches_any_denial_of_the_text() -> None:
    text = TEXT + "\n" + TEXT.replace("SNS:Publish", "sqs:SendMessage")
    row = {"id": "two", "text": text, "expect": {"action": "sqs:SendMessage"}}
    assert score_row(row).ok
