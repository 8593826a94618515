"""Placeholder: filled in as its core lands."""

from __future__ import annotations

from accessdenied.lsp.server import AccessDeniedServer


def register(server: AccessDeniedServer) -> None:
    """Nothing registered yet."""
