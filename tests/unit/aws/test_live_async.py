"""LiveMode's own bounds: the per-call timeout and the hover time budget (fake account)."""

from __future__ import annotations

import threading
from typing import Any

from accessdenied.aws import LiveConfig, PrincipalPolicies
from accessdenied.lsp.live import LiveMode

ROLE = "arn:aws:iam::111122223333:role/app-role"


class SlowAccount:
    """Stands in for LiveAccount: blocks until released, like a hung network read."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls = 0

    def principal_policies(self, arn: str) -> PrincipalPolicies:
        self.calls += 1
        self.started.set()
        self.release.wait(10)
        return PrincipalPolicies(arn, arn, "role")


async def test_call_timeout_becomes_a_finding() -> None:
    slow = SlowAccount()
    live = LiveMode(LiveConfig(enabled=True, call_timeout=0.05), slow)
    try:
        result = await live.principal_policies(ROLE)
    finally:
        slow.release.set()
    assert result.value is None
    assert [f.code for f in result.findings] == ["live-timeout"]
    assert "timed out after 0.05s" in result.messages()[0]


def test_hover_returns_within_budget_and_shows_result_later() -> None:
    slow = SlowAccount()
    live = LiveMode(LiveConfig(enabled=True), slow)
    first = live.hover_markdown(ROLE, budget=0.05)
    assert "hover again" in first
    # A second hover while the first lookup runs does not start another one.
    assert slow.started.wait(10)
    assert "hover again" in live.hover_markdown(ROLE, budget=0.01)
    assert slow.calls == 1
    slow.release.set()
    later = live.hover_markdown(ROLE, budget=5)
    assert "deployed identity policies: none" in later


def test_hover_renders_findings_escaped() -> None:
    class Denied:
        def principal_policies(self, arn: str) -> PrincipalPolicies:
            from accessdenied.aws import LiveFinding

            return PrincipalPolicies(
                arn,
                None,
                "role",
                findings=(
                    LiveFinding(
                        "live-access-denied",
                        "warning",
                        "live mode could not read role app_role: iam:GetRole denied",
                    ),
                ),
            )

    live = LiveMode(LiveConfig(enabled=True), Denied())
    text: Any = live.hover_markdown(ROLE, budget=5)
    assert "app\\_role: iam:GetRole denied" in text
