# mypy: disable-error-code="untyped-decorator"
"""Live mode on, against a real moto server: the deployed role differs from the workspace
file, and opening that file shows an Information "deployed policy differs" diagnostic."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.aws.conftest import FAKE_KEY_ID, FAKE_SECRET, moto_endpoint
from tests.lsp.helpers import (
    SERVER,
    diagnostics_for,
    log_errors,
    open_doc,
    start_session,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.xdist_group("lsp-live"),
]

__all__ = ["moto_endpoint"]  # the session fixture, used through `live_env`

ARN = "arn:aws:iam::123456789012:role/app-role"  # moto's default account
WORKSPACE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::acme-reports/*",
        }
    ],
}
DEPLOYED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-reports/*",
        }
    ],
}


@pytest.fixture(scope="module")
def live_env(
    moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Fake credentials + AWS_ENDPOINT_URL in the environment the server inherits, the
    role in moto, and a workspace mapping policies/app-role.json to it."""
    import boto3

    tmp = tmp_path_factory.mktemp("live")
    saved = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(tmp / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="app-role",
        PolicyName="deployed",
        PolicyDocument=json.dumps(DEPLOYED_POLICY),
    )
    root = tmp / "ws"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "app-role.json").write_text(
        json.dumps(WORKSPACE_POLICY, indent=2) + "\n", encoding="utf-8"
    )
    (root / ".accessdenied.toml").write_text(
        f'[[principals]]\narn = "{ARN}"\nidentity_policies = ["policies/app-role.json"]\n',
        encoding="utf-8",
    )
    try:
        yield root.resolve()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, live_env: Path):
    lsp_client.root = live_env  # type: ignore[attr-defined]
    await start_session(
        lsp_client,
        "visual_studio_code",
        live_env,
        settings={
            "aws": {"liveMode": True, "region": "us-east-1"},
            "logs": {"include": []},
        },
    )
    yield
    await lsp_client.shutdown_session()


async def test_drift_diagnostic_on_mapped_policy(
    live_env: Path, client: LanguageClient
) -> None:
    # `live_env` first: the server subprocess inherits the environment it sets.
    root: Path = client.root  # type: ignore[attr-defined]
    path = root / "policies" / "app-role.json"
    uri = path.as_uri()
    open_doc(client, uri, path.read_text(encoding="utf-8"), "json")
    diags = await diagnostics_for(
        client, uri, lambda ds: any(d.code == "live-drift" for d in ds)
    )
    drift = next(d for d in diags if d.code == "live-drift")
    assert drift.severity == types.DiagnosticSeverity.Information
    assert drift.message.startswith(
        "deployed policy differs from policies/app-role.json: missing"
    )
    assert "s3:PutObject" in drift.message
    assert "s3:GetObject" not in drift.message
    status = [m.message for m in client.log_messages if "live AWS mode" in m.message]
    assert any("live AWS mode is on" in m for m in status), status
    assert log_errors(client) == []
    for m in client.log_messages:
        assert FAKE_SECRET not in m.message
