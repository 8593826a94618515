"""The BinaryEquals operator: base64 values compared byte for byte.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_BinaryEquals
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.request import ContextValue


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_equals(
    actual: str, expected: str, variables: Mapping[str, ContextValue] | None
) -> bool:
    a, e = _decode(actual), _decode(expected)
    if a is None or e is None:
        return actual == expected
    return a == e


OPERATORS = {"BinaryEquals": Operator("BinaryEquals", _binary_equals)}
