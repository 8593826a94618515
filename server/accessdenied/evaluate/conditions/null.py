"""The Null operator: `true` holds when the key is absent, `false` when it is present.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
"""

from __future__ import annotations

from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.request import ContextValue


def _unused(
    actual: str, expected: str, variables: Mapping[str, ContextValue] | None
) -> bool:
    return False


OPERATORS = {"Null": Operator("Null", _unused, presence=True)}
