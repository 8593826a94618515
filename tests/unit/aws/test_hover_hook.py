"""The hover module's live hook reaches lsp/live.py and degrades to a plain message."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from accessdenied.lsp import hover
from accessdenied.lsp.settings import Settings

ROLE = "arn:aws:iam::111122223333:role/app-role"


def test_hover_live_section_without_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    settings = Settings()
    settings.aws.live_mode = True
    text = hover.live_section(SimpleNamespace(settings=settings), ROLE)  # type: ignore[arg-type]
    assert "boto3" in text
    assert "accessdenied-lsp[live]" in text
