"""A real moto server process (one per test session and xdist worker) and fake credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

# Distinctive fake credentials: tests assert they never appear in any message or log.
FAKE_KEY_ID = "AKIAFAKEKEYID0TESTING"
FAKE_SECRET = "fakeSecretAccessKey/testing+ONLY0000000000"
FAKE_TOKEN = "FakeSessionTokenForTestingOnly0123456789abcdefXYZ"
FAKE_CREDENTIALS = (FAKE_KEY_ID, FAKE_SECRET, FAKE_TOKEN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m moto.server` on 127.0.0.1:<free port>, with AWS managed policies loaded."""
    port = _free_port()
    env = {
        **os.environ,
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
    }
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"moto server did not start: {log.read_text(errors='replace')}"
                    ) from None
                time.sleep(
                    0.05
                )  # polling a child process's readiness, not a fixed wait
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Fake credentials only via the environment; no config files, no profile."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto_env(
    moto_endpoint: str, fake_aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Fake credentials plus AWS_ENDPOINT_URL pointing every client at the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint
