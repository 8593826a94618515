"""aws:RequestedRegion for S3 denials, whose ARNs carry no region, against an SCP guard.

The guard is neither blamed for a call AWS did not deny explicitly nor reported satisfied
for a call it did deny; a region the text names is used as such.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from accessdenied.denials import scan_text
from accessdenied.evaluate import Request, evaluate
from accessdenied.explain import explain_denial
from accessdenied.fixes.context import requested_region
from accessdenied.workspace import build_index
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    denial_at,
    fix_write,
    oracle,  # noqa: F401  (fixture)
    single_insertion,
)

EXPORTER = "arn:aws:sts::111122223333:assumed-role/results-writer/run-1"
OBJECT = "arn:aws:s3:::acme-results/out/1.json"
LOG = "logs/export.log"


def _decision(root: Path, action: str, resource: str, region: str) -> str:
    index = build_index(root)
    ps = index.policy_set_for(EXPORTER, resource, action)
    ctx = {"aws:RequestedRegion": region}
    return evaluate(Request(EXPORTER, action, resource, context=ctx), ps).decision


def test_implicit_s3_denial_without_region_does_not_blame_the_region_guard(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-s3-region", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert single_insertion(out.before, out.after) == (
        "              - Sid: AllowS3PutObject\n"
        "                Effect: Allow\n"
        "                Action: s3:PutObject\n"
        '                Resource: !Sub "${ResultsBucket.Arn}/out/1.json"\n'
    )
    assert "aws:RequestedRegion is unknown" in out.err
    assert "region guard DenyOutsideEurope" in out.err
    assert "taken not to have applied" in out.err
    assert "cannot fix with an Allow" not in out.err
    assert cfn_lint(root / "template.yaml") == lint_before
    # The guard still stands: allowed in an allowed region only.
    assert _decision(root, "s3:PutObject", OBJECT, "eu-west-1") == "allowed"
    assert _decision(root, "s3:PutObject", OBJECT, "us-west-2") == "explicit_deny"
    assert _decision(root, "s3:DeleteObject", OBJECT, "eu-west-1") == "implicit_deny"
    other = "arn:aws:s3:::acme-results/out/2.json"
    assert _decision(root, "s3:PutObject", other, "eu-west-1") == "implicit_deny"
    assert_oracle_agrees(
        oracle, root, EXPORTER, ("s3:PutObject", OBJECT), ("s3:DeleteObject", OBJECT)
    )


def test_explicit_scp_denial_without_region_is_not_reported_satisfied(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-s3-region", tmp_path)
    out = fix_write(root, LOG, 4, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert "explicit deny at org/region-guard.json:4:DenyOutsideEurope" in out.err
    assert out.after == out.before
    exp = explain_denial(denial_at(root, LOG, 4), build_index(root))
    assert exp.decision is not None
    assert exp.decision.decision == "explicit_deny"
    assert any("consistent with it" in a for a in exp.assumptions)


def test_a_region_the_text_names_is_used_and_the_guard_applies(tmp_path: Path) -> None:
    root = copy_workspace("cfn-s3-region", tmp_path)
    index = build_index(root)
    d = denial_at(root, LOG, 2)
    inside = replace(
        d, text=d.text + " https://acme-results.s3.eu-west-1.amazonaws.com"
    )
    exp = explain_denial(inside, index)
    assert exp.decision is not None
    assert exp.decision.decision == "implicit_deny"
    assert "aws:RequestedRegion is eu-west-1 (from the endpoint)" in exp.assumptions
    outside = replace(
        d, text=d.text + " https://acme-results.s3.us-west-2.amazonaws.com"
    )
    exp = explain_denial(outside, index)
    assert exp.decision is not None
    assert exp.decision.decision == "explicit_deny"
    assert not any("unknown" in a for a in exp.assumptions)


def test_s3_region_sources_in_the_text() -> None:
    [d] = scan_text(
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f"{EXPORTER} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::acme-results/k"'
    )
    assert requested_region(d) == (None, "")
    for extra, want in (
        (" https://acme-results.s3.eu-central-1.amazonaws.com/k", "the endpoint"),
        (" https://s3-eu-central-1.amazonaws.com/acme-results/k", "the endpoint"),
        (" https://s3.dualstack.eu-central-1.amazonaws.com", "the endpoint"),
        (
            " Credential=AKIAEXAMPLE/20261203/eu-central-1/s3/aws4_request",
            "the request's signature scope",
        ),
        (" 'x-amz-bucket-region': 'eu-central-1'", "the x-amz-bucket-region header"),
    ):
        got = requested_region(replace(d, text=d.text + extra))
        assert got == ("eu-central-1", want), extra


SAMCONFIG = """version = 0.1
[default.deploy.parameters]
stack_name = "results"
region = "eu-central-1"
[default.global.parameters]
region = "eu-central-1"
"""


def test_region_from_the_templates_samconfig(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-s3-region", tmp_path)
    (root / "samconfig.toml").write_text(SAMCONFIG)
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert (
        "aws:RequestedRegion is eu-central-1 (from cfn-s3-region/samconfig.toml, "
        "where the resource's template is deployed)"
    ) in out.err
    assert "unknown" not in out.err
    # A deploy region the SCP guards: the guard is the cause, nothing is written.
    (root / "samconfig.toml").write_text(SAMCONFIG.replace("eu-central-1", "us-west-2"))
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 1
    assert "explicit deny at org/region-guard.json:4:DenyOutsideEurope" in out.err
    assert out.after == out.before


def test_deploy_regions_must_agree(tmp_path: Path) -> None:
    from accessdenied.containers.deployregion import deploy_region, template_regions

    sam = tmp_path / "sam"
    sam.mkdir()
    (sam / "template.yaml").write_text("Resources: {}\n")
    assert template_regions(sam / "template.yaml") == (set(), "")
    (sam / "samconfig.yaml").write_text(
        "version: 0.1\ndefault:\n  deploy:\n    parameters:\n      region: ap-south-1\n"
        "prod:\n  deploy:\n    parameters:\n      region: ap-south-1\n"
    )
    assert deploy_region([sam / "template.yaml"]) == (
        "ap-south-1",
        "sam/samconfig.yaml",
    )
    sls = tmp_path / "sls"
    sls.mkdir()
    (sls / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  region: eu-north-1\n"
    )
    assert template_regions(sls / "serverless.yml") == (
        {"eu-north-1"},
        "provider.region of serverless.yml",
    )
    # Two projects in two regions: unknown, not a guess.
    assert deploy_region([sam / "template.yaml", sls / "serverless.yml"]) is None
    # A variable region says nothing; bad TOML and alias bombs are ignored.
    (sls / "serverless.yml").write_text(
        "service: s\nprovider:\n  region: ${opt:region, 'us-east-1'}\n"
    )
    assert template_regions(sls / "serverless.yml") == (set(), "")
    (sam / "samconfig.yaml").unlink()
    (sam / "samconfig.toml").write_text("[default.deploy.parameters\nregion = 1")
    assert template_regions(sam / "template.yaml") == (set(), "")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (sls / "serverless.yml").write_text(bomb)
    assert template_regions(sls / "serverless.yml") == (set(), "")
