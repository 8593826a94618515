"""Position-aware YAML parsing into the `jsonpos` node tree (CloudFormation-aware).

`parse_yaml(text)` turns a YAML document into the same `JsonNode` tree `parse_json`
builds, every node carrying its span in the file. CloudFormation short-form intrinsics
(`!Sub`, `!Ref`, `!GetAtt`, `!If`, ...) are kept as tagged nodes: a one-member object
shaped like the long form (`{"Fn::Sub": ...}`, `{"Ref": ...}`) whose key spans the tag
and has the tag text (`"!Sub"`) as its `raw`, so consumers read JSON and YAML
templates alike. `resolve_intrinsics` turns intrinsics into placeholder strings
("${...}") for the policy checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accessdenied import safeio
from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonBool,
    JsonMember,
    JsonNode,
    JsonNull,
    JsonNumber,
    JsonObject,
    JsonString,
)
from accessdenied.policy.model import Finding
from accessdenied.text import LineIndex

__all__ = [
    "IntrinsicString",
    "YamlParse",
    "branches",
    "has_condition_branch",
    "intrinsic_name",
    "is_no_value",
    "is_short_form",
    "parse_yaml",
    "resolve_intrinsics",
]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True, slots=True)
class IntrinsicString(JsonString):
    """A string standing for a CloudFormation intrinsic (placeholder or Fn::Sub).

    Its `${...}` are CloudFormation's, not policy variables.
    """


@dataclass(frozen=True, slots=True)
class YamlParse:
    """A YAML parse: the root node (None when empty or unparseable) and its errors."""

    root: JsonNode | None
    errors: tuple[Finding, ...]
    lines: LineIndex


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, lines: LineIndex | None = None) -> YamlParse:
    """Parse the first YAML document of `text`; a syntax error is a `yaml-syntax` finding.

    Never raises for bad input (an absurdly nested document yields no root).
    """
    import yaml

    lines = lines if lines is not None else LineIndex(text)
    try:
        node = yaml.compose(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        off = lines.offset(mark.line + 1, mark.column + 1) if mark is not None else 0
        msg = getattr(exc, "problem", None) or str(exc)
        finding = Finding(
            "yaml-syntax",
            "error",
            lines.span(off, min(off + 1, len(text))),
            f"YAML: {msg}",
        )
        return YamlParse(None, (finding,), lines)
    except (RecursionError, ValueError):  # pragma: no cover - pathological input
        return YamlParse(None, (), lines)
    if node is None:
        return YamlParse(None, (), lines)
    if safeio.yaml_too_large(node):  # billion laughs: aliases expanding without end
        finding = Finding(
            "yaml-syntax",
            "error",
            lines.span(0, min(1, len(text))),
            "YAML: aliases expand to too many nodes (or the document contains "
            "itself); not read",
        )
        return YamlParse(None, (finding,), lines)
    try:
        root = _YamlConverter(text, lines).convert(node)
    except RecursionError:  # pragma: no cover - absurdly nested input
        return YamlParse(None, (), lines)
    return YamlParse(root, (), lines)


class _YamlConverter:
    def __init__(self, text: str, lines: LineIndex) -> None:
        self.text = text
        self.lines = lines

    def off(self, mark: Any) -> int:
        # Line/column (code points) rather than `index`: libyaml's index is not
        # guaranteed to count code points.
        return int(self.lines.offset(mark.line + 1, mark.column + 1))

    def convert(self, node: Any, tagged: bool = False) -> JsonNode:
        import yaml

        s, e = self.off(node.start_mark), self.off(node.end_mark)
        # A block node's end mark sits at the start of the next token: trim the
        # trailing white space so spans end on the node's last line.
        while e > s and self.text[e - 1] in " \t\r\n":
            e -= 1
        tag = node.tag or ""
        if tag.startswith("!") and not tagged:
            return self.tagged(node, tag, s, e)
        if isinstance(node, yaml.MappingNode):
            members = []
            for k, v in node.value:
                key = self.convert(k)
                if not isinstance(key, JsonString):
                    key = JsonString(
                        key.start, key.end, self.lines, str(key.to_python()), "", True
                    )
                members.append(JsonMember(key, self.convert(v), None))
            return JsonObject(s, e, self.lines, tuple(members), s, None, ())
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.convert(v) for v in node.value)
            return JsonArray(s, e, self.lines, items, s, None, ())
        value = node.value
        if tagged:  # the argument of a short-form intrinsic: its text after the tag
            s = self._after_tag(s, e, tag)
            return JsonString(s, e, self.lines, value, self.text[s:e], True)
        raw = self.text[s:e]
        if not node.style:  # plain scalar (libyaml reports "", PyYAML None)
            if tag == _BOOL_TAG:
                return JsonBool(
                    s, e, self.lines, value.lower() in ("true", "yes", "on")
                )
            if tag == _NULL_TAG:
                return JsonNull(s, e, self.lines)
            if tag in (_INT_TAG, _FLOAT_TAG):
                try:
                    num: int | float = int(value) if tag == _INT_TAG else float(value)
                    return JsonNumber(s, e, self.lines, num, value)
                except ValueError:
                    pass
        return JsonString(s, e, self.lines, value, raw, True)

    def _after_tag(self, s: int, e: int, tag: str) -> int:
        t = self.text
        if t.startswith(tag, s):
            s += len(tag)
            while s < e and t[s] in " \t\r\n":
                s += 1
        return s

    def tagged(self, node: Any, tag: str, s: int, e: int) -> JsonObject:
        """`!Name arg` as the long form `{"Fn::Name": arg}`; the key spans the tag."""
        name = tag[1:]
        long_name = name if name in ("Ref", "Condition") else f"Fn::{name}"
        tag_end = s + len(tag) if self.text.startswith(tag, s) else s
        key = JsonString(s, tag_end, self.lines, long_name, tag, True)
        value = self.convert(node, tagged=True)
        return JsonObject(
            s, e, self.lines, (JsonMember(key, value, None),), s, None, ()
        )


def intrinsic_name(node: JsonObject) -> str | None:
    """The intrinsic function of a one-member `{"Ref"|"Fn::*"|"Condition": ...}` object."""
    if len(node.members) == 1:
        k = node.members[0].key.value
        if k == "Ref" or k.startswith("Fn::") or k == "Condition":
            return k
    return None


def is_short_form(node: JsonObject) -> bool:
    """Whether an intrinsic object came from a YAML tag (`!Sub ...`)."""
    return len(node.members) == 1 and node.members[0].key.raw.startswith("!")


def _placeholder(node: JsonNode, label: str) -> JsonString:
    raw = node.lines.text[node.start : node.end]
    return IntrinsicString(
        node.start, node.end, node.lines, "${" + label + "}", raw, True
    )


def has_condition_branch(node: JsonNode | None) -> bool:
    """Whether `node` holds an `Fn::If` anywhere (so it has two readings)."""
    if isinstance(node, JsonObject):
        if intrinsic_name(node) == "Fn::If":
            return True
        return any(has_condition_branch(m.value) for m in node.members)
    if isinstance(node, JsonArray):
        return any(has_condition_branch(i) for i in node.items)
    return False


def branches(node: JsonNode) -> list[JsonNode]:
    """Both readings of a node that is itself an `Fn::If` (recursively), else [node]."""
    if (
        isinstance(node, JsonObject)
        and intrinsic_name(node) == "Fn::If"
        and isinstance(node.members[0].value, JsonArray)
        and len(node.members[0].value.items) >= 3
    ):
        _cond, yes, no = node.members[0].value.items[:3]
        return [*branches(yes), *branches(no)]
    return [node]


def is_no_value(node: JsonNode | None) -> bool:
    """`{"Ref": "AWS::NoValue"}` / `!Ref AWS::NoValue`: the element is removed."""
    if not isinstance(node, JsonObject) or intrinsic_name(node) != "Ref":
        return False
    arg = node.members[0].value
    return isinstance(arg, JsonString) and arg.value == "AWS::NoValue"


def resolve_intrinsics(node: JsonNode, branch: int = 1) -> JsonNode:
    """Replace CloudFormation intrinsic objects by placeholder strings.

    `Fn::Sub` becomes its template string (its `${...}` read like policy variables),
    `Fn::If` its first branch (`branch=2`: its second), `Ref AWS::NoValue` removes the
    member or item holding it, anything else a "${Fn::Name}" placeholder.
    """
    if isinstance(node, JsonObject):
        fn = intrinsic_name(node)
        if fn is not None:
            return _resolve_one(node, fn, branch)
        members = []
        for m in node.members:
            if m.value is None:
                members.append(m)
                continue
            v = _pick(m.value, branch)
            if v is None:
                continue
            members.append(JsonMember(m.key, resolve_intrinsics(v, branch), m.colon))
        return JsonObject(
            node.start,
            node.end,
            node.lines,
            tuple(members),
            node.open,
            node.close,
            node.commas,
        )
    if isinstance(node, JsonArray):
        items = []
        for i in node.items:
            v = _pick(i, branch)
            if v is not None:
                items.append(resolve_intrinsics(v, branch))
        return JsonArray(
            node.start,
            node.end,
            node.lines,
            tuple(items),
            node.open,
            node.close,
            node.commas,
        )
    return node


def _pick(node: JsonNode, branch: int) -> JsonNode | None:
    """The chosen branch of an `Fn::If` (None when it is `AWS::NoValue`)."""
    while (
        isinstance(node, JsonObject)
        and intrinsic_name(node) == "Fn::If"
        and isinstance(node.members[0].value, JsonArray)
        and len(node.members[0].value.items) >= 3
    ):
        node = node.members[0].value.items[1 if branch == 1 else 2]
    return None if is_no_value(node) else node


def _resolve_one(node: JsonObject, fn: str, branch: int) -> JsonNode:
    arg = node.members[0].value
    short = is_short_form(node)
    if fn == "Fn::Sub":
        s = arg.items[0] if isinstance(arg, JsonArray) and arg.items else arg
        if isinstance(s, JsonString):
            raw = node.lines.text[node.start : node.end] if short else s.raw
            return IntrinsicString(node.start, node.end, node.lines, s.value, raw, True)
    if fn == "Fn::If" and isinstance(arg, JsonArray) and len(arg.items) >= 2:
        pick = arg.items[2] if branch == 2 and len(arg.items) >= 3 else arg.items[1]
        if is_no_value(pick):  # nowhere to remove it from: read as a placeholder
            return _placeholder(pick, "Ref AWS::NoValue")
        return resolve_intrinsics(pick, branch)
    label = fn
    if short and isinstance(arg, JsonString):
        label += f" {arg.value}"  # `!Ref Name` reads "${Ref Name}"
    return _placeholder(node, label)
