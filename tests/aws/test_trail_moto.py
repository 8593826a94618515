"""`accessdenied trail --athena` against a real moto server (seeded query results):
workgroup output location, seeded results, Ctrl-C cancelling a RUNNING query."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import boto3
import pytest

from accessdenied.aws.athena import run_athena
from accessdenied.aws.querying import TrailQueryError, query_client
from accessdenied.aws.session import LiveConfig
from accessdenied.cli import main
from accessdenied.trail import TrailFilter
from accessdenied.trail.query import QUERY_COLUMNS
from tests.aws.test_trail_stubbed import NAMES, _row

CONFIG = LiveConfig(enabled=True, region="us-east-1")


def _moto_api(endpoint: str, path: str, body: dict[str, Any]) -> int:
    """POST `body` to the moto server's own API at `path`; the HTTP status."""
    req = urllib.request.Request(
        f"{endpoint}/moto-api/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return int(resp.status)


def _seed(endpoint: str, rows: list[dict[str, str | None]]) -> None:
    data = [{"Data": [{"VarCharValue": n} for n in NAMES]}]
    data += [
        {
            "Data": [
                {"VarCharValue": str(r[n])} if r[n] is not None else {} for n in NAMES
            ]
        }
        for r in rows
    ]
    body = {
        "results": [
            {
                "rows": data,
                "column_info": [
                    {"Name": n, "Type": "varchar"} for n, _ in QUERY_COLUMNS
                ],
            }
        ]
    }
    assert _moto_api(endpoint, "static/athena/query-results", body) == 201


def _workgroup(output: str | None) -> str:
    name = f"denials-{uuid.uuid4().hex[:8]}"
    conf: dict[str, Any] = {}
    if output:
        conf["ResultConfiguration"] = {"OutputLocation": output}
    boto3.client("athena", region_name="us-east-1").create_work_group(
        Name=name, Configuration=conf
    )
    return name


def test_trail_athena_moto_cli_json(
    moto_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wg = _workgroup("s3://athena-results/trail/")
    _seed(moto_env, [_row(1), _row(2), _row(3)])
    status = main(
        [
            "trail",
            "--athena",
            "cloudtrail_logs_pp",
            "--workgroup",
            wg,
            "--database",
            "security",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-08",
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert status == 1, captured.err
    out = json.loads(captured.out)
    assert [d["event_id"] for d in out["denials"]] == ["e1", "e2", "e3"]
    assert out["denials"][0]["action"] == "secretsmanager:GetSecretValue"
    assert out["denials"][0]["file"].startswith("s3://trail/AWSLogs/")
    assert out["groups"][0]["count"] == 3
    assert out["summary"]["engine"] == "athena"
    assert out["summary"]["bytes_scanned"] == 0
    # The query really ran in the named workgroup.
    athena = boto3.client("athena", region_name="us-east-1")
    qid = out["summary"]["query_id"]
    execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert execution["WorkGroup"] == wg
    assert "REGEXP_LIKE" in execution["Query"]
    assert "FROM security.cloudtrail_logs_pp" in execution["Query"]


def test_trail_athena_moto_no_output_location(
    moto_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wg = _workgroup(None)
    assert main(["trail", "--athena", "t", "--workgroup", wg]) == 2
    assert "no Athena output location" in capsys.readouterr().err


def _transition(endpoint: str, body: dict[str, Any], action: str) -> None:
    assert _moto_api(endpoint, f"state-manager/{action}", body) in (200, 201)


@pytest.fixture
def slow_queries(moto_env: str) -> Any:
    """Athena executions stay QUEUED/RUNNING for a few polls (moto's state manager)."""
    model = {"model_name": "athena::execution"}
    _transition(
        moto_env,
        {**model, "transition": {"progression": "manual", "times": 5}},
        "set-transition",
    )
    yield
    _transition(moto_env, model, "unset-transition")


def test_trail_athena_moto_ctrl_c_cancels(moto_env: str, slow_queries: None) -> None:
    wg = _workgroup("s3://athena-results/trail/")
    client = query_client(CONFIG, "athena")

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_athena(
            CONFIG,
            TrailFilter(),
            table="default.t",
            workgroup=wg,
            client=client,
            sleep=interrupt,
        )
    athena = boto3.client("athena", region_name="us-east-1")
    ids = athena.list_query_executions(WorkGroup=wg)["QueryExecutionIds"]
    states = {
        athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Status"][
            "State"
        ]
        for i in ids
    }
    assert states == {"CANCELLED"}


def test_trail_athena_moto_unknown_workgroup(moto_env: str) -> None:
    with pytest.raises(TrailQueryError) as err:
        run_athena(
            CONFIG,
            TrailFilter(),
            table="default.t",
            workgroup="nope-" + uuid.uuid4().hex[:6],
            client=query_client(CONFIG, "athena"),
        )
    assert err.value.exit_status in (2, 3)


def test_trail_athena_moto_cli_timeout_exits_3(
    moto_env: str, slow_queries: None, capsys: pytest.CaptureFixture[str]
) -> None:
    wg = _workgroup("s3://athena-results/trail/")
    argv = ["trail", "--athena", "t", "--workgroup", wg, "--timeout", "0.001"]
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert "did not finish in 0.001 s and was stopped" in captured.err
    assert captured.out == ""
