"""Property tests: truncations and edits of real policies never crash the parser or the
checks, and every finding's span lies inside the document."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from accessdenied.policy import check_text, parse_json, parse_policy
from tests.paths import EXAMPLES, MANAGED_POLICIES, SHARED

SEEDS = [
    p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("policies/*.json"))
]
SEEDS += [
    p.read_text(encoding="utf-8")
    for p in sorted(MANAGED_POLICIES.glob("*.json"))[:40:4]
    if p.stat().st_size < 20_000
]
SEEDS.append('{"Version":"2012-10-17","Statement":[{"Sid":"Ünï😀","Effect":"Allow"}]}')
JUNK = st.sampled_from(
    ['"', "{", "}", "[", "]", ",", ":", "\n", " ", "é", "😀", "\\", "tru", "1e", "/*"]
)


def _assert_inside(text: str, findings: object) -> None:
    for f in findings:  # type: ignore[attr-defined]
        assert 0 <= f.span.start <= f.span.end <= len(text), (f, len(text))
        assert f.span.start_line >= 1
        assert f.span.start_column >= 1
        assert f.code
        assert f.severity in ("error", "warning", "info", "hint")


@settings(max_examples=60)
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_truncations_never_crash(seed: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(seed)))
    text = seed[:cut]
    parsed = parse_json(text)
    _assert_inside(text, parsed.errors)
    if cut < len(seed.rstrip()):
        assert parsed.errors or parsed.root is not None
    _assert_inside(text, check_text(text))


@settings(max_examples=60)
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), JUNK), min_size=1, max_size=4
    ),
)
def test_random_edits_never_crash(
    seed: str, edits: list[tuple[float, int, str]]
) -> None:
    text = seed
    for where, delete, insert in edits:
        i = int(where * len(text))
        text = text[:i] + insert + text[i + delete :]
    _assert_inside(text, parse_json(text).errors)
    doc = parse_policy(text)
    for s in doc.statements:
        assert 0 <= s.span.start <= s.span.end <= len(text)
    for ptype in (None, "resource"):
        _assert_inside(text, check_text(text, ptype))


@settings(max_examples=30)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_valid_json_round_trips(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=1)
    parsed = parse_json(text)
    assert parsed.errors == ()
    assert parsed.root is not None
    assert parsed.root.to_python() == value


def test_one_megabyte_policy_parses_in_bounded_time() -> None:
    stmt = {
        "Sid": "S",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::bucket-ü/*", "arn:aws:s3:::bucket-ü"],
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}},
    }
    stmts = [dict(stmt, Sid=f"S{i}") for i in range(4200)]
    text = json.dumps({"Version": "2012-10-17", "Statement": stmts}, indent=2)
    assert len(text) > 1_000_000
    t0 = time.process_time()
    doc = parse_policy(text)
    elapsed = time.process_time() - t0
    assert doc.syntax_errors == ()
    assert len(doc.statements) == 4200
    assert elapsed < 2.0
    # Damaged in the middle: still bounded, still most of the tree.
    broken = text[: len(text) // 2] + text[len(text) // 2 + 7 :]
    t0 = time.process_time()
    doc = parse_policy(broken)
    assert time.process_time() - t0 < 3.0
    assert len(doc.statements) > 4000
    assert doc.syntax_errors


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "[" * 100_000 + "]" * 100_000
    parsed = parse_json(text)
    assert any("deeply" in e.message for e in parsed.errors)


TEMPLATES = [
    ("t.yaml", (EXAMPLES / "infra" / "report-worker.cfn.yaml").read_text("utf-8")),
    ("main.tf", (EXAMPLES / "infra" / "ingest.tf").read_text("utf-8")),
    (
        "b.tf",
        'resource "aws_s3_bucket_policy" "b" {\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", '
        'Principal = "*", Action = ["s3:GetObject"], Resource = "${aws_s3_bucket.b.arn}/*"'
        ', Condition = { Bool = { "aws:SecureTransport" = true } } }]\n  })\n}\n',
    ),
]


# cfn-lint's fixtures: JSON-string policies in YAML, Fn::If at every level, SAM.
_PEER_CFN = SHARED / "peers" / "cfn"
for _name in (
    "u-identity-string-statements.yaml",
    "f-bad-resources-iam-iam_policy.yaml",
    "f-bad-resources-properties-atleastone.yaml",
    "f-bad-resources-iam-resource_policy.yaml",
):
    if (_PEER_CFN / _name).is_file():
        TEMPLATES.append((_name, (_PEER_CFN / _name).read_text("utf-8")))


@settings(max_examples=80)
@given(
    template=st.sampled_from(TEMPLATES),
    cut=st.floats(0, 1),
    junk=st.lists(st.tuples(st.floats(0, 1), JUNK), max_size=3),
)
def test_templates_truncated_or_edited_never_crash(
    template: tuple[str, str], cut: float, junk: list[tuple[float, str]]
) -> None:
    path, text = template
    text = text[: int(cut * len(text))] if cut < 0.98 else text
    for where, insert in junk:
        i = int(where * len(text))
        text = text[:i] + insert + text[i:]
    from accessdenied.policy import find_policies

    for emb in find_policies(path, text):
        assert 0 <= emb.span.start <= emb.span.end <= len(text)
    _assert_inside(text, check_text(text, None, path))
