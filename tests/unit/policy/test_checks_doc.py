"""docs/checks.md is generated from the registry and stays in step with it."""

from __future__ import annotations

from accessdenied.policy.checks import CHECKS
from accessdenied.policy.checks.reference import (
    AWS_CHECKS,
    NON_CHECK_CODES,
    render_markdown,
)
from tests.paths import REPO


def test_committed_checks_doc_is_up_to_date() -> None:
    committed = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "run: python scripts/gen_checks_doc.py"


def test_every_code_has_an_access_analyzer_mapping() -> None:
    codes = set(CHECKS) | set(NON_CHECK_CODES)
    assert codes == set(AWS_CHECKS)


def test_every_code_is_in_the_doc_table() -> None:
    doc = render_markdown()
    for code in set(CHECKS) | set(NON_CHECK_CODES):
        assert f"| `{code}` |" in doc
