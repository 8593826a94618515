"""String operators: StringEquals, StringNotEquals, their IgnoreCase forms, StringLike, StringNotLike.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
"""

from __future__ import annotations

from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import like_regex, substitute
from accessdenied.evaluate.request import ContextValue

Vars = Mapping[str, ContextValue] | None


def _equals(actual: str, expected: str, variables: Vars) -> bool:
    if variables is not None:
        expected = substitute(expected, variables)
    return actual == expected


def _equals_ignore_case(actual: str, expected: str, variables: Vars) -> bool:
    if variables is not None:
        expected = substitute(expected, variables)
    return actual.casefold() == expected.casefold()


def _like(actual: str, expected: str, variables: Vars) -> bool:
    # Variable values are literal text; only the policy's own `*`/`?` are wildcards.
    return like_regex(expected, variables).fullmatch(actual) is not None


OPERATORS = {
    op.name: op
    for op in (
        Operator("StringEquals", _equals),
        Operator("StringNotEquals", _equals, negated=True),
        Operator("StringEqualsIgnoreCase", _equals_ignore_case),
        Operator("StringNotEqualsIgnoreCase", _equals_ignore_case, negated=True),
        Operator("StringLike", _like),
        Operator("StringNotLike", _like, negated=True),
    )
}
