"""Org-wide denials from CloudTrail: one denial query, run by DuckDB, Athena or Lake.

from accessdenied.trail import TrailFilter, run_local, denial_query, group_denials
result = run_local(Path("backup/"), TrailFilter(accounts=("111122223333",)))
"""

from accessdenied.trail.group import group_denials
from accessdenied.trail.local import LocalTrailError, run_local
from accessdenied.trail.model import (
    DenialGroup,
    TrailDenial,
    TrailFilter,
    TrailResult,
    TrailRow,
)
from accessdenied.trail.query import (
    QUERY_COLUMNS,
    athena_ddl,
    denial_query,
    render_query,
)
from accessdenied.trail.records import row_to_denial, rows_to_denials

__all__ = [
    "QUERY_COLUMNS",
    "DenialGroup",
    "LocalTrailError",
    "TrailDenial",
    "TrailFilter",
    "TrailResult",
    "TrailRow",
    "athena_ddl",
    "denial_query",
    "group_denials",
    "render_query",
    "row_to_denial",
    "rows_to_denials",
    "run_local",
]
