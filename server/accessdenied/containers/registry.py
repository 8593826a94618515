"""The built-in containers, imported by name, and the lookups over every registered one.

Importing a container module registers it (`base.register` / `base.register_locator`);
this module imports each built-in one explicitly, so a lookup here always sees them all.
`containers.base` stays import-light: importing every container costs about 0.35 s, which
`import accessdenied.containers` does not pay until the first lookup.

The import order below is the registration order, and so the order `locate` runs the
locators in (cloudformation, serverless, terraform, cdk): keep it.
"""

from __future__ import annotations

from pathlib import Path

# isort: off
from accessdenied.containers import cloudformation
from accessdenied.containers import cfnyaml
from accessdenied.containers import lambdaperm
from accessdenied.containers import sam
from accessdenied.containers import samjson
from accessdenied.containers import serverless
from accessdenied.containers import jsontext
from accessdenied.containers import terraform
from accessdenied.containers import cdk

# isort: on
from accessdenied.containers.base import (
    Binding,
    Container,
    registered_containers,
    registered_locators,
)

__all__ = ["BUILTIN", "container_for", "editable_kinds", "locate"]

BUILTIN = (
    cloudformation,
    cfnyaml,
    lambdaperm,
    sam,
    samjson,
    serverless,
    jsontext,
    terraform,
    cdk,
)


def container_for(embed: str) -> Container | None:
    """The container that edits documents embedded as `embed` (None: none can)."""
    return registered_containers().get(embed)


def editable_kinds() -> tuple[str, ...]:
    """Every embed kind some container can edit."""
    return tuple(sorted(registered_containers()))


def locate(path: Path, text: str) -> list[Binding]:
    """Every binding some locator finds in one file (never raises for bad input)."""
    out: list[Binding] = []
    for locator in registered_locators():
        out.extend(locator(path, text))
    return out
