"""The pure text pieces: apply_edits, statement removal, Sids, statement synthesis."""

from __future__ import annotations

import json

import pytest

from accessdenied.fixes import TextEdit, apply_edits, build_statement, make_sid
from accessdenied.fixes.edits import detect_style, remove_statement
from accessdenied.fixes.propose import _parse, _statements
from accessdenied.fixes.synthesize import ActionInfo, grant_resource


def test_apply_edits_any_order_non_overlapping() -> None:
    text = "abcdef"
    edits = [TextEdit(4, 5, "E"), TextEdit(0, 0, ">"), TextEdit(1, 3, "")]
    assert apply_edits(text, edits) == ">adEf"


@pytest.mark.parametrize(
    ("index", "expected_sids"),
    [(0, ["B", "C"]), (1, ["A", "C"]), (2, ["A", "B"])],
)
def test_remove_statement_keeps_valid_json(
    index: int, expected_sids: list[str]
) -> None:
    doc = {"Statement": [{"Sid": s, "Effect": "Deny"} for s in "ABC"]}
    for text in (json.dumps(doc, indent=2), json.dumps(doc, separators=(",", ":"))):
        root, _ = _parse(text)
        stmts = _statements(root)
        edit = remove_statement(text, root.get("Statement"), stmts[index])
        new = json.loads(apply_edits(text, [edit]))
        assert [s["Sid"] for s in new["Statement"]] == expected_sids


def test_remove_only_statement_leaves_empty_array() -> None:
    text = '{"Statement": [ {"Sid": "A"} ]}'
    root, _ = _parse(text)
    edit = remove_statement(text, root.get("Statement"), _statements(root)[0])
    assert apply_edits(text, [edit]) == '{"Statement": []}'


@pytest.mark.parametrize(
    ("text", "unit", "newline", "colon"),
    [
        ('{\n  "Version": "1"\n}', "  ", "\n", ": "),
        ('{\n    "Version": "1"\n}', "    ", "\n", ": "),
        ('{\r\n\t"Version": "1"\r\n}', "\t", "\r\n", ": "),
        ('{"Version":"1"}', "", "\n", ":"),
        ("{}", "  ", "\n", ": "),
    ],
)
def test_detect_style(text: str, unit: str, newline: str, colon: str) -> None:
    root, _ = _parse(text)
    style = detect_style(text, root, ())
    assert (style.unit, style.newline, style.colon) == (unit, newline, colon)


def test_make_sid_readable_and_unique_case_insensitively() -> None:
    assert make_sid(["s3:PutObject"], set()) == "AllowS3PutObject"
    assert make_sid(["s3:PutObject"], {"allows3putobject"}) == "AllowS3PutObject2"
    assert (
        make_sid(["s3:PutObject", "kms:Encrypt"], set())
        == "AllowS3PutObjectAndDependencies"
    )


def test_grant_resource_star_only_when_no_resource_level_permissions() -> None:
    info = ActionInfo("s3:ListAllMyBuckets", resource_level=False, resource_type=None)
    assert grant_resource(info, "arn:aws:s3:::x")[0] == "*"
    exact = ActionInfo("s3:GetObject", resource_level=True, resource_type="object")
    assert grant_resource(exact, "arn:aws:s3:::b/k") == (
        "arn:aws:s3:::b/k",
        "exactly the denied object resource",
    )


def test_build_statement_per_policy_kind() -> None:
    session = "arn:aws:sts::1:assumed-role/r/s"
    assert build_statement(
        "identity", ["s3:GetObject"], "arn:aws:s3:::b/k", session, "X"
    ) == {
        "Sid": "X",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/k",
    }
    trust = build_statement(
        "trust", ["sts:AssumeRole"], "arn:aws:iam::1:role/t", session, "T"
    )
    assert trust["Principal"] == {"AWS": "arn:aws:iam::1:role/r"}
    assert "Resource" not in trust
    key = build_statement(
        "kms", ["kms:Decrypt"], "arn:aws:kms:us-east-1:1:key/k", session, "K"
    )
    assert key["Resource"] == "*"


@pytest.mark.parametrize(
    ("principal", "element"),
    [
        ("arn:aws:sts::1:assumed-role/r/s", {"AWS": "arn:aws:iam::1:role/r"}),
        ("arn:aws:iam::1:user/u", {"AWS": "arn:aws:iam::1:user/u"}),
        ("lambda.amazonaws.com", {"Service": "lambda.amazonaws.com"}),
        ("anonymous", "*"),
    ],
)
def test_resource_policy_principal_element(principal: str, element: object) -> None:
    stmt = build_statement(
        "resource", ["s3:GetObject"], "arn:aws:s3:::b/k", principal, "S"
    )
    assert stmt["Principal"] == element
