"""The one query definition: Trino text for Athena/Lake, DuckDB by transpiling, the DDL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from accessdenied.trail import TrailFilter, athena_ddl, denial_query, render_query
from accessdenied.trail.query import QueryError, check_projection, lake_table_id

T0 = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 11, 4, 23, 30, tzinfo=dt.UTC)
FLT = TrailFilter(
    since=T0,
    until=T1,
    accounts=("111122223333", "444455556666"),
    regions=("us-east-1",),
    principal="arn:aws:iam::111122223333:role/app",
)


def test_trail_query_is_one_definition_transpiled() -> None:
    trino = render_query(denial_query(FLT, "athena", "db.cloudtrail_logs_pp"), "athena")
    duck = render_query(denial_query(FLT, "duckdb"), "duckdb")
    assert "REGEXP_LIKE" in trino
    assert "REGEXP_MATCHES" in duck
    # DuckDB's text is exactly sqlglot's transpilation of the Trino text.
    again = sqlglot.transpile(
        trino.replace("db.cloudtrail_logs_pp", "cloudtrail_logs"),
        read="trino",
        write="duckdb",
        pretty=True,
    )[0]
    assert again == duck


def test_trail_query_prunes_partitions() -> None:
    sql = render_query(denial_query(FLT, "athena", "db.t"), "athena")
    assert "\"timestamp\" >= '2026/11/02'" in sql
    # Files delivered up to an hour after --until can still hold its events.
    assert "\"timestamp\" <= '2026/11/05'" in sql
    assert "eventtime >= '2026-11-02T06:00:00Z'" in sql
    assert "eventtime <= '2026-11-04T23:30:00Z'" in sql
    assert "account IN ('111122223333', '444455556666')" in sql
    assert "region = 'us-east-1'" in sql
    assert "sessionissuer.arn = 'arn:aws:iam::111122223333:role/app'" in sql
    # A table partitioned by timestamp only (AWS's single-account example) filters columns.
    only_ts = render_query(denial_query(FLT, "athena", "db.t", {"timestamp"}), "athena")
    assert "recipientaccountid IN" in only_ts
    assert "awsregion = 'us-east-1'" in only_ts


def test_trail_query_lake_uses_event_columns_and_store_id() -> None:
    arn = "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
    sql = render_query(denial_query(FLT, "lake"), "lake", arn)
    assert "FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE" in sql
    assert '"timestamp"' not in sql
    assert "$path" not in sql
    assert "eventtime >= '2026-11-02 06:00:00'" in sql
    assert "recipientaccountid IN" in sql
    with pytest.raises(QueryError):
        lake_table_id("x; DROP TABLE y")


def test_trail_query_quotes_user_input() -> None:
    flt = TrailFilter(principal="arn:aws:iam::1:role/a' OR '1'='1")
    sql = render_query(denial_query(flt, "athena", "t"), "athena")
    assert "'arn:aws:iam::1:role/a'' OR ''1''=''1'" in sql
    with pytest.raises(QueryError):
        denial_query(flt, "athena", "t; DROP TABLE x")


def test_trail_ddl_has_partition_projection() -> None:
    ddl = athena_ddl(
        "db.cloudtrail_logs_pp",
        "s3://trail-bucket/AWSLogs/o-a1b2c3d4e5/",
        ["111122223333"],
        ["us-east-1", "eu-west-1"],
        dt.date(2026, 1, 1),
    )
    for needle in (
        "CREATE EXTERNAL TABLE db.cloudtrail_logs_pp(",
        "'projection.enabled'='true'",
        "'projection.timestamp.format'='yyyy/MM/dd'",
        "'projection.timestamp.range'='2026/01/01,NOW'",
        "'projection.region.values'='eu-west-1,us-east-1'",
        "'storage.location.template'='s3://trail-bucket/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}'",
        "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
        "errormessage STRING",
    ):
        assert needle in ddl
    with pytest.raises(QueryError):
        athena_ddl(
            "t", "https://x", ["111122223333"], ["us-east-1"], dt.date(2026, 1, 1)
        )
    with pytest.raises(QueryError, match="accounts and regions"):
        athena_ddl(
            "t", "s3://trail-bucket/AWSLogs/", [], ["us-east-1"], dt.date(2026, 1, 1)
        )


def test_trail_projection_check() -> None:
    good = {
        "projection.enabled": "true",
        "projection.timestamp.format": "yyyy/MM/dd",
        "storage.location.template": "s3://b/AWSLogs/${account}/CloudTrail/${region}/${timestamp}",
    }
    assert check_projection({"account", "region", "timestamp"}, good) == []
    assert (
        check_projection(
            {"timestamp"},
            {**good, "storage.location.template": "s3://b/x/${timestamp}"},
        )
        == []
    )
    bad = check_projection({"dt"}, {})
    assert any("no `timestamp` partition" in p for p in bad)
    assert any("not enabled" in p for p in bad)
    fmt = check_projection(
        {"timestamp"}, {**good, "projection.timestamp.format": "yyyy-MM-dd"}
    )
    assert any("yyyy/MM/dd" in p for p in fmt)
