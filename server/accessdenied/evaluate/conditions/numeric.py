"""Numeric operators: NumericEquals, NumericNotEquals, NumericLessThan[Equals], NumericGreaterThan[Equals].

Values must be numbers (integers or decimals); a value that is not a number never matches.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import substitute
from accessdenied.evaluate.request import ContextValue

Vars = Mapping[str, ContextValue] | None
_NUMBER_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def parse_number(text: str) -> Decimal | None:
    """A strict decimal number, or None."""
    if not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def _numeric(
    test: Callable[[Decimal, Decimal], bool],
) -> Callable[[str, str, Vars], bool]:
    def compare(actual: str, expected: str, variables: Vars) -> bool:
        if variables is not None:
            expected = substitute(expected, variables)
        a, e = parse_number(actual), parse_number(expected)
        return a is not None and e is not None and test(a, e)

    return compare


_EQ = _numeric(lambda a, e: a == e)

OPERATORS = {
    op.name: op
    for op in (
        Operator("NumericEquals", _EQ),
        Operator("NumericNotEquals", _EQ, negated=True),
        Operator("NumericLessThan", _numeric(lambda a, e: a < e)),
        Operator("NumericLessThanEquals", _numeric(lambda a, e: a <= e)),
        Operator("NumericGreaterThan", _numeric(lambda a, e: a > e)),
        Operator("NumericGreaterThanEquals", _numeric(lambda a, e: a >= e)),
    )
}
