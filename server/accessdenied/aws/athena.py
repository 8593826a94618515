"""The trail denial query on Amazon Athena.

Workgroup and output location, table and partition projection checks, optional DDL,
polling, paging, bytes scanned, cancellation on Ctrl-C or timeout.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from accessdenied.aws.querying import (
    EXIT_CONFIG,
    Poller,
    TrailQueryError,
    aws_call,
    query_client,
)
from accessdenied.aws.session import LiveConfig
from accessdenied.trail import TrailFilter, TrailResult, TrailRow
from accessdenied.trail.query import (
    ALL_PARTITIONS,
    athena_ddl,
    check_projection,
    denial_query,
    render_query,
)
from accessdenied.trail.records import trail_result

logger = logging.getLogger(__name__)
_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
#: First day projected by --create-table's DDL when no --since is given.
_DDL_START = dt.date(2020, 1, 1)


def _output_location(athena: Any, workgroup: str, given: str | None) -> dict[str, Any]:
    """The ResultConfiguration to send (empty when the workgroup has one)."""
    wg = aws_call(
        f"read Athena workgroup {workgroup!r} (athena:GetWorkGroup)",
        lambda: athena.get_work_group(WorkGroup=workgroup),
        frozenset({"InvalidRequestException", "ResourceNotFoundException"}),
    )
    conf = wg.get("WorkGroup", {}).get("Configuration", {}) or {}
    state = wg.get("WorkGroup", {}).get("State")
    if state == "DISABLED":
        raise TrailQueryError(
            f"Athena workgroup {workgroup!r} is disabled", EXIT_CONFIG
        )
    managed = (conf.get("ManagedQueryResultsConfiguration") or {}).get("Enabled")
    own = (conf.get("ResultConfiguration") or {}).get("OutputLocation")
    if conf.get("EnforceWorkGroupConfiguration") and (own or managed):
        return {}
    if given:
        if not given.startswith("s3://"):
            raise TrailQueryError(
                f"--output-location {given!r}: not an s3:// URI", EXIT_CONFIG
            )
        return {"OutputLocation": given}
    if own or managed:
        return {}
    raise TrailQueryError(
        f"no Athena output location: workgroup {workgroup!r} has no query result "
        "location; give --output-location s3://BUCKET/PREFIX/ or set one on the workgroup",
        EXIT_CONFIG,
    )


def _partitions(athena: Any, catalog: str, table: str) -> tuple[set[str], list[str]]:
    """The table's partition keys (all three assumed when metadata cannot be read)."""
    database, _, name = table.rpartition(".")
    try:
        meta = athena.get_table_metadata(
            CatalogName=catalog, DatabaseName=database or "default", TableName=name
        )
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
        if code in ("MetadataException", "EntityNotFoundException") or (
            "not found" in message.lower()
        ):
            raise TrailQueryError(
                f"Athena table {table!r} not found in catalog {catalog!r}: create it "
                "with the DDL from `accessdenied trail --athena TABLE --workgroup W "
                "--print-sql`, or run again with --create-table --s3-location s3://...",
                EXIT_CONFIG,
            ) from exc
        note = f"table metadata not checked ({code or type(exc).__name__})"
        logger.info("%s", note)
        return set(ALL_PARTITIONS), [note]
    tm = meta.get("TableMetadata", {})
    keys = {str(p.get("Name", "")).lower() for p in tm.get("PartitionKeys", [])}
    params = {str(k): str(v) for k, v in (tm.get("Parameters") or {}).items()}
    problems = check_projection(keys, params)
    if problems:
        raise TrailQueryError(
            f"partition projection mismatch on {table!r}: "
            + "; ".join(problems)
            + ". Recreate the table with the DDL `--print-sql` prints.",
            EXIT_CONFIG,
        )
    return keys & ALL_PARTITIONS, []


def _classify_failure(reason: str, table: str) -> TrailQueryError:
    low = reason.lower()
    if "table_not_found" in low or ("table" in low and "does not exist" in low):
        return TrailQueryError(
            f"Athena table {table!r} does not exist ({reason}); `--print-sql` prints its DDL",
            EXIT_CONFIG,
        )
    if "projection" in low or "hive_invalid_partition" in low or "partition" in low:
        return TrailQueryError(
            f"partition projection mismatch on {table!r}: {reason}", EXIT_CONFIG
        )
    if "output location" in low or "outputlocation" in low:
        return TrailQueryError(
            f"no usable Athena output location: {reason}", EXIT_CONFIG
        )
    return TrailQueryError(f"the Athena query failed: {reason}")


