from __future__ import annotations

import json

import jsonschema
import pytest

from accessdenied.policy import parse_policy
from accessdenied.policy.schema import quick_valid, schema_dir, schema_findings
from tests.paths import MANAGED_POLICIES, REPO

VARIANTS = ("identity", "resource", "trust", "scp", "rcp", "permissions-boundary")


def test_published_schemas_are_valid_draft_2020_12() -> None:
    files = sorted((REPO / "schemas").glob("iam-policy*.schema.json"))
    assert len(files) == 7
    for f in files:
        schema = json.loads(f.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
    assert schema_dir().is_dir()


@pytest.mark.parametrize("ptype", VARIANTS)
def test_quick_path_agrees_with_jsonschema(ptype: str) -> None:
    """The fast path may only say "valid" when jsonschema agrees."""
    files = sorted(MANAGED_POLICIES.glob("*.json"))[:200]
    docs = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    docs += [
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
            ]
        },
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "1"}, "Action": "a"}]},
    ]
    from accessdenied.policy.schema import _validator

    v = _validator(ptype)
    for d in docs:
        if quick_valid(d, ptype):
            assert not list(v.iter_errors(d)), d


def test_error_messages_are_plain_and_on_the_node() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "s3:GetObject", "Resource": "*", "Principle": "*"}]}'
    )
    findings = schema_findings(parse_policy(text, "resource"))
    by_code = {f.code: f for f in findings}
    unknown = by_code["unknown-element"]
    assert text[unknown.span.start : unknown.span.end] == '"Principle"'
    assert 'did you mean "Principal"' in unknown.message
    assert "missing-principal" in by_code
