"""The trail denial query on a CloudTrail Lake event data store.

StartQuery, polling and paging GetQueryResults, bytes scanned, CancelQuery on Ctrl-C or
timeout.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from accessdenied.aws.querying import Poller, TrailQueryError, aws_call, query_client
from accessdenied.aws.session import LiveConfig
from accessdenied.trail import TrailFilter, TrailResult, TrailRow
from accessdenied.trail.query import denial_query, render_query
from accessdenied.trail.records import trail_result

logger = logging.getLogger(__name__)
_CONFIG_CODES = frozenset(
    {
        "EventDataStoreNotFoundException",
        "InactiveEventDataStoreException",
        "InvalidParameterException",
        "NoManagementAccountSLRExistsException",
        "EventDataStoreARNInvalidException",
    }
)


def _cancel(lake: Any, query_id: str) -> None:
    try:
        lake.cancel_query(QueryId=query_id)
    except Exception as exc:
        logger.warning("could not cancel CloudTrail Lake query %s: %s", query_id, exc)


def _cells(row: list[dict[str, Any]]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for cell in row:
        for key, value in cell.items():
            out[str(key).lower()] = None if value in (None, "") else str(value)
    return out


def run_lake(
    config: LiveConfig,
    flt: TrailFilter,
    *,
    store: str,
    timeout: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
    client: Any = None,
) -> TrailResult:
    """Run the denial query on event data store `store`; denials, groups, bytes scanned."""
    sql = render_query(denial_query(flt, "lake"), "lake", store)
    lake = client if client is not None else query_client(config, "cloudtrail")
    started = aws_call(
        "start the CloudTrail Lake query (cloudtrail:StartQuery)",
        lambda: lake.start_query(QueryStatement=sql),
        _CONFIG_CODES,
    )
    query_id = str(started["QueryId"])
    poller = Poller(timeout, sleep=sleep)
    rows: list[TrailRow] = []
    scanned: int | None = None
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"QueryId": query_id}
            if token:
                kwargs["NextToken"] = token
            page = aws_call(
                "read the CloudTrail Lake results (cloudtrail:GetQueryResults)",
                functools.partial(lake.get_query_results, **kwargs),
            )
            status = page.get("QueryStatus")
            if status in ("QUEUED", "RUNNING"):
                if not poller.wait():
                    _cancel(lake, query_id)
                    raise TrailQueryError(
                        f"the CloudTrail Lake query {query_id} did not finish in "
                        f"{timeout:g} s and was cancelled"
                    )
                continue
            if status in ("FAILED", "TIMED_OUT", "CANCELLED"):
                reason = page.get("ErrorMessage") or status
                raise TrailQueryError(
                    f"the CloudTrail Lake query {status.lower()}: {reason}"
                )
            stats = page.get("QueryStatistics") or {}
            if stats.get("BytesScanned") is not None:
                scanned = int(stats["BytesScanned"])
            rows.extend(
                TrailRow.from_mapping(_cells(r))
                for r in page.get("QueryResultRows", [])
            )
            token = page.get("NextToken")
            if not token:
                break
    except KeyboardInterrupt:
        _cancel(lake, query_id)
        raise
    return trail_result("lake", sql, rows, bytes_scanned=scanned, query_id=query_id)
