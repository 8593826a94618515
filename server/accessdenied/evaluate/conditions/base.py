"""The shape every condition operator family shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from accessdenied.evaluate.request import ContextValue

#: `compare(request_value, policy_value, variables)`: the operator's positive test for one
#: pair of values. `variables` is the request context when policy variables apply
#: (Version 2012-10-17), else None. May raise `matching.Unresolved`.
Compare = Callable[[str, str, Mapping[str, ContextValue] | None], bool]


@dataclass(frozen=True, slots=True)
class Operator:
    """A base condition operator (without ForAnyValue:/ForAllValues:/IfExists)."""

    name: str
    compare: Compare
    #: Negated operators (StringNotEquals, NotIpAddress, ...) hold when the request value
    #: matches none of the policy values, and hold when the key is missing.
    negated: bool = False
    #: Null tests the key's presence, not its value.
    presence: bool = False