def _stop(athena: Any, query_id: str) -> None:
    try:
        athena.stop_query_execution(QueryExecutionId=query_id)
    except Exception as exc:  # cancelling is best effort; say so
        logger.warning("could not stop Athena query %s: %s", query_id, exc)


def run_statement(
    athena: Any,
    sql: str,
    *,
    workgroup: str,
    catalog: str,
    database: str,
    result_conf: dict[str, Any],
    timeout: float,
    table: str,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, dict[str, Any]]:
    """Start `sql`, wait for it (stopping it on Ctrl-C or timeout); (id, execution)."""
    params: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Catalog": catalog, "Database": database},
        "WorkGroup": workgroup,
    }
    if result_conf:
        params["ResultConfiguration"] = result_conf
    started = aws_call(
        "start the Athena query (athena:StartQueryExecution)",
        lambda: athena.start_query_execution(**params),
        frozenset({"InvalidRequestException"}),
    )
    query_id = str(started["QueryExecutionId"])
    poller = Poller(timeout, sleep=sleep)
    try:
        while True:
            execution = aws_call(
                "follow the Athena query (athena:GetQueryExecution)",
                lambda: athena.get_query_execution(QueryExecutionId=query_id),
            )["QueryExecution"]
            state = execution.get("Status", {}).get("State")
            if state in _DONE:
                break
            if not poller.wait():
                _stop(athena, query_id)
                raise TrailQueryError(
                    f"the Athena query {query_id} did not finish in {timeout:g} s and was "
                    "stopped (raise --timeout or narrow --since/--until)"
                )
    except KeyboardInterrupt:
        _stop(athena, query_id)
        raise
    if state == "FAILED":
        reason = str(
            execution.get("Status", {}).get("StateChangeReason") or "no reason given"
        )
        raise _classify_failure(reason, table)
    if state == "CANCELLED":
        raise TrailQueryError(f"the Athena query {query_id} was cancelled")
    return query_id, execution


def _rows(athena: Any, query_id: str) -> list[TrailRow]:
    rows: list[TrailRow] = []
    header: list[str] | None = None
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = aws_call(
            "read the Athena results (athena:GetQueryResults)",
            functools.partial(athena.get_query_results, **kwargs),
        )
        result = page.get("ResultSet", {})
        data = result.get("Rows", [])
        if header is None:
            info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            header = [str(c.get("Name", "")).lower() for c in info]
            if (
                data
                and [
                    str(v.get("VarCharValue", "")).lower()
                    for v in data[0].get("Data", [])
                ]
                == header
            ):
                data = data[1:]  # the first row of the first page repeats the header
        for r in data:
            values = [v.get("VarCharValue") for v in r.get("Data", [])]
            rows.append(TrailRow.from_mapping(dict(zip(header, values, strict=False))))
        token = page.get("NextToken")
        if not token:
            return rows


def run_athena(
    config: LiveConfig,
    flt: TrailFilter,
    *,
    table: str,
    workgroup: str,
    output_location: str | None = None,
    catalog: str = "AwsDataCatalog",
    ddl_location: str | None = None,
    timeout: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
    client: Any = None,
) -> TrailResult:
    """Run the denial query on `table` in `workgroup`; denials, groups, bytes scanned."""
    athena = client if client is not None else query_client(config, "athena")
    result_conf = _output_location(athena, workgroup, output_location)
    database = table.rpartition(".")[0] or "default"
    run = functools.partial(
        run_statement,
        athena,
        workgroup=workgroup,
        catalog=catalog,
        database=database,
        result_conf=result_conf,
        timeout=timeout,
        table=table,
        sleep=sleep,
    )
    notes: list[str] = []
    if ddl_location:
        start = flt.since.date() if flt.since else _DDL_START
        run(athena_ddl(table, ddl_location, flt.accounts, flt.regions, start))
        notes.append(f"created table {table}")
    partitions, more = _partitions(athena, catalog, table)
    notes.extend(more)
    sql = render_query(denial_query(flt, "athena", table, partitions), "athena")
    query_id, execution = run(sql)
    scanned = execution.get("Statistics", {}).get("DataScannedInBytes")
    return trail_result(
        "athena",
        sql,
        _rows(athena, query_id),
        bytes_scanned=int(scanned) if scanned is not None else None,
        query_id=query_id,
        notes=tuple(notes),
    )
