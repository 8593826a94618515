"""Semantic diff of deployed vs workspace policy documents (pure; no boto3).

Statements are flattened into grants (effect, action, resource, principal, condition);
Sids, statement order, splitting/merging of statements, action case and string-vs-list
spellings do not count as differences, and a grant covered by a wildcard on the other side
(`s3:Get*` covers `s3:GetObject`) is not reported.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from accessdenied.aws.model import StatementDiff


@dataclass(frozen=True, slots=True)
class Grant:
    """One flattened (effect, action, resource) triple of a statement."""

    effect: str
    action: str  # lower-cased for comparison; "!" prefix marks NotAction
    resource: str  # "!" prefix marks NotResource
    principal: str  # canonical JSON ("" when absent)
    condition: str  # canonical JSON ("" when absent)
    shown_action: str


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _canon_principal(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return json.dumps({"*": [value]})
    if isinstance(value, Mapping):
        return json.dumps(
            {str(k): sorted(_strings(v)) for k, v in value.items()}, sort_keys=True
        )
    return json.dumps(value, sort_keys=True, default=str)


def _canon_condition(value: Any) -> str:
    if not isinstance(value, Mapping) or not value:
        return ""
    out: dict[str, dict[str, list[str]]] = {}
    for op, body in value.items():
        if not isinstance(body, Mapping):
            continue
        # Condition keys are case-insensitive; values are compared as strings.
        out[str(op)] = {
            str(k).lower(): sorted(_scalar(v) for v in _values(vals))
            for k, vals in body.items()
        }
    return json.dumps(out, sort_keys=True)


def _scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    st = document.get("Statement")
    if isinstance(st, Mapping):
        return [st]
    if isinstance(st, list):
        return [s for s in st if isinstance(s, Mapping)]
    return []


def grants(document: Mapping[str, Any]) -> list[Grant]:
    """Every grant of every statement of `document`."""
    out: list[Grant] = []
    for st in _statements(document):
        effect = str(st.get("Effect", "")).capitalize()
        principal = _canon_principal(st.get("Principal"))
        if st.get("NotPrincipal") is not None:
            principal = "!" + _canon_principal(st.get("NotPrincipal"))
        condition = _canon_condition(st.get("Condition"))
        actions = [(a, a) for a in _strings(st.get("Action"))] + [
            ("!" + a, "NotAction " + a) for a in _strings(st.get("NotAction"))
        ]
        resources = _strings(st.get("Resource")) + [
            "!" + r for r in _strings(st.get("NotResource"))
        ]
        if not resources:
            resources = ["*"] if principal == "" else [""]
        for action, shown in actions:
            for resource in resources:
                out.append(
                    Grant(effect, action.lower(), resource, principal, condition, shown)
                )
    return out


@lru_cache(maxsize=4096)
def _pattern(glob: str, case: bool) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(glob), 0 if case else re.IGNORECASE)


def _covers(a: Grant, b: Grant) -> bool:
    """Whether grant `a` (possibly wildcarded) covers grant `b`."""
    if (a.effect, a.principal, a.condition) != (b.effect, b.principal, b.condition):
        return False
    if a.action.startswith("!") or b.action.startswith("!"):
        if a.action != b.action:
            return False
    elif a.action != b.action and not _pattern(a.action, False).fullmatch(b.action):
        return False
    if a.resource == b.resource:
        return True
    if a.resource.startswith("!") or b.resource.startswith("!"):
        return False
    return bool(_pattern(a.resource.replace("?", "[?]"), True).fullmatch(b.resource))


def _key(g: Grant) -> tuple[str, str, str, str, str]:
    return (g.effect, g.action, g.resource, g.principal, g.condition)


def _uncovered(mine: Sequence[Grant], theirs: Sequence[Grant]) -> list[Grant]:
    """Grants of `mine` that no grant of `theirs` equals or covers by wildcard."""
    exact = {_key(t) for t in theirs}
    # Only wildcard grants can cover a grant they are not equal to; index them by the
    # parts that must be equal, so big managed policies stay linear.
    wild: dict[tuple[str, str, str], list[Grant]] = {}
    for t in theirs:
        if any(c in t.action or c in t.resource for c in "*?"):
            wild.setdefault((t.effect, t.principal, t.condition), []).append(t)
    out = []
    for g in mine:
        if _key(g) in exact:
            continue
        candidates = wild.get((g.effect, g.principal, g.condition), ())
        if not any(_covers(t, g) for t in candidates):
            out.append(g)
    return out


def _render(items: Iterable[Grant]) -> tuple[str, ...]:
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for g in items:
        key = (g.effect, g.shown_action, g.principal, g.condition)
        res = grouped.setdefault(key, [])
        if g.resource not in res:
            res.append(g.resource)
    out: list[str] = []
    for (effect, action, principal, condition), resources in grouped.items():
        text = action if effect == "Allow" else f"{effect} {action}"
        shown = [r for r in resources if r not in ("*", "")]
        if shown:
            text += " on " + ", ".join(
                ("NotResource " + r[1:]) if r.startswith("!") else r for r in shown
            )
        if principal:
            text += f" for {principal}"
        if condition:
            text += f" if {condition}"
        if text not in out:
            out.append(text)
    return tuple(out)


def diff_documents(
    deployed: Sequence[Mapping[str, Any]],
    workspace: Sequence[Mapping[str, Any]],
    *,
    principal: str = "",
    files: Sequence[str] = (),
) -> StatementDiff:
    """Grants missing from the account (in the workspace only) and extra in the account."""
    dep = [g for d in deployed for g in grants(d)]
    ws = [g for d in workspace for g in grants(d)]
    return StatementDiff(
        principal=principal,
        files=tuple(files),
        missing=_render(_uncovered(ws, dep)),
        extra=_render(_uncovered(dep, ws)),
    )
