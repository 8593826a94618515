"""The catalog's public value types (all frozen, shared between threads)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


@functools.lru_cache(maxsize=64)
def normalise_access_level(raw: str) -> tuple[str, tuple[str, ...]]:
    """("Tagging, Write") -> ("Tagging", ("Tagging", "Write")): the specific level first.

    Since 2026-07 the Service Authorization Reference combines levels; the classic single
    level is the non-Write part ("Tagging", "Permissions management").
    """
    parts = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not parts:
        return "", ()
    if len(parts) == 1:
        return parts[0], parts
    specific = [p for p in parts if p != "Write"]
    return (specific[0] if specific else parts[0]), parts


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
# Placeholders that never hold "/" even when they are the last one in the format.
_SIMPLE_LAST = frozenset({"BucketName", "Partition", "Region", "Account", "AccountId"})


@functools.lru_cache(maxsize=8192)
def arn_format_regex(arn_format: str) -> re.Pattern[str]:
    """An anchored regex for an ARN format such as `arn:${Partition}:s3:::${BucketName}`.

    A `${...}` placeholder matches one non-empty segment: up to the next ":" when a ":"
    follows it, up to the next "/" or ":" when a "/" follows it. The last placeholder (at
    the end of the format) may contain "/" and ":" (role paths, qualified function ARNs),
    except for names that never do (`${BucketName}`).
    """
    out: list[str] = []
    pos = 0
    matches = list(_PLACEHOLDER.finditer(arn_format))
    for m in matches:
        out.append(re.escape(arn_format[pos : m.start()]))
        name = m.group(0)[2:-1]
        nxt = arn_format[m.end() : m.end() + 1]
        if m.end() == len(arn_format):
            out.append("[^/:]+" if name in _SIMPLE_LAST else ".+")
        elif nxt == ":":
            out.append("[^:]*" if name in ("Region", "Account") else "[^:]+")
        else:
            out.append("[^/:]+")
        pos = m.end()
    out.append(re.escape(arn_format[pos:]))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@functools.lru_cache(maxsize=8192)
def _literal_segments(arn_format: str) -> tuple[str, ...]:
    """The literal text between placeholders, longest first.

    Each must occur in a matching ARN: a cheap test that spares compiling and running
    the regex of most formats a given ARN cannot match.
    """
    segs = {seg for seg in _PLACEHOLDER.split(arn_format) if seg}
    return tuple(sorted(segs, key=len, reverse=True))


def arn_format_specificity(arn_format: str) -> int:
    """How much literal text a format pins down (more = more specific)."""
    return len(_PLACEHOLDER.sub("", arn_format))


@dataclass(frozen=True, slots=True)
class ConditionKey:
    """A condition key: `name` as AWS spells it, its type and description."""

    name: str
    type: str
    description: str = ""
    service: str = ""
    is_global: bool = False

    @property
    def is_multivalued(self) -> bool:
        """Whether the key holds a set of values (needs ForAnyValue/ForAllValues)."""
        return self.type.startswith("ArrayOf")


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type of a service with its ARN format(s)."""

    service: str
    name: str
    arn_formats: tuple[str, ...]
    condition_keys: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """`s3:object` style name."""
        return f"{self.service}:{self.name}"

    def matches(self, arn: str) -> bool:
        """Whether `arn` has the shape of one of this type's ARN formats."""
        return any(
            all(seg in arn for seg in _literal_segments(f))
            and arn_format_regex(f).match(arn)
            for f in self.arn_formats
        )

    @property
    def specificity(self) -> int:
        """Literal characters of the most specific ARN format (ranking of matches)."""
        return max((arn_format_specificity(f) for f in self.arn_formats), default=0)


@dataclass(frozen=True, slots=True)
class ActionResource:
    """One resource type an action can be used with."""

    resource_type: ResourceType
    required: bool
    condition_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """An IAM action (`s3:GetObject`)."""

    service: str
    name: str
    full_name: str
    description: str
    access_level: str
    resources: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...] = ()
    # Every level the reference lists ("Tagging", "Write"); `access_level` is the
    # classic single one.
    access_levels: tuple[str, ...] = ()

    @property
    def supports_resource_level(self) -> bool:
        """False when the action lists no resource types (only `"Resource": "*"` works)."""
        return bool(self.resources)

    @property
    def arn_templates(self) -> tuple[str, ...]:
        """ARN formats of the action's resource types, best first.

        Required types come first; access-point and similar alias types (which also
        grant through the underlying resource) come after the plain ones.
        """
        ordered = sorted(
            self.resources,
            key=lambda r: (not r.required, "accesspoint" in r.resource_type.name),
        )
        out: list[str] = []
        for r in ordered:
            for f in r.resource_type.arn_formats:
                if f not in out:
                    out.append(f)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Service:
    """A service by IAM prefix with its actions, resource types and condition keys."""

    prefix: str
    name: str
    actions: tuple[Action, ...]
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[ConditionKey, ...]
    _by_lower: dict[str, Action] = field(
        default_factory=dict, repr=False, compare=False
    )

    def action(self, name: str) -> Action | None:
        """The action named `name` (without prefix), case-insensitive."""
        return self._by_lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """Where the catalog came from and how big it is."""

    source: str
    data_date: str
    services: int
    actions: int
    resource_types: int
    condition_keys: int
    path: str
    dependent_actions_source: str = ""
    dependent_actions_date: str = ""
    dependent_actions_label: str = ""
    origin: str = "bundled"  # "bundled" | "cache" (from `accessdenied catalog update`)
    operations: int = 0
