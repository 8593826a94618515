"""Policies written as JSON strings in YAML, in every scalar style, edited in place.

The value each style denotes (escapes, line folding, chomping) is what the fix edits;
the result is judged by loading the YAML and `json.loads` of the value.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from accessdenied.containers import Grant, Site, container_for, locate
from accessdenied.containers.base import NotEditable
from accessdenied.containers.yamlscalar import encode, scalar_map
from accessdenied.fixes import apply_edits
from tests.oracle.oracle import Oracle
from tests.unit.containers.scenario import (
    assert_oracle_agrees,
    cfn_lint,
    copy_workspace,
    decisions,
    fix_write,
    oracle,  # noqa: F401  (fixture)
)

ACCOUNT = "111122223333"
EXPORTER = f"arn:aws:sts::{ACCOUNT}:assumed-role/exporter/export-run"
DISPATCHER = f"arn:aws:sts::{ACCOUNT}:assumed-role/dispatcher/dispatch-run"
OBJECT = "arn:aws:s3:::acme-exports/daily/2026-12-03.csv"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
LOG = "logs/run.log"


def _changed_lines(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    sm = difflib.SequenceMatcher(
        a=before.splitlines(keepends=True),
        b=after.splitlines(keepends=True),
        autojunk=False,
    )
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return [
        (a[i1:i2], b[j1:j2])
        for tag, i1, i2, j1, j2 in sm.get_opcodes()
        if tag != "equal"
    ]


def _policy_value(text: str, role: str) -> tuple[str, dict[str, Any]]:
    loaded = yaml.safe_load(text)
    value = loaded["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    assert isinstance(value, str)
    return value, json.loads(value)


def test_double_quoted_json_string_gets_an_escaped_statement(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-yaml-json-strings", tmp_path)
    lint_before = cfn_lint(root / "template.yaml")
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    ((old, new),) = _changed_lines(out.before, out.after)
    assert len(old) == len(new) == 1
    # Only text inside the quotes was added, escaped as the line's own JSON is.
    head = old[0][: old[0].index("}]}")]
    assert new[0].startswith(head + '}, {\\"Sid\\": \\"AllowS3PutObject\\", ')
    assert new[0].endswith('\\"}]}"\n')
    _, doc = _policy_value(out.after, "Exporter")
    assert doc["Statement"][-1] == {
        "Sid": "AllowS3PutObject",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": OBJECT,
    }
    assert doc["Statement"][0]["Sid"] == "ReadExports"
    assert cfn_lint(root / "template.yaml") == lint_before
    got = decisions(
        root,
        [
            (EXPORTER, "s3:PutObject", OBJECT),
            (EXPORTER, "s3:PutObject", "arn:aws:s3:::acme-exports/daily/other.csv"),
            (EXPORTER, "s3:DeleteObject", OBJECT),
            (DISPATCHER, "s3:PutObject", OBJECT),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle, root, EXPORTER, ("s3:PutObject", OBJECT), ("s3:DeleteObject", OBJECT)
    )


def test_folded_json_string_keeps_its_folding(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    oracle: Oracle,  # noqa: F811
) -> None:
    root = copy_workspace("cfn-yaml-json-strings", tmp_path)
    out = fix_write(root, LOG, 4, "template.yaml", capsys, monkeypatch)
    assert out.status == 0, out.err
    assert _changed_lines(out.before, out.after) == [
        (
            ['            "Effect": "Allow", "Action": "sqs:ReceiveMessage",\n'],
            [
                '            "Effect": "Allow", "Action": ["sqs:ReceiveMessage", '
                '"sqs:DeleteMessage"],\n'
            ],
        )
    ]
    assert "existing statement 'Receive'" in out.err
    value, doc = _policy_value(out.after, "Dispatcher")
    assert "\n" not in value  # still folded into one line by `>-`
    assert doc["Statement"][0]["Action"] == ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    assert cfn_lint(root / "template.yaml") == []
    got = decisions(
        root,
        [
            (DISPATCHER, "sqs:DeleteMessage", QUEUE),
            (DISPATCHER, "sqs:SendMessage", QUEUE),
            (DISPATCHER, "sqs:DeleteMessage", QUEUE + "-dlq"),
        ],
    )
    assert got == ["allowed", "implicit_deny", "implicit_deny"]
    assert_oracle_agrees(
        oracle,
        root,
        DISPATCHER,
        ("sqs:DeleteMessage", QUEUE),
        ("sqs:SendMessage", QUEUE),
    )


HEAD = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      Policies:
        - PolicyName: p
          PolicyDocument: """

