"""cfn-lint's IAM fixtures (converted in ../shared/peers/cfn/, rows in cfn.tsv).

Every policy-grammar defect cfn-lint reports must be flagged on its lines, and the line
ranges cfn-lint and its tests consider valid must carry no error finding. The floor
below only ever rises; the rows still missed are listed in the failure message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.policy.checks import check_text
from accessdenied.policy.model import Finding
from tests.paths import SHARED
from tests.peers.cfn_suite import load_rows, score

PEERS = SHARED / "peers"
FLAGGED_FLOOR = 94
# The one error left on a valid range is deliberate: u-trust-valid.yaml line 34 is a
# role trust policy with Principal "*" and no Condition, which cfn-lint accepts and
# IAM Access Analyzer reports ("Role trust policy unsupported wildcard in principal").
FALSE_ERRORS_CEILING = 1


def _run(path: Path) -> list[Finding]:
    return check_text(path.read_text(encoding="utf-8"), path=str(path))


@pytest.mark.skipif(not (PEERS / "cfn.tsv").is_file(), reason="no shared peers")
def test_cfn_lint_fixtures_flagged_without_false_errors() -> None:
    rows = load_rows(PEERS / "cfn.tsv")
    result = score(PEERS / "cfn", rows, _run)
    assert result.defects >= 90
    missed = [f"{r.file}:{sorted(r.lines or ())[:3]} {r.what}" for r in result.missed]
    false = [
        f"{r.file}:{f.span.start_line} {f.code} {f.message}"
        for r, f in result.false_errors
    ]
    assert result.flagged >= FLAGGED_FLOOR, missed
    assert len(result.false_errors) <= FALSE_ERRORS_CEILING, false


@pytest.mark.skipif(not (PEERS / "cfn").is_dir(), reason="no shared peers")
def test_cfn_lint_fixture_findings_in_range() -> None:
    for path in sorted((PEERS / "cfn").iterdir()):
        text = path.read_text(encoding="utf-8")
        for f in check_text(text, path=str(path)):
            assert 0 <= f.span.start <= f.span.end <= len(text), (path.name, f)
