"""`scan_text(text) -> list[Denial]`: find AWS access denials in arbitrary text.

Pipeline: a literal prefilter finds hits; windows of a few KB around the hits are normalized
(`normalize.py`); the family detectors (`families.py`, grammars in `grammars.py`) run only
there; overlapping drafts are resolved by priority, look-alikes (other clouds, source code)
dropped, each draft enriched from its envelope (`enrich.py`) and CloudTrail record, and
mapped back to an exact span in the original text.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Any

from accessdenied.denials import grammars as g
from accessdenied.denials.cloudtrail import merge_cloudtrail
from accessdenied.denials.draft import Draft, line_bounds
from accessdenied.denials.enrich import WindowIndex, enrich, finish
from accessdenied.denials.families import detect
from accessdenied.denials.model import Denial
from accessdenied.denials.normalize import Normalized, normalize
from accessdenied.denials.redact import redact
from accessdenied.text import LineIndex

# Context kept on either side of a prefilter hit.
WINDOW_CONTEXT = 4000


# Texts up to this size are normalized whole (one window).
SMALL_TEXT = 64_000


def _claim(drafts: list[Draft]) -> list[Draft]:
    """Drop drafts overlapping an earlier (higher-priority) one."""
    starts: list[int] = []
    kept: list[Draft] = []  # sorted by start, pairwise disjoint
    for d in drafts:
        if d.end <= d.start:
            continue
        i = bisect.bisect_left(starts, d.end)
        if i > 0 and kept[i - 1].end > d.start:
            continue
        starts.insert(i, d.start)
        kept.insert(i, d)
    return kept


# How far an error's printed props can follow its message line (stack frames between).
_JS_DUMP = 4000


def _scan_normalized(norm: str, joins: tuple[int, ...] = ()) -> list[Draft]:
    ix = WindowIndex(norm)
    kept = _claim(detect(norm, joins, ix))
    # An envelope whose message continues on the next line belongs to that message.
    filtered: list[Draft] = []
    for i, d in enumerate(kept):
        nxt = kept[i + 1] if i + 1 < len(kept) else None
        if (
            d.family == "js-props"
            and filtered
            and d.start - filtered[-1].end < _JS_DUMP
        ):
            # util.inspect props printed after the error line and its stack: the same
            # error, already reported; they only add its request id.
            filtered[-1].request_id = filtered[-1].request_id or d.request_id
            continue
        if (
            d.family == "envelope"
            and nxt is not None
            and not norm[d.end : nxt.start].strip()
        ):
            continue
        filtered.append(d)
    out: list[Draft] = []
    for d in filtered:
        if _negative(d, ix):
            continue
        enrich(d, norm, ix)
        out.append(d)
    out = merge_cloudtrail(norm, out)
    for d in out:
        finish(d)
    out.sort(key=lambda d: d.start)
    return out


# Every family but the IAM sentence (which checks its own line) and decoded messages.
_CODE_SENSITIVE = frozenset(
    {
        "s3-bare",
        "forbidden",
        "envelope",
        "java",
        "kotlin",
        "ec2",
        "sqs",
        "s3-disabled",
        "js-bodiless",
        "js-props",
        "go-v1-empty",
        "go-v2",
        "kms",
        "logs-kms",
        "ct-trust",
        "efs",
        "efs-csi",
        "apigw",
        "makecall",
        "bedrock",
    }
)


def _negative(d: Draft, ix: WindowIndex) -> bool:
    """Other clouds and systems, or source code: the same words, not an AWS denial."""
    if d.family == "forbidden" and not ix.aws_near(d.start - 1500, d.end + 1500):
        return True  # a bare "Forbidden: Forbidden" from some other HTTP client
    if d.family in _CODE_SENSITIVE:
        ls, le = line_bounds(ix.norm, d.start, d.end)
        if g.is_code_line(ix.norm, ls, le):
            return True
    span = 300 if d.family in ("iam", "ec2+iam") and d.action and d.principal else 1500
    return ix.negative_near(d.start - span, d.end + span)


def _prefilter_hits(text: str, confirm: bool) -> list[int]:
    """Literal hits; with `confirm`, only those a STRONG pattern confirms nearby."""
    hits: list[int] = []
    strong = g.STRONG_TEXT.search
    for lit in g.PREFILTER_LITERALS:
        i = text.find(lit)
        while i != -1:
            if confirm and not strong(text, max(0, i - 160), i + len(lit) + 160):
                i = text.find(lit, i + len(lit))
                continue
            hits.append(i)
            if not confirm and len(text) <= SMALL_TEXT:
                break  # one hit is enough: a small text is normalized whole
            i = text.find(lit, i + WINDOW_CONTEXT)
    hits.sort()
    return hits


def _windows(text: str) -> list[tuple[int, int]]:
    # A pasted snippet is parsed whole on any literal (recall first: wraps inside words);
    # in a large text only confirmed hits open a window, as in the file scanner.
    small = len(text) <= SMALL_TEXT
    hits = _prefilter_hits(text, confirm=not small)
    if not hits:
        return []
    if small:
        return [(0, len(text))]
    wins: list[tuple[int, int]] = []
    for h in hits:
        s = text.rfind("\n", 0, max(0, h - WINDOW_CONTEXT)) + 1
        e = text.find("\n", min(len(text), h + WINDOW_CONTEXT))
        e = len(text) if e == -1 else e
        if wins and s <= wins[-1][1]:
            wins[-1] = (wins[-1][0], max(wins[-1][1], e))
        else:
            wins.append((s, e))
    return wins


def _to_denial(
    d: Draft, nz: Normalized, base: int, text: str, index: LineIndex
) -> Denial:
    s = base + nz.orig_start(d.start)
    e = base + nz.orig_end(d.end)
    # Trim whitespace the normalizer folded into the ends.
    while e > s and text[e - 1] in " \t\r\n":
        e -= 1
    while s < e and text[s] in " \t\r\n":
        s += 1
    return Denial(
        span=index.span(s, e),
        text=redact(text[s:e]),
        principal=d.principal,
        action=d.action,
        resource=d.resource,
        decision=d.decision,
        policy_type=d.policy_type,
        policy_arn=d.policy_arn,
        service=d.service,
        operation=d.operation,
        encoded_message=d.encoded_message,
        encoded_blob=d.encoded_blob,
        request_id=d.request_id,
        error_code=d.error_code,
        extra_actions=d.extra_actions,
        source=d.source,
        action_origin=d.action_origin,
        notes=tuple(d.notes),
    )


def scan_text(text: str, index: LineIndex | None = None) -> list[Denial]:
    """Every AWS access denial in `text`, in order; spans relative to `text`."""
    from accessdenied.denials.delivery import scan_delivery

    delivered = scan_delivery(text, index)
    wins = _windows(text)
    if not wins:
        return delivered
    index = index or LineIndex(text)
    found: list[Denial] = []
    for ws, we in wins:
        nz = normalize(text[ws:we])
        for d in _scan_normalized(nz.text, nz.joins):
            found.append(_to_denial(d, nz, ws, text, index))
    if delivered:
        # Delivery failures (no IAM sentence) merged in text order.
        # A message inside a delivery record (its provider response) is that record.
        found = [
            d
            for d in found
            if not any(
                x.span.start <= d.span.start and d.span.end <= x.span.end
                for x in delivered
            )
        ]
        found += delivered
        found.sort(key=lambda d: d.span.start)
    return found


def with_span(denial: Denial, **changes: Any) -> Denial:
    """A copy of `denial` with fields replaced (a frozen-dataclass helper for callers)."""
    return replace(denial, **changes)
