"""`accessdenied trail --athena/--lake` through botocore's Stubber: the exact API calls,
pagination, cancellation (Ctrl-C, timeout) and each error people hit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from accessdenied.aws.athena import run_athena
from accessdenied.aws.lake import run_lake
from accessdenied.aws.querying import TrailQueryError, query_client
from accessdenied.aws.safety import ReadOnlyViolation
from accessdenied.aws.session import LiveConfig
from accessdenied.trail import TrailFilter, TrailResult, denial_query, render_query
from accessdenied.trail.query import QUERY_COLUMNS

CONFIG = LiveConfig(enabled=True, region="us-east-1")
FLT = TrailFilter(
    since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    until=dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
    accounts=("111122223333",),
)
TABLE = "security.cloudtrail_logs_pp"
WHO = "arn:aws:sts::111122223333:assumed-role/app-role/dev"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
MESSAGE = (
    f"User: {WHO} is not authorized to perform: secretsmanager:GetSecretValue on resource: "
    f"{SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue action"
)


def _row(i: int) -> dict[str, str | None]:
    return {
        "event_time": f"2026-11-0{i % 7 + 1}T10:00:0{i % 10}Z",
        "event_id": f"e{i}",
        "event_source": "secretsmanager.amazonaws.com",
        "event_name": "GetSecretValue",
        "aws_region": "us-east-1",
        "account": "111122223333",
        "principal_arn": WHO,
        "issuer_arn": "arn:aws:iam::111122223333:role/app-role",
        "error_code": "AccessDenied",
        "error_message": MESSAGE,
        "source_ip": "10.0.0.1",
        "user_agent": "aws-cli/2.15.0",
        "request_id": f"r{i}",
        "file": f"s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/0{i % 7 + 1}/x.json.gz",
    }


NAMES = [name for name, _ in QUERY_COLUMNS]


def _athena_rows(
    rows: list[dict[str, str | None]], header: bool
) -> list[dict[str, Any]]:
    out = [{"Data": [{"VarCharValue": n} for n in NAMES]}] if header else []
    for r in rows:
        out.append(
            {
                "Data": [
                    {"VarCharValue": str(r[n])} if r[n] is not None else {}
                    for n in NAMES
                ]
            }
        )
    return out


@pytest.fixture
def athena(fake_aws_env: None) -> Any:
    return query_client(CONFIG, "athena")


@pytest.fixture
def lake(fake_aws_env: None) -> Any:
    return query_client(CONFIG, "cloudtrail")


def _workgroup(stub: Stubber, location: str | None = "s3://results/athena/") -> None:
    conf: dict[str, Any] = {}
    if location:
        conf["ResultConfiguration"] = {"OutputLocation": location}
    stub.add_response(
        "get_work_group",
        {"WorkGroup": {"Name": "denials", "State": "ENABLED", "Configuration": conf}},
        {"WorkGroup": "denials"},
    )


def _table(
    stub: Stubber,
    keys: tuple[str, ...] = ("account", "region", "timestamp"),
    params: dict[str, str] | None = None,
) -> None:
    stub.add_response(
        "get_table_metadata",
        {
            "TableMetadata": {
                "Name": "cloudtrail_logs_pp",
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in keys],
                "Parameters": params
                if params is not None
                else {
                    "projection.enabled": "true",
                    "projection.timestamp.format": "yyyy/MM/dd",
                    "storage.location.template": "s3://trail/AWSLogs/${account}/CloudTrail/${region}/${timestamp}",
                },
            }
        },
        {
            "CatalogName": "AwsDataCatalog",
            "DatabaseName": "security",
            "TableName": "cloudtrail_logs_pp",
        },
    )


def _start(stub: Stubber, sql: str) -> None:
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": sql,
            "QueryExecutionContext": {
                "Catalog": "AwsDataCatalog",
                "Database": "security",
            },
            "WorkGroup": "denials",
        },
    )


def _state(
    stub: Stubber, state: str, scanned: int = 0, reason: str | None = None
) -> None:
    status: dict[str, Any] = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Status": status,
                "Statistics": {"DataScannedInBytes": scanned},
            }
        },
        {"QueryExecutionId": "q-1"},
    )


SQL = render_query(denial_query(FLT, "athena", TABLE), "athena")


def _started(stub: Stubber) -> None:
    """The calls up to a started denial query: workgroup, table metadata, SQL."""
    _workgroup(stub)
    _table(stub)
    _start(stub, SQL)


def _results(
    stub: Stubber,
    rows: list[dict[str, str | None]] | None = None,
    *,
    header: bool = False,
    sent_token: str | None = None,
    next_token: str | None = None,
) -> None:
    """One GetQueryResults page (no rows: the bare empty result set Athena returns)."""
    result: dict[str, Any] = {"Rows": []}
    if rows is not None:
        result = {
            "Rows": _athena_rows(rows, header=header),
            "ResultSetMetadata": {
                "ColumnInfo": [{"Name": n, "Type": "varchar"} for n in NAMES]
            },
        }
    page: dict[str, Any] = {"ResultSet": result}
    if next_token:
        page["NextToken"] = next_token
    expected: dict[str, Any] = {"QueryExecutionId": "q-1", "MaxResults": 1000}
    if sent_token:
        expected["NextToken"] = sent_token
    stub.add_response("get_query_results", page, expected)


def _run_athena(athena: Any, flt: TrailFilter = FLT, **kwargs: Any) -> TrailResult:
    """run_athena on TABLE in workgroup `denials` through the stubbed client."""
    kwargs.setdefault("sleep", lambda s: None)
    return run_athena(
        CONFIG, flt, table=TABLE, workgroup="denials", client=athena, **kwargs
    )


def test_trail_athena_calls_pages_and_cost(athena: Any) -> None:
    sleeps: list[float] = []
    with Stubber(athena) as stub:
        _started(stub)
        _state(stub, "QUEUED")
        _state(stub, "RUNNING")
        _state(stub, "SUCCEEDED", scanned=3 * 1024**4)
        _results(stub, [_row(1), _row(2)], header=True, next_token="page-2")
        _results(stub, [_row(3)], sent_token="page-2")
        result = _run_athena(athena, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0]
    assert [td.row.event_id for td in result.denials] == ["e1", "e2", "e3"]
    d = result.denials[0].denial
    assert (d.principal, d.action, d.resource, d.decision, d.policy_type) == (
        WHO,
        "secretsmanager:GetSecretValue",
        SECRET,
        "implicit",
        "identity",
    )
    assert result.groups[0].count == 3
    assert result.bytes_scanned == 3 * 1024**4
    assert result.summary()["estimated_cost_usd"] == 15.0
    assert result.query_id == "q-1"


def test_trail_athena_no_output_location(athena: Any) -> None:
    with Stubber(athena) as stub:
        _workgroup(stub, location=None)
        with pytest.raises(TrailQueryError, match="no Athena output location") as err:
            _run_athena(athena)
    assert err.value.exit_status == 2


def test_trail_athena_given_output_location_is_sent(athena: Any) -> None:
    with Stubber(athena) as stub:
        _workgroup(stub, location=None)
        _table(stub)
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q-1"},
            {
                "QueryString": SQL,
                "QueryExecutionContext": ANY,
                "WorkGroup": "denials",
                "ResultConfiguration": {"OutputLocation": "s3://mine/out/"},
            },
        )
        _state(stub, "SUCCEEDED")
        _results(stub)
        result = _run_athena(athena, output_location="s3://mine/out/")
    assert result.denials == ()


def test_trail_athena_table_missing(athena: Any) -> None:
    with Stubber(athena) as stub:
        _workgroup(stub)
        stub.add_client_error(
            "get_table_metadata",
            "MetadataException",
            "Table cloudtrail_logs_pp not found in database security",
        )
        with pytest.raises(TrailQueryError, match=r"not found.*--print-sql") as err:
            _run_athena(athena)
    assert err.value.exit_status == 2


def test_trail_athena_projection_mismatch(athena: Any) -> None:
    with Stubber(athena) as stub:
        _workgroup(stub)
        _table(stub, keys=("dt",), params={"projection.enabled": "false"})
        with pytest.raises(
            TrailQueryError, match="partition projection mismatch"
        ) as err:
            _run_athena(athena)
    assert err.value.exit_status == 2


def test_trail_athena_single_region_table_filters_columns(athena: Any) -> None:
    sql = render_query(denial_query(FLT, "athena", TABLE, {"timestamp"}), "athena")
    with Stubber(athena) as stub:
        _workgroup(stub)
        _table(
            stub,
            keys=("timestamp",),
            params={
                "projection.enabled": "true",
                "projection.timestamp.format": "yyyy/MM/dd",
                "storage.location.template": "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}",
            },
        )
        _start(stub, sql)
        _state(stub, "SUCCEEDED")
        _results(stub)
        _run_athena(athena)
        stub.assert_no_pending_responses()
    assert "recipientaccountid = '111122223333'" in sql


def test_trail_athena_failed_query_is_classified(athena: Any) -> None:
    with Stubber(athena) as stub:
        _started(stub)
        _state(
            stub,
            "FAILED",
            reason="TABLE_NOT_FOUND: line 15:6: Table 'awsdatacatalog.security.cloudtrail_logs_pp' does not exist",
        )
        with pytest.raises(TrailQueryError, match="does not exist") as err:
            _run_athena(athena)
    assert err.value.exit_status == 2
    with Stubber(athena) as stub:
        _started(stub)
        _state(stub, "FAILED", reason="GENERIC_INTERNAL_ERROR: something broke")
        with pytest.raises(TrailQueryError, match="query failed") as err:
            _run_athena(athena)
    assert err.value.exit_status == 3


def test_trail_athena_timeout_stops_the_query(athena: Any) -> None:
    with Stubber(athena) as stub:
        _started(stub)
        _state(stub, "RUNNING")
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
        with pytest.raises(TrailQueryError, match="did not finish") as err:
            _run_athena(athena, timeout=1e-9)
        stub.assert_no_pending_responses()
    assert err.value.exit_status == 3


def test_trail_athena_ctrl_c_stops_the_query(athena: Any) -> None:
    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with Stubber(athena) as stub:
        _started(stub)
        _state(stub, "RUNNING")
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
        with pytest.raises(KeyboardInterrupt):
            _run_athena(athena, sleep=interrupt)
        stub.assert_no_pending_responses()


def test_trail_athena_access_denied_names_the_policy(athena: Any) -> None:
    with Stubber(athena) as stub:
        stub.add_client_error(
            "get_work_group",
            "AccessDeniedException",
            "User: arn:aws:iam::1:user/x is not authorized to perform: athena:GetWorkGroup",
        )
        with pytest.raises(TrailQueryError, match=r"trail-policy\.json") as err:
            _run_athena(athena)
    assert err.value.exit_status == 2


def test_trail_query_client_refuses_other_operations(athena: Any) -> None:
    with pytest.raises(ReadOnlyViolation):
        athena.delete_work_group(WorkGroup="denials")


def test_trail_no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(TrailQueryError, match="no AWS credentials") as err:
        query_client(CONFIG, "athena")
    assert err.value.exit_status == 2


LAKE_STORE = "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
LQ = "0e5d9b3c-7f1a-4a2b-9c8d-1234567890ab"
LAKE_SQL = render_query(denial_query(FLT, "lake"), "lake", LAKE_STORE)
# Lake names each result column by its alias in the query.
LAKE_COLUMNS = [n for n in NAMES if n != "file"]


def _lake_page(
    rows: list[dict[str, str | None]], token: str | None, status: str = "FINISHED"
) -> dict[str, Any]:
    page: dict[str, Any] = {
        "QueryStatus": status,
        "QueryStatistics": {
            "ResultsCount": len(rows),
            "TotalResultsCount": 3,
            "BytesScanned": 2048,
        },
        "QueryResultRows": [[{n: r[n] or ""} for n in LAKE_COLUMNS] for r in rows],
    }
    if token:
        page["NextToken"] = token
    return page


def _lake_start(stub: Stubber) -> None:
    stub.add_response("start_query", {"QueryId": LQ}, {"QueryStatement": LAKE_SQL})


def _lake_status(stub: Stubber, status: str) -> None:
    stub.add_response("get_query_results", {"QueryStatus": status}, {"QueryId": LQ})


def _lake_cancel(stub: Stubber) -> None:
    stub.add_response(
        "cancel_query", {"QueryId": LQ, "QueryStatus": "CANCELLED"}, {"QueryId": LQ}
    )


def _run_lake(lake: Any, **kwargs: Any) -> TrailResult:
    """run_lake on LAKE_STORE through the stubbed client."""
    kwargs.setdefault("sleep", lambda s: None)
    return run_lake(CONFIG, FLT, store=LAKE_STORE, client=lake, **kwargs)


def test_trail_lake_calls_pages(lake: Any) -> None:
    with Stubber(lake) as stub:
        _lake_start(stub)
        _lake_status(stub, "QUEUED")
        _lake_status(stub, "RUNNING")
        stub.add_response(
            "get_query_results",
            _lake_page([_row(1), _row(2)], "token-page-2"),
            {"QueryId": LQ},
        )
        stub.add_response(
            "get_query_results",
            _lake_page([_row(3)], None),
            {"QueryId": LQ, "NextToken": "token-page-2"},
        )
        result = _run_lake(lake)
        stub.assert_no_pending_responses()
    assert [td.row.event_id for td in result.denials] == ["e1", "e2", "e3"]
    assert result.denials[0].denial.action == "secretsmanager:GetSecretValue"
    assert result.denials[0].row.file is None
    assert result.bytes_scanned == 2048
    assert result.engine == "lake"


def test_trail_lake_errors(lake: Any) -> None:
    with Stubber(lake) as stub:
        stub.add_client_error(
            "start_query",
            "EventDataStoreNotFoundException",
            "The specified event data store was not found.",
        )
        with pytest.raises(TrailQueryError, match="not found") as err:
            _run_lake(lake)
    assert err.value.exit_status == 2
    with Stubber(lake) as stub:
        _lake_start(stub)
        stub.add_response(
            "get_query_results",
            {"QueryStatus": "FAILED", "ErrorMessage": "Query failed: column x"},
            {"QueryId": LQ},
        )
        with pytest.raises(TrailQueryError, match="column x") as err:
            _run_lake(lake)
    assert err.value.exit_status == 3


def test_trail_lake_timeout_and_ctrl_c_cancel(lake: Any) -> None:
    with Stubber(lake) as stub:
        _lake_start(stub)
        _lake_status(stub, "RUNNING")
        _lake_cancel(stub)
        with pytest.raises(TrailQueryError, match="cancelled"):
            _run_lake(lake, timeout=1e-9)
        stub.assert_no_pending_responses()

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with Stubber(lake) as stub:
        _lake_start(stub)
        _lake_status(stub, "RUNNING")
        _lake_cancel(stub)
        with pytest.raises(KeyboardInterrupt):
            _run_lake(lake, sleep=interrupt)
        stub.assert_no_pending_responses()


def test_trail_athena_create_table_runs_the_ddl_first(athena: Any) -> None:
    from accessdenied.trail import athena_ddl

    flt = TrailFilter(
        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
        accounts=("111122223333",),
        regions=("us-east-1",),
    )
    ddl = athena_ddl(
        TABLE,
        "s3://trail-bucket/AWSLogs/",
        ["111122223333"],
        ["us-east-1"],
        dt.date(2026, 11, 1),
    )
    sql = render_query(denial_query(flt, "athena", TABLE), "athena")
    with Stubber(athena) as stub:
        _workgroup(stub)
        _start(stub, ddl)
        _state(stub, "SUCCEEDED")
        _table(stub)
        _start(stub, sql)
        _state(stub, "SUCCEEDED")
        _results(stub)
        result = _run_athena(athena, flt, ddl_location="s3://trail-bucket/AWSLogs/")
        stub.assert_no_pending_responses()
    assert "created table" in result.notes[0]
