"""DuckDB over a local copy of a trail.

The layout picks the files; the one denial query (transpiled from Trino) runs over them
on every core with bounded memory.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from accessdenied.trail.layout import LayoutError, LogFile, scan_layout
from accessdenied.trail.model import TrailFilter, TrailResult, TrailRow
from accessdenied.trail.query import QUERY_COLUMNS, denial_query, render_query
from accessdenied.trail.records import trail_result

DEFAULT_MEMORY_LIMIT = "1GB"
#: Smallest read buffer per file (DuckDB's maximum_object_size).
_MIN_OBJECT = 64 << 10
# CloudTrail record fields the view exposes (Athena's column names, lower case).
_RECORD_TYPE = (
    "STRUCT(eventVersion VARCHAR, userIdentity STRUCT(type VARCHAR, principalId VARCHAR, "
    "arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR, userName VARCHAR, "
    "sessionContext STRUCT(sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, "
    "arn VARCHAR, accountId VARCHAR, userName VARCHAR))), eventTime VARCHAR, "
    "eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, "
    "userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, requestID VARCHAR, "
    "eventID VARCHAR, eventType VARCHAR, recipientAccountId VARCHAR)[]"
)
_VIEW_COLUMNS = (
    ("eventversion", "eventVersion"),
    ("useridentity", "userIdentity"),
    ("eventtime", "eventTime"),
    ("eventsource", "eventSource"),
    ("eventname", "eventName"),
    ("awsregion", "awsRegion"),
    ("sourceipaddress", "sourceIPAddress"),
    ("useragent", "userAgent"),
    ("errorcode", "errorCode"),
    ("errormessage", "errorMessage"),
    ("requestid", "requestID"),
    ("eventid", "eventID"),
    ("eventtype", "eventType"),
    ("recipientaccountid", "recipientAccountId"),
)
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class LocalTrailError(RuntimeError):
    """The local trail cannot be read (layout, a broken file, DuckDB limits)."""


def _uncompressed_size(path: str) -> int:
    """The gzip ISIZE trailer (size mod 2**32), or the size of a plain .json file."""
    size = os.path.getsize(path)
    if not path.endswith(".gz"):
        return size
    try:
        with open(path, "rb") as fh:
            fh.seek(-4, os.SEEK_END)
            (isize,) = struct.unpack("<I", fh.read(4))
    except (OSError, struct.error):
        return size
    return int(max(isize, size))


def _size_classes(files: Sequence[LogFile]) -> list[tuple[int, list[LogFile]]]:
    """Files grouped by the power-of-two buffer their JSON object needs.

    DuckDB's read_json allocates `maximum_object_size` for every file it reads, so one
    big file must not make every small file pay for a big buffer.
    """
    classes: dict[int, list[LogFile]] = {}
    for f in files:
        need = max(_MIN_OBJECT, _uncompressed_size(f.path) + 4096)
        classes.setdefault(1 << (need - 1).bit_length(), []).append(f)
    return sorted(classes.items(), key=lambda item: item[0])


_PART = (
    r"[/\\](\d{12})[/\\]CloudTrail[/\\]([^/\\]+)[/\\](\d{4})[/\\](\d{2})"
    r"[/\\](\d{2})[/\\][^/\\]*$"
)


def _view_sql(files: Sequence[LogFile]) -> str:
    cols = ", ".join(f'r."{src}" AS {name}' for name, src in _VIEW_COLUMNS)
    reads = []
    for size, group in _size_classes(files):
        paths = exp.Array(expressions=[exp.Literal.string(f.path) for f in group]).sql(
            dialect="duckdb"
        )
        reads.append(
            "SELECT unnest(Records) AS r, filename FROM read_json("
            f"{paths}, columns={{'Records': '{_RECORD_TYPE}'}}, format='auto', "
            f"filename=true, maximum_object_size={size})"
        )
    return (
        "CREATE TEMP VIEW cloudtrail_logs AS SELECT "
        f'{cols}, filename AS "$path", '
        f"regexp_extract(filename, '{_PART}', 1) AS account, "
        f"regexp_extract(filename, '{_PART}', 2) AS region, "
        f"concat_ws('/', regexp_extract(filename, '{_PART}', 3), "
        f"regexp_extract(filename, '{_PART}', 4), regexp_extract(filename, '{_PART}', 5)) "
        'AS "timestamp" '
        "FROM (" + " UNION ALL ".join(reads) + ")"
    )


def local_sql(flt: TrailFilter) -> str:
    """The DuckDB text of the denial query (what `--print-sql --local` shows)."""
    return render_query(denial_query(flt, "duckdb"), "duckdb")


def run_local(
    root: Path,
    flt: TrailFilter,
    *,
    threads: int | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    count_events: bool = False,
) -> TrailResult:
    """Denials of the trail copied under `root`, filtered by `flt`."""
    if not _MEMORY.match(memory_limit.strip()):
        raise LocalTrailError(f"not a memory size: {memory_limit!r} (e.g. 1GB, 512MB)")
    try:
        layout = scan_layout(root, flt)
    except LayoutError as exc:
        raise LocalTrailError(str(exc)) from exc
    sql = local_sql(flt)
    if not layout.files:
        return TrailResult(
            "duckdb",
            sql,
            (),
            (),
            notes=("no CloudTrail log file in the window, accounts and regions given",),
        )
    import duckdb

    spill = tempfile.mkdtemp(prefix="accessdenied-duckdb-")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
        con.execute(_view_sql(layout.files))
        raw: list[tuple[Any, ...]] = con.execute(sql).fetchall()
        events = None
        if count_events:
            counted = con.execute("SELECT count(*) FROM cloudtrail_logs").fetchone()
            events = int(counted[0]) if counted else 0
    except duckdb.Error as exc:
        raise LocalTrailError(_explain_duckdb(exc)) from exc
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    names = [name for name, _ in QUERY_COLUMNS]
    rows = [TrailRow(**dict(zip(names, (_s(v) for v in r), strict=True))) for r in raw]
    return trail_result(
        "duckdb",
        sql,
        rows,
        files=len(layout.files),
        events=events,
        notes=(
            f"{len(layout.files)} log files read; {layout.skipped_dirs} directories and "
            f"{layout.skipped_files} files outside the filters skipped unopened",
        ),
    )


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _explain_duckdb(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "Out of Memory" in text or "memory limit" in text.lower():
        return (
            f"DuckDB ran out of its memory limit ({first}); raise --memory-limit or "
            "narrow the window (--since/--until, --account, --region)"
        )
    m = re.search(r"(/[^\s\"']+\.json(?:\.gz)?)", text)
    if m:
        return f"{m.group(1)}: not a readable CloudTrail log file ({first})"
    return f"DuckDB could not read the trail: {first}"
