"""Real Neovim: the quick fix lands where the policy lives, in IaC files.

A CloudFormation YAML role (inline `Policies`), a SAM function's `Policies` (its implicit role,
deployed as `<stack>-<LogicalId>Role-<suffix>`; YAML and JSON templates), a Terraform `aws_iam_role_policy` with
`policy = jsonencode({...})` and a `data "aws_iam_policy_document"` (tests/workspaces/e2e-*):
headless Neovim 0.11 opens the log, gets the denial diagnostic, applies the first quick fix and
saves. The IaC file must still parse (PyYAML with CloudFormation's tags; json; python-hcl2), carry the
denied action in one more place than before, and be the only file changed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from tests.e2e.test_nvim_routing import _drive
from tests.paths import WORKSPACES

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("nvim")]


class _CfnLoader(yaml.SafeLoader):
    """safe_load plus CloudFormation's short intrinsic forms (`!Sub`, `!GetAtt`, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def _load_cfn(text: str) -> Any:
    return yaml.load(text, Loader=_CfnLoader)  # a SafeLoader subclass


@dataclass(frozen=True)
class Case:
    log: str
    action: str
    iac: str
    parse: Callable[[str], Any]


CASES = {
    "e2e-cfn-yaml": Case(
        "logs/export.log", "s3:PutObject", "infra/export-worker.yaml", _load_cfn
    ),
    "e2e-sam": Case("logs/invoke.log", "sqs:SendMessage", "template.yaml", _load_cfn),
    "e2e-sam-json": Case(
        "logs/invoke.log", "sqs:SendMessage", "template.json", json.loads
    ),
    "e2e-tf-jsonencode": Case(
        "logs/ingest.log", "sqs:SendMessage", "iam/ingest.tf", hcl2.loads
    ),
    "e2e-tf-policy-document": Case(
        "logs/lambda.log", "s3:PutObject", "lambda.tf", hcl2.loads
    ),
}


@pytest.mark.parametrize("scenario", list(CASES))
def test_nvim_quickfix_lands_in_iac(scenario: str, tmp_path: Path) -> None:
    case = CASES[scenario]
    ws = tmp_path / scenario
    shutil.copytree(WORKSPACES / scenario, ws)
    iac = ws / case.iac
    files = [p for p in ws.rglob("*") if p.is_file()]
    before = {p: p.read_bytes() for p in files}
    mentions = json.dumps(case.parse(iac.read_text())).count(case.action)

    result = _drive(ws, case.log, case.action, tmp_path)

    assert result["actions"], "no quick fix for the denial"
    assert [Path(p).resolve() for p in result["modified"]] == [iac.resolve()], result
    changed = [p for p, data in before.items() if p.read_bytes() != data]
    assert changed == [iac], changed
    parsed = case.parse(iac.read_text())  # still parses
    assert json.dumps(parsed).count(case.action) == mentions + 1, iac.read_text()
