"""Enrichment of a detection from its envelope, and final naming through the catalog.

Envelopes: botocore, Go/Java SDK wrappers, SDK class names.
"""

from __future__ import annotations

import bisect
import re

from accessdenied.denials import grammars as g
from accessdenied.denials.draft import Draft, line_bounds, upper_camel
from accessdenied.denials.lookup import (
    action_for_operation,
    canonical_action,
    service_from_hint,
)

_ENVELOPES: dict[str, re.Pattern[str]] = {
    "botocore": g.BOTOCORE,
    "go_v2": g.GO_V2,
    "java_old": g.JAVA_V1_OLD,
    "code": g.CODE_PREFIX,
}


class WindowIndex:
    """Envelope matches and context-word positions of one window, found once (linear)."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self._env: dict[str, tuple[list[int], list[re.Match[str]]]] = {}
        self._aws: list[int] | None = None
        self._neg: list[int] | None = None

    def before(self, name: str, start: int, reach: int) -> re.Match[str] | None:
        """The `name` envelope ending right before `start` (only blanks between)."""
        if name not in self._env:
            ms = list(_ENVELOPES[name].finditer(self.norm))
            self._env[name] = ([m.end() for m in ms], ms)
        ends, ms = self._env[name]
        i = bisect.bisect_right(ends, start) - 1
        while i >= 0:
            m = ms[i]
            if m.start() < start - reach:
                return None
            if not self.norm[m.end() : start].strip(" \t\n:"):
                return m
            if m.end() < start - 2:
                return None
            i -= 1
        return None

    @staticmethod
    def _any(positions: list[int], lo: int, hi: int) -> bool:
        i = bisect.bisect_left(positions, lo)
        return i < len(positions) and positions[i] < hi

    def aws_near(self, lo: int, hi: int) -> bool:
        if self._aws is None:
            self._aws = [m.start() for m in g.AWS_CONTEXT.finditer(self.norm)]
        return self._any(self._aws, lo, hi)

    def negative_near(self, lo: int, hi: int) -> bool:
        if self._neg is None:
            self._neg = [m.start() for m in g.NEGATIVE_CONTEXT.finditer(self.norm)]
        return self._any(self._neg, lo, hi)


def enrich(d: Draft, norm: str, ix: WindowIndex) -> None:
    m = ix.before("botocore", d.start, 700)
    if m:
        d.error_code = d.error_code or m.group("code")
        d.operation = d.operation or m.group("operation")
    else:
        m2 = ix.before("go_v2", d.start, 700)
        if m2:
            d.operation = d.operation or m2.group("operation")
            d.service_hint = d.service_hint or m2.group("service")
            d.request_id = d.request_id or (m2.group("request_id") or None)
            d.error_code = d.error_code or m2.group("code")
        m3 = ix.before("java_old", d.start, 700)
        if m3:
            d.service_hint = d.service_hint or m3.group("service")
            d.request_id = d.request_id or m3.group("request_id")
            d.error_code = d.error_code or m3.group("code")
    if d.error_code is None:
        m4 = ix.before("code", d.start, 200)
        if m4:
            d.error_code = m4.group("code")
    if d.service_hint is None:
        ls, _ = line_bounds(norm, d.start, d.start)
        classes = list(g.SERVICE_CLASS.finditer(norm, ls, d.start))
        cls = classes[-1] if classes else None
        if cls is not None:
            d.service_hint = next(v for v in cls.groups() if v)
    if d.operation is None:
        ls, _ = line_bounds(norm, d.start, d.start)
        m5 = g.CDK_CALL.search(norm, ls, d.start)
        if m5:
            d.operation = upper_camel(m5.group("operation"))
    sfx = g.JAVA_SUFFIX.match(norm, d.end, d.end + 400)
    if sfx:
        d.service_hint = d.service_hint or sfx.group("service")
        d.request_id = d.request_id or sfx.group("request_id") or None
        d.error_code = d.error_code or sfx.group("code")
    else:
        sfx2 = g.GO_V1_SUFFIX.match(norm, d.end, d.end + 400)
        if sfx2:
            d.request_id = d.request_id or sfx2.group("request_id") or None
            if sfx2.group("host") and d.service is None:
                d.service_hint = d.service_hint or "s3"
    if d.family == "efs" and d.service_hint:
        d.service_hint = None  # "Service:Efs" is already reflected in service
    if d.request_id is not None and d.request_id in ("...", ""):
        d.request_id = None


def finish(d: Draft) -> None:
    """Action, service and canonical names from what the text carries plus the catalog."""
    if d.action:
        d.action = canonical_action(d.action)
    d.extra_actions = tuple(canonical_action(a) for a in d.extra_actions if ":" in a)
    if d.operation:
        d.operation = upper_camel(d.operation)
    hint_service = service_from_hint(d.service_hint)
    if d.service is None and not d.action:
        if hint_service:
            d.service = hint_service
        elif d.error_code and "UnauthorizedOperation" in d.error_code:
            d.service = "ec2"
    if d.action is None and d.operation:
        derived = action_for_operation(d.operation, d.service or hint_service)
        if derived:
            d.action = derived
            d.action_origin = "operation"
            d.notes.append(f"action {derived} derived from the {d.operation} operation")
    if d.action:
        d.service = d.action.split(":", 1)[0]
    elif d.service is None and d.operation and hint_service:
        d.service = hint_service
