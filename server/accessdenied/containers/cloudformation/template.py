"""CloudFormation template reading: JSON or YAML text -> Python values with spans.

`load_template` parses either syntax (YAML short-form intrinsics become their long form,
mappings keep value offsets under `__spans__`); `json_spans` maps a key path of a JSON
template to the offsets of its value.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from accessdenied import safeio
from accessdenied.containers.base import EditError, Span2

SPANS = "__spans__"
KEY_SPANS = "__keyspans__"


def yaml_tree(node: yaml.Node) -> Any:
    """Python value of a composed YAML node; dicts keep value spans under `__spans__`.

    Short-form intrinsics become their long form (`!GetAtt A.Arn` -> `{"Fn::GetAtt":
    ["A", "Arn"]}`), as CloudFormation reads them.
    """
    tag = node.tag or ""
    if isinstance(node, yaml.ScalarNode):
        value: Any = node.value
        if not tag.startswith("!") and node.style is None:
            value = _plain_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = [yaml_tree(n) for n in node.value]
    else:
        value = {}
        spans: dict[str, Span2] = {}
        for k, v in node.value:
            key = str(k.value)
            value[key] = yaml_tree(v)
            spans[key] = (v.start_mark.index, v.end_mark.index)
        value[SPANS] = spans
    if tag.startswith("!"):
        name = tag[1:]
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        fn = (
            "Ref"
            if name == "Ref"
            else "Condition"
            if name == "Condition"
            else f"Fn::{name}"
        )
        return {fn: value}
    return value


def _plain_scalar(node: yaml.ScalarNode) -> Any:
    """Booleans, nulls and numbers as YAML 1.1 reads them (strings stay strings)."""
    tag = node.tag or ""
    if tag.endswith(":bool"):
        return node.value.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":null"):
        return None
    if tag.endswith(":int") or tag.endswith(":float"):
        try:
            return int(node.value) if tag.endswith(":int") else float(node.value)
        except ValueError:
            return node.value
    return node.value


def strip_spans(value: Any) -> Any:
    """The value without the `__spans__` bookkeeping."""
    if isinstance(value, dict):
        return {
            k: strip_spans(v) for k, v in value.items() if k not in (SPANS, KEY_SPANS)
        }
    if isinstance(value, list):
        return [strip_spans(v) for v in value]
    return value


def looks_like_cloudformation(text: str) -> bool:
    """Cheap sniff: a template mentions AWSTemplateFormatVersion or AWS:: resource types."""
    return "AWSTemplateFormatVersion" in text or (
        "Resources" in text and re.search(r"AWS::[A-Za-z0-9]+::", text) is not None
    )


class TemplateError(EditError):
    """The template does not parse."""


def load_template(text: str, is_json: bool | None = None) -> dict[str, Any]:
    """The template as Python values (YAML dicts carry `__spans__`); TemplateError."""
    if is_json is None:
        is_json = text.lstrip().startswith("{")
    try:
        if is_json:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TemplateError("the template is not a JSON object")
            return data
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise TemplateError(
            f"the template does not parse ({where}{exc.problem or exc})"
        ) from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise TemplateError(f"the template does not parse ({exc})") from exc
    if node is None:
        raise TemplateError("the template is empty")
    if safeio.yaml_too_large(node):  # billion laughs: aliases expanding without end
        raise TemplateError("the template's YAML aliases expand too far; not read")
    tree = yaml_tree(node)
    if not isinstance(tree, dict):
        raise TemplateError("the template is not a mapping")
    return tree


def json_spans(text: str) -> Any:
    """A lookup from a key path to the offsets of that value, via policy.parse_json."""
    from accessdenied.policy import parse_json

    root = parse_json(text).root

    def lookup(keys: tuple[Any, ...]) -> Span2 | None:
        node: Any = root
        for key in keys:
            if node is None:
                return None
            if isinstance(key, int):
                items = getattr(node, "items", None)
                node = items[key] if items is not None and key < len(items) else None
            else:
                get = getattr(node, "get", None)
                node = get(key) if get is not None else None
        if node is None:
            return None
        return (node.span.start, node.span.end)

    return lookup
