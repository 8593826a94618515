"""ARN operators: ArnEquals, ArnLike, ArnNotEquals, ArnNotLike.

Case-sensitive; each of the six colon-delimited components is matched separately and each may
hold `*` and `?` (ArnEquals and ArnLike behave the same).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
"""

from __future__ import annotations

from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import like_regex
from accessdenied.evaluate.request import ContextValue


def _arn_like(
    actual: str, expected: str, variables: Mapping[str, ContextValue] | None
) -> bool:
    a_parts = actual.split(":", 5)
    e_parts = expected.split(":", 5)
    if len(a_parts) != 6 or len(e_parts) != 6:
        return False
    return all(
        like_regex(e, variables).fullmatch(a) is not None
        for a, e in zip(a_parts, e_parts, strict=True)
    )


OPERATORS = {
    op.name: op
    for op in (
        Operator("ArnEquals", _arn_like),
        Operator("ArnLike", _arn_like),
        Operator("ArnNotEquals", _arn_like, negated=True),
        Operator("ArnNotLike", _arn_like, negated=True),
    )
}
