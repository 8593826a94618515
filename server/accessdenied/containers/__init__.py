"""Containers: the file formats policy documents live in, and how to edit them there.

See `containers.base` for the protocol; each format registers itself on import.
"""

from __future__ import annotations

from accessdenied.containers.base import (
    Binding,
    Container,
    EditError,
    Grant,
    NotEditable,
    Plan,
    Reference,
    Site,
    Span2,
    container_for,
    editable_kinds,
    locate,
    register,
    register_locator,
    wildcard_match,
)

__all__ = [
    "Binding",
    "Container",
    "EditError",
    "Grant",
    "NotEditable",
    "Plan",
    "Reference",
    "Site",
    "Span2",
    "container_for",
    "editable_kinds",
    "locate",
    "register",
    "register_locator",
    "wildcard_match",
]
