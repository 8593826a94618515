"""Condition operators, one module per family, and the Condition-block evaluator.

Rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html):
several operators, and several keys under one operator, are ANDed; several values for one key
are ORed (for negated operators: the request value must match none of them). A missing key
makes a positive operator false and a negated operator true; `...IfExists` makes a missing
key true. `ForAnyValue:` is false and `ForAllValues:` is true for a missing or empty key
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
An unknown operator never matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from accessdenied.evaluate.conditions import (
    arn,
    binary,
    boolean,
    date,
    ip,
    null,
    numeric,
)
from accessdenied.evaluate.conditions import string as string_ops
from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import Unresolved
from accessdenied.evaluate.request import ContextValue

REGISTRY: dict[str, Operator] = {}
for _family in (string_ops, numeric, date, boolean, binary, ip, arn, null):
    REGISTRY.update(_family.OPERATORS)
_BY_LOWER = {name.lower(): op for name, op in REGISTRY.items()}

SetMode = Literal["any", "all"] | None


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    """An operator name split into set prefix, base operator and IfExists."""

    name: str
    base: Operator | None
    set_mode: SetMode
    if_exists: bool


def parse_operator(name: str) -> ParsedOperator:
    """Split `ForAnyValue:StringLikeIfExists` into its parts (base None if unknown)."""
    rest = name
    set_mode: SetMode = None
    lower = rest.lower()
    if lower.startswith("foranyvalue:"):
        set_mode, rest = "any", rest[len("ForAnyValue:") :]
    elif lower.startswith("forallvalues:"):
        set_mode, rest = "all", rest[len("ForAllValues:") :]
    if_exists = False
    base = _BY_LOWER.get(rest.lower())
    if base is None and rest.lower().endswith("ifexists"):
        base = _BY_LOWER.get(rest[: -len("IfExists")].lower())
        if_exists = base is not None
    if base is not None and base.presence and if_exists:
        base = None  # NullIfExists is not an operator.
    return ParsedOperator(name, base, set_mode, if_exists)


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def _policy_values(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    return [s for s in (_scalar(v) for v in values) if s is not None]


def _hits(
    op: Operator,
    actual: str,
    expected: list[str],
    variables: Mapping[str, ContextValue] | None,
) -> bool:
    """The operator's verdict for one request value (negation applied)."""
    hit = False
    for e in expected:
        try:
            if op.compare(actual, e, variables):
                hit = True
                break
        except Unresolved:
            # An unresolvable variable never matches, in either direction: a negated
            # operator cannot be satisfied by it (the statement "might be invalid",
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
            if op.negated:
                return False
            continue
    return not hit if op.negated else hit


def evaluate_key(
    parsed: ParsedOperator,
    actual: ContextValue | None,
    expected: list[str],
    variables: Mapping[str, ContextValue] | None,
) -> bool:
    """One key under one operator."""
    op = parsed.base
    assert op is not None
    if op.presence:
        # Null: an empty list is still a present key.
        wanted = {v.lower() for v in expected}
        missing = actual is None
        return ("true" in wanted and missing) or ("false" in wanted and not missing)
    if parsed.set_mode is not None:
        values: tuple[str, ...] = (
            () if actual is None else actual if isinstance(actual, tuple) else (actual,)
        )
        if not values:
            # A missing key or an empty set: ForAnyValue is false, ForAllValues is true,
            # with or without IfExists (AWS answers so in practice:
            # https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w/foranyvalue-stringequalsifexists-behaving-unexpectedly).
            return parsed.set_mode == "all"
        if parsed.set_mode == "any":
            return any(_hits(op, v, expected, variables) for v in values)
        return all(_hits(op, v, expected, variables) for v in values)
    if actual is None:
        return parsed.if_exists or op.negated
    if isinstance(actual, tuple):
        # A single-valued operator on a multivalued key: the request value is a set,
        # not a string, so it matches nothing; use ForAnyValue:/ForAllValues: (docs
        # above). Same as the oracle (README known difference 6).
        return False
    return _hits(op, actual, expected, variables)


def evaluate_conditions(
    block: Any,
    ctx: Mapping[str, ContextValue],
    variables: bool,
) -> tuple[bool, str | None]:
    """Whether a Condition block holds for the context; on failure, why not."""
    if block is None:
        return True, None
    if not isinstance(block, Mapping):
        return False, "Condition is not an object"
    var_ctx = ctx if variables else None
    for op_name, keys in block.items():
        parsed = parse_operator(str(op_name))
        if parsed.base is None:
            return False, f"unknown condition operator {op_name!r} never matches"
        if not isinstance(keys, Mapping):
            return False, f"{op_name}: expected an object of condition keys"
        for key, raw in keys.items():
            expected = _policy_values(raw)
            actual = ctx.get(str(key).lower())
            if not evaluate_key(parsed, actual, expected, var_ctx):
                shown = "missing" if actual is None else repr(actual)
                return False, f"{op_name} {key} not satisfied (request value {shown})"
    return True, None
