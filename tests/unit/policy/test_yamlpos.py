"""Position-aware YAML parsing: spans, scalars, CloudFormation short-form tags."""

from __future__ import annotations

from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonBool,
    JsonNumber,
    JsonObject,
    JsonString,
)
from accessdenied.policy.yamlpos import (
    intrinsic_name,
    is_short_form,
    parse_yaml,
    resolve_intrinsics,
)

TEMPLATE = """\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Versioned: true
      Count: 3
      Name: !Sub "${AWS::StackName}-logs"
      Arn: !GetAtt Role.Arn
      Pick: !If [IsProd, "a", "b"]
"""


def _props(root: JsonObject) -> JsonObject:
    res = root.get("Resources")
    assert isinstance(res, JsonObject)
    bucket = res.get("Bucket")
    assert isinstance(bucket, JsonObject)
    props = bucket.get("Properties")
    assert isinstance(props, JsonObject)
    return props


def test_parse_yaml_scalars_keep_types_and_spans() -> None:
    parsed = parse_yaml(TEMPLATE)
    assert parsed.errors == ()
    assert isinstance(parsed.root, JsonObject)
    props = _props(parsed.root)
    versioned = props.get("Versioned")
    assert isinstance(versioned, JsonBool)
    assert versioned.value is True
    count = props.get("Count")
    assert isinstance(count, JsonNumber)
    assert count.value == 3
    assert count.span.start_line == 6
    assert TEMPLATE[count.start : count.end] == "3"


def test_parse_yaml_short_form_tags_are_long_form_objects() -> None:
    parsed = parse_yaml(TEMPLATE)
    assert isinstance(parsed.root, JsonObject)
    props = _props(parsed.root)
    name = props.get("Name")
    assert isinstance(name, JsonObject)
    assert intrinsic_name(name) == "Fn::Sub"
    assert is_short_form(name)
    key = name.members[0].key
    assert key.raw == "!Sub"
    assert TEMPLATE[key.start : key.end] == "!Sub"
    arg = name.members[0].value
    assert isinstance(arg, JsonString)
    assert arg.value == "${AWS::StackName}-logs"
    assert TEMPLATE[arg.start : arg.end] == '"${AWS::StackName}-logs"'
    pick = props.get("Pick")
    assert isinstance(pick, JsonObject)
    assert intrinsic_name(pick) == "Fn::If"
    assert isinstance(pick.members[0].value, JsonArray)


def test_resolve_intrinsics_gives_placeholders() -> None:
    parsed = parse_yaml(TEMPLATE)
    assert parsed.root is not None
    root = resolve_intrinsics(parsed.root)
    assert isinstance(root, JsonObject)
    props = _props(root)
    values = {m.key.value: m.value for m in props.members}
    assert isinstance(values["Name"], JsonString)
    assert values["Name"].value == "${AWS::StackName}-logs"
    assert isinstance(values["Arn"], JsonString)
    assert values["Arn"].value == "${Fn::GetAtt Role.Arn}"
    assert isinstance(values["Pick"], JsonString)
    assert values["Pick"].value == "a"


def test_parse_yaml_syntax_error_is_a_finding() -> None:
    parsed = parse_yaml("Resources:\n  - a\n b: [\n")
    assert parsed.root is None
    assert [f.code for f in parsed.errors] == ["yaml-syntax"]
    assert parsed.errors[0].severity == "error"


def test_parse_yaml_empty_text_has_no_root() -> None:
    parsed = parse_yaml("")
    assert parsed.root is None
    assert parsed.errors == ()
