"""Documents built to exhaust the stack or memory: deep JSON/TOML nesting and YAML
"billion laughs" aliases are findings or config errors, within seconds, never a crash."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from accessdenied.cli import main
from accessdenied.workspace import build_index

LAUGHS = (
    'AWSTemplateFormatVersion: "2010-09-09"\n'
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
    "      RoleName: app-role\n      Policies: *i\n"
)
RECURSIVE = (
    'AWSTemplateFormatVersion: "2010-09-09"\n'
    "Resources: &r\n  R:\n    Type: AWS::IAM::Role\n    Properties: *r\n"
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_deeply_nested_json_policy_does_not_break_the_index(here: Path) -> None:
    deep = '{"Version": "2012-10-17", "Statement": ' + "[" * 100_000 + "]" * 100_000
    (here / "deep.json").write_text(deep + "}", encoding="utf-8")
    index = build_index(here)
    info = index.file_info(here / "deep.json")
    assert info is not None
    assert info.document is None


def test_deeply_nested_toml_config_is_a_config_error(here: Path) -> None:
    (here / ".accessdenied.toml").write_text(
        "x = " + "[" * 50_000 + "1" + "]" * 50_000 + "\n", encoding="utf-8"
    )
    index = build_index(here)
    assert index.config_error is not None
    assert str(index.config_error).endswith("invalid TOML: nested too deeply")


@pytest.mark.parametrize("text", [LAUGHS, RECURSIVE], ids=["billion-laughs", "self"])
def test_yaml_alias_bombs_are_refused_quickly(
    here: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (here / "template.yaml").write_text(text, encoding="utf-8")
    start = time.monotonic()
    index = build_index(here)
    # The template is known but not read: no document, never an edit target.
    for ref in index.refs:
        assert index.document(ref) is None
        assert (
            ref.not_editable == "the template's YAML aliases expand too far; not read"
        )
    assert main(["check", "template.yaml", "--format", "json"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert (f["code"], f["line"]) == ("yaml-syntax", 1)
    assert "aliases expand to too many nodes" in f["message"]
    assert time.monotonic() - start < 10
