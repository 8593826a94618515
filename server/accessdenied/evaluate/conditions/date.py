"""Date operators: DateEquals, DateNotEquals, DateLessThan[Equals], DateGreaterThan[Equals].

Values are ISO 8601 dates/times (W3C profile) or epoch seconds; times without a zone are UTC.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import substitute
from accessdenied.evaluate.request import ContextValue

Vars = Mapping[str, ContextValue] | None
_EPOCH_RE = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date/time or an epoch number, else None."""
    t = text.strip()
    if not t:
        return None
    # A bare 4-digit number is a year in ISO 8601, not an epoch second.
    if _EPOCH_RE.match(t) and len(t) != 4:
        return float(t)
    iso = t
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        for fmt in ("%Y", "%Y-%m"):
            try:
                dt = datetime.strptime(t, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _date(test: Callable[[float, float], bool]) -> Callable[[str, str, Vars], bool]:
    def compare(actual: str, expected: str, variables: Vars) -> bool:
        if variables is not None:
            expected = substitute(expected, variables)
        a, e = parse_date(actual), parse_date(expected)
        return a is not None and e is not None and test(a, e)

    return compare


_EQ = _date(lambda a, e: a == e)

OPERATORS = {
    op.name: op
    for op in (
        Operator("DateEquals", _EQ),
        Operator("DateNotEquals", _EQ, negated=True),
        Operator("DateLessThan", _date(lambda a, e: a < e)),
        Operator("DateLessThanEquals", _date(lambda a, e: a <= e)),
        Operator("DateGreaterThan", _date(lambda a, e: a > e)),
        Operator("DateGreaterThanEquals", _date(lambda a, e: a >= e)),
    )
}
