"""A generated trail shared by the trail tests (written once per module run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.trail import TrailFilter, TrailResult, run_local
from tests.unit.trail.trailgen import Planted, generate


@pytest.fixture(scope="session")
def big_trail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planted]]:
    """~2,200 log files, ~30,000 events, ~4,000 planted denials of 14 families."""
    root = tmp_path_factory.mktemp("trail")
    return root, generate(root, days=3, files_per_day=80, records_per_file=12)


@pytest.fixture
def small_trail(tmp_path: Path) -> tuple[Path, list[Planted]]:
    """A few files per day: for filter and error tests."""
    return tmp_path, generate(tmp_path, days=3, files_per_day=4, records_per_file=5)


@pytest.fixture(scope="session")
def big_result(big_trail: tuple[Path, list[Planted]]) -> TrailResult:
    """One DuckDB run over the whole generated trail (shared: it is the slow part)."""
    return run_local(big_trail[0], TrailFilter(), count_events=True)
