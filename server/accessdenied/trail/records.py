"""Query rows -> `TrailDenial`s through the scanner's own CloudTrail path (`scan_text`).

Each row is written back as a compact CloudTrail record and scanned: the same grammars,
CloudTrail merge and catalog mapping `accessdenied scan` applies to a trail file decide
principal, action, resource, decision and policy type (one parser, never a second one).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any

from accessdenied.denials import scan_text
from accessdenied.denials.model import Denial
from accessdenied.trail.group import group_denials
from accessdenied.trail.model import TrailDenial, TrailResult, TrailRow

#: CloudTrail keeps only the start of a long errorMessage (about 1 KB); a message this
#: long may have lost its reason clause or the end of the resource.
TRUNCATION_LIMIT = 1000


def normalize_time(value: str | None) -> str | None:
    """Event times as ISO 8601 UTC with `Z` (Lake returns `2026-11-30 10:00:00.000`)."""
    if not value:
        return None
    text = value.strip()
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_text(row: TrailRow) -> str:
    """The row as a compact CloudTrail record holding what the scanner reads.

    Only the fields the scanner's CloudTrail path uses are written (identity, event
    source and name, error code and message), so repeated denials (one role hitting
    the same wall all week) are scanned once; event time, ids, region and account are
    carried on the row.
    """
    record: dict[str, object] = {"eventVersion": "1.08"}
    if row.principal_arn:
        record["userIdentity"] = {"arn": row.principal_arn}
    for key, value in (
        ("eventSource", row.event_source),
        ("eventName", row.event_name),
        ("errorCode", row.error_code),
        ("errorMessage", row.error_message),
    ):
        if value is not None:
            record[key] = value
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


@functools.lru_cache(maxsize=8192)
def _scan_record(text: str) -> Denial | None:
    return _pick(scan_text(text))


def _pick(found: list[Denial]) -> Denial | None:
    for d in found:
        if d.source == "cloudtrail":
            return d
    return found[0] if found else None


def row_to_denial(row: TrailRow) -> TrailDenial | None:
    """The denial one row records, or None when the scanner sees no access denial."""
    row = dataclasses.replace(row, event_time=normalize_time(row.event_time))
    denial = _scan_record(record_text(row))
    if denial is None:
        return None
    message = row.error_message or ""
    truncated = len(message) >= TRUNCATION_LIMIT
    notes = list(denial.notes)
    if truncated:
        notes.append(
            f"errorMessage is {len(message)} characters: CloudTrail keeps only about the "
            "first 1 KB, so the reason or the end of the resource may be missing"
        )
    elif not message:
        notes.append("the event has no errorMessage; the denial comes from errorCode")
    denial = dataclasses.replace(
        denial,
        request_id=row.request_id or denial.request_id,
        error_code=denial.error_code or row.error_code,
        notes=tuple(notes),
    )
    return TrailDenial(denial, row, truncated)


def rows_to_denials(rows: Iterable[TrailRow]) -> tuple[list[TrailDenial], int]:
    """(denials, rows dropped because the scanner recognised no denial in them)."""
    out: list[TrailDenial] = []
    dropped = 0
    for row in rows:
        found = row_to_denial(row)
        if found is None:
            dropped += 1
        else:
            out.append(found)
    return out, dropped


def trail_result(
    engine: str, sql: str, rows: Iterable[TrailRow], **stats: Any
) -> TrailResult:
    """One engine's run: its rows scanned into denials and grouped; `stats` as given."""
    denials, dropped = rows_to_denials(rows)
    return TrailResult(
        engine,
        sql,
        tuple(denials),
        tuple(group_denials(denials)),
        dropped=dropped,
        **stats,
    )
