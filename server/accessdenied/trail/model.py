"""Trail data: the filter a run applies, query rows, denials with event fields, groups."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accessdenied.denials.model import Denial

#: CloudTrail delivers a log file "within an average of about 5 minutes" of the call, but a
#: file "can contain records written at any point before" its delivery time (CloudTrail
#: log file name format). Files delivered up to this long after `until` are still read.
DEFAULT_DELIVERY_LAG = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """Which events a run reads: a time window, accounts, regions, one principal."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    principal: str | None = None
    delivery_lag: dt.timedelta = DEFAULT_DELIVERY_LAG

    def delivered_until(self) -> dt.datetime | None:
        """The latest delivery time a file holding an event before `until` can have."""
        return None if self.until is None else self.until + self.delivery_lag


@dataclass(frozen=True, slots=True)
class TrailRow:
    """One row of the denial query (the same columns on every engine)."""

    event_time: str | None
    event_id: str | None
    event_source: str | None
    event_name: str | None
    aws_region: str | None
    account: str | None
    principal_arn: str | None
    issuer_arn: str | None
    error_code: str | None
    error_message: str | None
    source_ip: str | None
    user_agent: str | None
    request_id: str | None
    file: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, str | None]) -> TrailRow:
        """The row of a result record keyed by column name (missing columns are None)."""
        return cls(**{f.name: values.get(f.name) for f in dataclasses.fields(cls)})


@dataclass(frozen=True, slots=True)
class TrailDenial:
    """A scanner `Denial` plus the CloudTrail event fields it came from."""

    denial: Denial
    row: TrailRow
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The `trail --format json` record: scan fields + account, region, event_*."""
        rec = self.denial.to_json(self.row.file)
        rec.update(
            {
                "account": self.row.account,
                "region": self.row.aws_region,
                "event_time": self.row.event_time,
                "event_id": self.row.event_id,
                "event_source": self.row.event_source,
                "event_name": self.row.event_name,
                "source_ip": self.row.source_ip,
                "user_agent": self.row.user_agent,
                "error_code": self.denial.error_code or self.row.error_code,
                "truncated_message": self.truncated,
                "notes": list(self.denial.notes),
            }
        )
        return rec


@dataclass(frozen=True, slots=True)
class DenialGroup:
    """Every denial of one principal x action x resource."""

    principal: str | None
    action: str | None
    resource: str | None
    count: int
    first_seen: str | None
    last_seen: str | None
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    decisions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The `groups` record of `trail --format json`."""
        return {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "decisions": list(self.decisions),
        }


@dataclass(frozen=True, slots=True)
class TrailResult:
    """What one run found and what it cost."""

    engine: str
    sql: str
    denials: tuple[TrailDenial, ...]
    groups: tuple[DenialGroup, ...]
    #: Query rows the scanner did not recognise as an access denial (dropped).
    dropped: int = 0
    files: int = 0
    events: int | None = None
    bytes_scanned: int | None = None
    query_id: str | None = None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """Run statistics for the json output."""
        out: dict[str, Any] = {
            "engine": self.engine,
            "denials": len(self.denials),
            "groups": len(self.groups),
            "dropped_rows": self.dropped,
        }
        if self.engine == "duckdb":
            out["files"] = self.files
            out["events"] = self.events
        if self.bytes_scanned is not None:
            out["bytes_scanned"] = self.bytes_scanned
            out["estimated_cost_usd"] = estimated_cost(self.bytes_scanned)
        if self.query_id:
            out["query_id"] = self.query_id
        if self.notes:
            out["notes"] = list(self.notes)
        return out


#: Athena SQL price per TB scanned in most regions (an estimate: see Athena pricing;
#: each query is billed at least 10 MB).
PRICE_PER_TB_USD = 5.0
_MIN_BILLED = 10 * 1024**2


def estimated_cost(bytes_scanned: int) -> float:
    """An estimate of what scanning `bytes_scanned` costs at $5 per TB (10 MB minimum)."""
    billed = max(bytes_scanned, _MIN_BILLED) if bytes_scanned else 0
    return round(billed / 1024**4 * PRICE_PER_TB_USD, 6)
