"""pytest-lsp fixtures shared by the language-server suites."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here talks to a server subprocess: mark it `lsp`."""
    for item in items:
        if "tests/lsp/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.lsp)
