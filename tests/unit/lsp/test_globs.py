"""lsp/globs.py: LSP glob matching for log include/exclude settings."""

from __future__ import annotations

import pytest

from accessdenied.lsp.globs import matches


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("app.log", "**/*.log", True),
        ("a/b/app.log", "**/*.log", True),
        ("logs/x/y.txt", "logs/**/*.txt", True),
        ("src/logs.txt", "logs/**/*.txt", False),
        ("a/node_modules/b/c.log", "**/node_modules/**", True),
        ("run.out", "**/*.{log,out}", True),
        ("run.txt", "**/*.{log,out}", False),
        ("a/b.log", "*.log", False),
        ("x1.log", "x?.log", True),
        ("xa.log", "x[0-9].log", False),
    ],
)
def test_globs_match(path: str, pattern: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected
