"""`catalog update` against a recorded service reference served from 127.0.0.1 only."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from accessdenied.catalog import load_catalog
from accessdenied.catalog.load import cache_path
from accessdenied.cli.catalog import UpdateError, update_catalog
from tests.paths import REPO

FIXTURE = REPO / "tests" / "fixtures" / "catalog" / "service-reference"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the fixture; `/broken/...` answers 500, `/garbage/` non-JSON."""

    root: Path = FIXTURE
    missing: frozenset[str] = frozenset()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/broken/"):
            self.send_error(500, "fixture failure")
            return
        if path.startswith("/garbage/"):
            self._send(b"<html>not json</html>")
            return
        for head in ("/partial/", "/ok/"):
            if path.startswith(head):
                path = "/" + path[len(head) :]
        if path == "/":
            self._send((self.root / "index.json").read_bytes())
            return
        target = (self.root / path.lstrip("/")).resolve()
        if (
            self.path.startswith("/partial/") and "accessdenied-fixture" in path
        ) or not (target.is_file() and self.root in target.parents):
            self.send_error(404)
            return
        self._send(target.read_bytes())

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_catalog.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    load_catalog.cache_clear()


def test_update_writes_cache_and_loader_prefers_it(
    server: str, cache_home: Path
) -> None:
    result = update_catalog(base_url=server + "/ok/", timeout=5, jobs=2)
    assert result.warnings == ()
    assert Path(result.path) == cache_home / "accessdenied" / "catalog.json.gz"
    assert result.stats["refreshed"] == 2
    assert result.stats["added"] == 1
    assert result.stats["kept"] == 457 - 2
    assert result.stats["operations"] == 6
    cat = load_catalog()
    info = cat.info()
    assert info.origin == "cache"
    assert info.data_date == result.data_date
    assert info.data_date > "2026-10-27"
    assert info.operations == 6
    # Refreshed service: actions from AWS, descriptions kept from the bundled snapshot.
    s3 = cat.service("s3")
    assert s3 is not None
    assert {a.name for a in s3.actions} == {
        "GetObject",
        "ListAllMyBuckets",
        "ListBucket",
        "PutBucketPolicy",
        "PutBucketTagging",
        "PutObject",
    }
    get = cat.action("s3:GetObject")
    assert get is not None
    assert get.description == "Grants permission to retrieve objects from Amazon S3"
    assert get.access_level == "Read"
    assert cat.action("s3:PutBucketTagging").access_level == "Tagging"  # type: ignore[union-attr]
    assert (
        cat.action("s3:PutBucketPolicy").access_level  # type: ignore[union-attr]
        == "Permissions management"
    )
    assert not cat.action("s3:ListAllMyBuckets").supports_resource_level  # type: ignore[union-attr]
    # Services the reference did not list stay as bundled.
    assert cat.action("dynamodb:PutItem") is not None
    # A service the bundle did not know is added.
    assert cat.action("accessdenied-fixture:TagWidget") is not None
    assert (
        cat.resource_types_for_arn(
            "arn:aws:accessdenied-fixture:us-east-1:123456789012:widget/w-1"
        )[0].name
        == "widget"
    )
    # AWS's Operations -> AuthorizedActions map is used...
    assert cat.actions_for_operation("GetWidget", "accessdenied-fixture") == (
        "accessdenied-fixture:DescribeWidget",
    )
    assert cat.actions_for_operation("GetWidget") == (
        "accessdenied-fixture:DescribeWidget",
    )
    assert cat.actions_for_operation("AssumeRole", "sts") == (
        "sts:AssumeRole",
        "sts:TagSession",
    )
    # Primary action first; another service's same-named alias action is dropped.
    assert cat.actions_for_operation("GetObject", "s3") == (
        "s3:GetObject",
        "s3:GetObjectVersion",
    )
    # ...and the curated S3 overrides still apply.
    assert cat.actions_for_operation("ListObjectsV2", "s3") == ("s3:ListBucket",)
    # Condition key types come from AWS, descriptions from the bundle.
    tls = cat.condition_key("s3:TlsVersion")
    assert tls is not None
    assert tls.type == "Numeric"
    assert tls.description
    # Dependent actions overlay survives.
    assert cat.dependent_actions("lambda:CreateFunction")[:1] == ("iam:PassRole",)


def test_update_keeps_bundled_data_for_a_failed_service(
    server: str, cache_home: Path
) -> None:
    # 1 of 3 services failing is more than a tenth: nothing written.
    with pytest.raises(UpdateError, match="1 of 3 services failed"):
        update_catalog(base_url=server + "/partial/", timeout=5, jobs=2)
    assert not cache_path().exists()
    load_catalog.cache_clear()
    assert load_catalog().info().origin == "bundled"


def test_update_http_error_is_one_line(server: str, cache_home: Path) -> None:
    with pytest.raises(UpdateError) as err:
        update_catalog(base_url=server + "/broken/", timeout=5)
    assert "HTTP 500" in str(err.value)
    assert "\n" not in str(err.value)
    assert not cache_path().exists()


def test_update_non_json_listing(server: str, cache_home: Path) -> None:
    with pytest.raises(UpdateError, match="not JSON"):
        update_catalog(base_url=server + "/garbage/", timeout=5)


def test_stale_or_corrupt_cache_is_ignored(cache_home: Path) -> None:
    target = cache_home / "accessdenied" / "catalog.json.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x1f\x8b not really gzip")
    assert load_catalog().info().origin == "bundled"
    load_catalog.cache_clear()
    header, rest = gzip.decompress(_bundled_bytes()).split(b"\n", 1)
    old = json.loads(header)
    old["data_date"] = "2020-01-01"
    target.write_bytes(gzip.compress(json.dumps(old).encode() + b"\n" + rest))
    load_catalog.cache_clear()
    assert load_catalog().info().origin == "bundled"
    # The same file with a newer date is preferred.
    old["data_date"] = "2099-01-01"
    target.write_bytes(gzip.compress(json.dumps(old).encode() + b"\n" + rest))
    load_catalog.cache_clear()
    assert load_catalog().info().origin == "cache"
    # Truncated: ignored.
    target.write_bytes(gzip.compress(json.dumps(old).encode() + b"\n"))
    load_catalog.cache_clear()
    assert load_catalog().info().origin == "bundled"


def _bundled_bytes() -> bytes:
    from accessdenied.catalog import bundled_path

    return bundled_path().read_bytes()


def _cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    return subprocess.run(
        [sys.executable, "-m", "accessdenied", "catalog", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_update_then_info(server: str, tmp_path: Path) -> None:
    done = _cli("update", "--url", server + "/ok/", "--timeout", "5", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "catalog updated" in done.stdout
    info = _cli("info", "--format", "json", cache=tmp_path)
    assert info.returncode == 0
    doc = json.loads(info.stdout)
    assert doc["origin"] == "cache"
    assert doc["operations"] == 6


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_cli_update_offline_fails_cleanly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    done = _cli("update", "--url", url, "--timeout", "2", cache=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("accessdenied catalog update: cannot reach")
    assert "bundled catalog stays in use" in lines[0]
    assert not (tmp_path / "accessdenied").exists()
    info = _cli("info", "--format", "json", cache=tmp_path)
    assert json.loads(info.stdout)["origin"] == "bundled"
