"""Policy types from the project configuration (named files, folder conventions)."""

from __future__ import annotations

from pathlib import Path

from accessdenied.workspace.config import parse_config
from accessdenied.workspace.policy_types import policy_type_for


def test_named_files_and_folder_conventions(tmp_path: Path) -> None:
    cfg = parse_config(
        {
            "principals": [
                {
                    "arn": "arn:aws:iam::111122223333:role/app",
                    "trust_policy": "iam/app-trust.json",
                    "boundary": "iam/boundary.json",
                }
            ],
            "resources": [
                {"arn": "arn:aws:kms:us-east-1:111122223333:key/*", "policy": "k.json"}
            ],
            "organization": {"rcps": [["org/rcp/*.json"]]},
            "policy_types": {"buckets/**": "s3-bucket", "managed/*.json": "managed"},
        },
        tmp_path,
        tmp_path / ".accessdenied.toml",
    )

    def hint(rel: str) -> tuple[str, str | None, str] | None:
        h = policy_type_for(cfg, tmp_path / rel)
        return None if h is None else (h.policy_type, h.attachment, h.source)

    assert hint("iam/app-trust.json") == (
        "trust",
        "role-trust",
        "config: .accessdenied.toml principals[0].trust_policy",
    )
    assert hint("iam/boundary.json")[:2] == ("permissions-boundary", None)  # type: ignore[index]
    assert hint("k.json")[:2] == ("resource", "kms-key")  # type: ignore[index]
    assert hint("org/rcp/deny.json")[:2] == ("rcp", None)  # type: ignore[index]
    assert hint("buckets/logs/policy.json") == (
        "resource",
        "s3-bucket",
        "folder: .accessdenied.toml policy_types 'buckets/**'",
    )
    assert hint("managed/read.json")[:2] == ("identity", "managed")  # type: ignore[index]
    assert hint("elsewhere/p.json") is None


def test_bad_policy_type_value_is_a_config_error(tmp_path: Path) -> None:
    import pytest

    from accessdenied.workspace.config import ConfigError

    with pytest.raises(ConfigError, match="policy_types"):
        parse_config({"policy_types": {"a/**": "bucket"}}, tmp_path)
