"""The container abstraction: where a policy document lives in a file and how to edit it.

A *container* is a file format that embeds policy documents (standalone JSON,
CloudFormation JSON/YAML, SAM, Serverless, Terraform, CDK, ...). Each one is registered
under the embed kinds it handles (the `PolicyRef.embed` / `Binding.embed` string) and
implements one method, `plan_grant(text, site, grant) -> Plan`: the minimal text edits,
in the file's own style, that add `grant` to the document at `site`, plus that document
*as evaluated* (references resolved to literals) before and after the edit, so the
verifier never has to parse the container itself. A container that cannot edit a
document raises `NotEditable` (explained to the user, nothing written) or `EditError`
(the file is bad input: it does not parse).

Registering: each container module calls `register(kinds, container)` (and
`register_locator(name, locator)`) when imported; `containers.registry` imports the
built-in modules explicitly and answers the lookups below over everything registered.

Locating documents: `locate(path, text)` runs every registered locator and returns the
`Binding`s ("this document, at this span, is the identity/trust/resource/KMS policy of
that principal or resource"); the workspace index calls it for every candidate file.

References: a `Reference` says that a literal ARN the verifier evaluates is, in this
file, the resource `logical` (attribute `Arn`, or its `Ref`), optionally followed by a
literal suffix (`/*`). Containers render it in their own syntax (`!GetAtt Orders.Arn`,
`{"Fn::GetAtt": ["Orders", "Arn"]}`, `aws_dynamodb_table.orders.arn`); the grant keeps
the literal for evaluation.

    from accessdenied.containers import container_for
    plan = container_for(ref.embed).plan_grant(text, site, grant)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Span2 = tuple[int, int]

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
    "TextEdit",
    "register",
    "register_locator",
    "registered_containers",
    "registered_locators",
    "wildcard_match",
]


@dataclass(frozen=True, slots=True, order=True)
class TextEdit:
    """Replace `text[start:end]` with `new_text` (offsets into the file text)."""

    start: int
    end: int
    new_text: str


class EditError(ValueError):
    """The document cannot be edited safely (syntax errors, unexpected shape)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """One policy document bound to a principal or resource by a container."""

    kind: str  # identity | trust | resource | kms | boundary | managed
    target: str  # principal or resource ARN pattern (IAM wildcards)
    logical: str  # logical id / terraform address
    document: Mapping[str, Any] | None  # as evaluated: references resolved
    span: Span2 | None  # offsets of the document in `file`
    file: Path  # the file holding the document (a file() reference points elsewhere)
    origin: str  # cloudformation | sam | serverless | terraform | cdk
    embed: str  # json | cfn-json | cfn-yaml | terraform-heredoc | ... (the container)
    confidence: str  # inferred | guess
    reason: str
    #: Why the document cannot be edited automatically (None: it can).
    not_editable: str | None = None
    #: Literal ARN patterns of resources of the same file -> how to reference them.
    references: tuple[Reference, ...] = ()
    #: A customer managed policy ARN (pattern) attached here whose document lives
    #: elsewhere: the workspace index looks it up among its `managed` bindings.
    attached: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A resource of the same file, known to the verifier by its literal ARN pattern."""

    #: The ARN pattern the resource evaluates to (`*` where only the deploy knows).
    literal: str
    #: Logical id (CloudFormation) or address (Terraform) of the resource.
    logical: str
    #: The attribute that yields the ARN (`Arn`), or None when `Ref` does.
    attribute: str | None = "Arn"
    #: Literal text after the ARN (`/*` for the objects of a bucket).
    suffix: str = ""

    def matches(self, arn: str) -> bool:
        """Whether a concrete ARN is this resource (plus suffix).

        A `*` stands for one ARN segment (region, account, generated name: no `/`
        or `:`), except a final `/*` or `:*` (objects, log streams).
        """
        pattern = self.literal + self.suffix
        tail = ""
        if pattern.endswith(("/*", ":*")):
            pattern, tail = pattern[:-1], ".*"
        rx = "".join(
            "[^/:]*" if c == "*" else "[^/:]" if c == "?" else re.escape(c)
            for c in pattern
        )
        return re.fullmatch(rx + tail, arn, re.DOTALL) is not None

    def with_suffix(self, suffix: str) -> Reference:
        """The same resource followed by `suffix`."""
        return Reference(self.literal, self.logical, self.attribute, suffix)


@dataclass(frozen=True, slots=True)
class Site:
    """Which document of a file to edit."""

    embed: str
    kind: str  # identity | trust | resource | kms | boundary | session | scp | rcp
    span: Span2 | None = None  # offsets of the document; None: the whole file
    logical: str | None = None
    references: tuple[Reference, ...] = ()
    #: Values the resolver uses for pseudo parameters (account, region, partition).
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Grant:
    """What to allow: exactly these actions on this resource (for this principal)."""

    kind: str
    actions: tuple[str, ...]
    resource: str
    principal: str | None
    sid: str | None = None
    #: Condition block to add (e.g. aws:SourceArn for a service principal).
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Edits that grant, and the document as evaluated before and after them."""

    edits: tuple[TextEdit, ...]
    fix_kind: str  # insert-statement | extend-statement
    statement: Mapping[str, Any]  # the new (or extended) statement, literal values
    how: str  # human explanation: where the statement went
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    #: JSON text of the documents for the checks (None: checks skipped).
    check_before: str | None = None
    check_after: str | None = None


class NotEditable(EditError):
    """The document is fine but this container cannot edit it (explained, not bad input)."""


def wildcard_match(pattern: str, value: str) -> bool:
    """IAM-style wildcard match (`*`, `?`), case-sensitive."""
    rx = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.fullmatch(rx, value, re.DOTALL) is not None


class Container(Protocol):
    """A file format holding policy documents."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """Edits adding `grant` to the document at `site` (NotEditable / EditError)."""
        ...


Locator = Callable[[Path, str], Iterable[Binding]]

_CONTAINERS: dict[str, Container] = {}
_LOCATORS: list[tuple[str, Locator]] = []


def register(kinds: Iterable[str], container: Container) -> None:
    """Register `container` for embed kinds (a later registration replaces one)."""
    for kind in kinds:
        _CONTAINERS[kind] = container


def register_locator(name: str, locator: Locator) -> None:
    """Register a function finding bindings in a file (`name` replaces a previous one)."""
    for i, (n, _) in enumerate(_LOCATORS):
        if n == name:
            _LOCATORS[i] = (name, locator)
            return
    _LOCATORS.append((name, locator))


def registered_containers() -> Mapping[str, Container]:
    """The containers registered so far, by embed kind (see `containers.registry`)."""
    return _CONTAINERS


def registered_locators() -> tuple[Locator, ...]:
    """The locators registered so far, in registration order."""
    return tuple(locator for _, locator in _LOCATORS)
