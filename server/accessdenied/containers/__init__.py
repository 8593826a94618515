"""Containers: the file formats policy documents live in, and how to edit them there.

See `containers.base` for the protocol and `containers.registry` for the built-in
containers. The three lookups below import the registry on first use, so importing this
package (or `containers.base`) does not load every container format.
"""

from __future__ import annotations

from pathlib import Path

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


def container_for(embed: str) -> Container | None:
    """The container that edits documents embedded as `embed` (None: none can)."""
    from accessdenied.containers import registry

    return registry.container_for(embed)


def editable_kinds() -> tuple[str, ...]:
    """Every embed kind some container can edit."""
    from accessdenied.containers import registry

    return registry.editable_kinds()


def locate(path: Path, text: str) -> list[Binding]:
    """Every binding some locator finds in one file (never raises for bad input)."""
    from accessdenied.containers import registry

    return registry.locate(path, text)
