"""The Bool operator: `true`/`false`, compared without regard to case.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
"""

from __future__ import annotations

from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import substitute
from accessdenied.evaluate.request import ContextValue

_BOOLS = ("true", "false")


def _bool(
    actual: str, expected: str, variables: Mapping[str, ContextValue] | None
) -> bool:
    if variables is not None:
        expected = substitute(expected, variables)
    a, e = actual.lower(), expected.lower()
    return a in _BOOLS and a == e


OPERATORS = {"Bool": Operator("Bool", _bool)}