GRANT = Grant(
    "identity",
    ("sqs:SendMessage",),
    f"arn:aws:sqs:us-east-1:{ACCOUNT}:out",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/x",
)

STYLES = {
    # Double quotes over several lines: folded line breaks and an escaped one.
    "double-multiline": (
        '"{\\"Version\\": \\"2012-10-17\\",\n'
        '            \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\\n'
        '            \\"Action\\": \\"sqs:ReceiveMessage\\",\n'
        '            \\"Resource\\": \\"*\\"}]}"\n'
    ),
    # \u escapes and \/ stand for the characters they escape.
    "double-unicode": (
        '"{\\u0022Statement\\u0022: [{\\u0022Effect\\u0022: \\u0022Allow\\u0022, '
        "\\u0022Action\\u0022: \\u0022sqs:ReceiveMessage\\u0022, "
        '\\u0022Resource\\u0022: \\u0022arn:aws:sqs:*:*:in\\/x\\u0022}]}"\n'
    ),
    # A pretty-printed document in a folded block: more-indented lines keep breaks.
    "folded-clip": (
        ">\n"
        "            {\n"
        '              "Version": "2012-10-17",\n'
        '              "Statement": [\n'
        '                {"Effect": "Allow", "Action": "sqs:ReceiveMessage",\n'
        '                 "Resource": "*"}\n'
        "              ]\n"
        "            }\n"
    ),
    "folded-keep-blank-lines": (
        ">+\n"
        '            {"Statement": [{"Effect": "Allow",\n'
        "\n"
        '            "Action": "sqs:ReceiveMessage", "Resource": "*"}]}\n'
        "\n"
    ),
    "single-quoted-multiline": (
        '\'{"Statement": [{"Sid": "It\'\'s", "Effect": "Allow",\n'
        '            "Action": "sqs:ReceiveMessage", "Resource": "*"}]}\'\n'
    ),
}


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_scalar_style_reads_back_as_the_intended_document(name: str) -> None:
    text = HEAD + STYLES[name] + "  Other:\n    Type: AWS::SQS::Queue\n"
    node = _document_node(text)
    m = scalar_map(text, node)
    assert m.value == node.value
    b = next(x for x in locate(Path("t.yaml"), text) if x.kind == "identity")
    container = container_for(b.embed)
    assert container is not None
    plan = container.plan_grant(
        text, Site(b.embed, "identity", b.span, b.logical), GRANT
    )
    new = apply_edits(text, plan.edits)
    # Bytes before and after the scalar are unchanged.
    start, end = node.start_mark.index, node.end_mark.index
    grown = len(new) - len(text)
    assert new[:start] == text[:start]
    assert new[end + grown :] == text[end:]
    new_node = _document_node(new)
    assert new_node.style == node.style
    doc = json.loads(
        yaml.safe_load(new)["Resources"]["Role"]["Properties"]["Policies"][0][
            "PolicyDocument"
        ]
    )
    assert doc == plan.after
    # The existing statement untouched, the new one appended after it.
    assert doc["Statement"][:-1] == json.loads(node.value)["Statement"]
    assert doc["Statement"][-1]["Action"] == "sqs:SendMessage"
    assert doc["Statement"][-1]["Resource"] == GRANT.resource


def _document_node(text: str) -> yaml.ScalarNode:
    root = yaml.compose(text)
    assert isinstance(root, yaml.MappingNode)
    node: Any = root
    for key in ("Resources", "Role", "Properties", "Policies", 0, "PolicyDocument"):
        if isinstance(key, int):
            node = node.value[key]
        else:
            node = next(v for k, v in node.value if k.value == key)
    assert isinstance(node, yaml.ScalarNode)
    return node


def test_encode_writes_each_style() -> None:
    assert encode('{"a": "b\\c"}\n', '"', "") == '{\\"a\\": \\"b\\\\c\\"}\\n'
    assert encode("it's", "'", "") == "it''s"
    assert encode("a\nb", ">", "    ") == "a\n    b"
    with pytest.raises(NotEditable):
        encode("a\nb", "'", "")


def test_a_json_string_that_is_not_json_is_explained_and_nothing_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy_workspace("cfn-yaml-json-strings", tmp_path)
    path = root / "template.yaml"
    broken = path.read_text().replace(
        '\\"s3:GetObject\\", \\"Resource', '\\"s3:GetObject\\" \\"Resource'
    )
    path.write_text(broken)
    out = fix_write(root, LOG, 2, "template.yaml", capsys, monkeypatch)
    assert out.status != 0
    assert out.after == broken
