"""Project config: TOML and pyproject loading, schema validation with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessdenied.workspace import ConfigError, find_config, load_config
from tests.paths import EXAMPLES


def test_load_config_examples_principals_and_resources() -> None:
    cfg = load_config(EXAMPLES)
    assert cfg.source == EXAMPLES / ".accessdenied.toml"
    assert [p.arn for p in cfg.principals] == [
        "arn:aws:iam::111122223333:role/app-role",
        "arn:aws:iam::111122223333:role/ci-deployer",
    ]
    assert cfg.principals[0].identity_policies == ("policies/app-role.json",)
    assert cfg.resources[0].arn == "arn:aws:s3:::acme-reports*"
    assert cfg.resources[0].kind == "resource"


def test_load_config_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.accessdenied]\nexclude = ["vendor/**"]\n\n'
        '[[tool.accessdenied.principals]]\narn = "arn:aws:iam::1:role/r"\n'
        'identity_policies = "iam/r.json"\nboundary = "iam/boundary.json"\n\n'
        "[tool.accessdenied.organization]\n"
        'scps = [["org/root.json"], ["org/ou-*.json"]]\nmanagement_account = "999999999999"\n'
    )
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    cfg = load_config(tmp_path)
    assert cfg.exclude == ("vendor/**",)
    assert cfg.principals[0].identity_policies == ("iam/r.json",)
    assert cfg.principals[0].boundary == "iam/boundary.json"
    assert cfg.organization.scps == (("org/root.json",), ("org/ou-*.json",))
    assert cfg.organization.management_account == "999999999999"


def test_load_config_no_file_gives_empty_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    cfg = load_config(tmp_path)
    assert cfg.source is None
    assert cfg.principals == ()
    assert cfg.naming_enabled


def test_load_config_kms_resource_kind_inferred(tmp_path: Path) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        '[[resources]]\narn = "arn:aws:kms:us-east-1:1:key/*"\npolicy = "key.json"\n'
    )
    assert load_config(tmp_path).resources[0].kind == "kms"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('[[principals]]\narn = "a"\nidentity_policy = ["x"]\n', 1, "identity_policy"),
        (
            '[[principals]]\narn = "a"\n\n[[principals]]\narn = "b"\nboundary = 3\n',
            6,
            "principals.1.boundary",
        ),
        ('[[resources]]\narn = "x"\n', 1, "'policy' is a required property"),
        ('[organization]\nmanagement_account = "12"\n', 2, "management_account"),
        ("[[principals]\n", 1, "invalid TOML"),
    ],
)
def test_load_config_errors_name_the_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    (tmp_path / ".accessdenied.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.line == line
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"{tmp_path / '.accessdenied.toml'}:{line}: ")


def test_config_schema_is_valid_draft_2020_12() -> None:
    import jsonschema

    from accessdenied.workspace.config import config_schema

    jsonschema.Draft202012Validator.check_schema(dict(config_schema()))


def test_role_path_in_config_matches_sso_session(tmp_path: Path) -> None:
    """A mapping for a role with a path matches its sessions (which carry no path)."""
    from accessdenied.workspace import build_index

    (tmp_path / ".git").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "dev.json").write_text(
        '{"Version": "2012-10-17", "Statement": []}'
    )
    (tmp_path / ".accessdenied.toml").write_text(
        "[[principals]]\n"
        'arn = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/'
        'eu-west-1/AWSReservedSSO_Dev_0123456789abcdef"\n'
        'identity_policies = ["policies/dev.json"]\n'
        "[[principals]]\n"
        'arn = "arn:aws:iam::111122223333:role/team/*"\n'
        'identity_policies = ["policies/dev.json"]\n'
    )
    index = build_index(tmp_path)
    session = (
        "arn:aws:sts::111122223333:assumed-role/"
        "AWSReservedSSO_Dev_0123456789abcdef/alice@example.com"
    )
    refs = index.policies_for(session)
    assert [r.path.name for r in refs] == ["dev.json"]
    assert refs[0].target is not None
    assert "aws-reserved" in refs[0].target
    other = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Ops_1/bob"
    # A wildcard name under a path is not widened to every role.
    assert index.policies_for(other) == ()
