"""IAM policy documents: tolerant parsing with positions, schema and semantic checks.

from accessdenied.policy import parse_json, parse_policy, check_text, find_policies
doc = parse_policy(text)                  # partial tree + syntax errors, never raises
findings = check_text(text, "identity")   # syntax + schema + semantic findings
"""

from __future__ import annotations

from typing import Any

from accessdenied.policy.document import build_document, parse_policy
from accessdenied.policy.jsonpos import (
    JsonArray,
    JsonBool,
    JsonMember,
    JsonNode,
    JsonNull,
    JsonNumber,
    JsonObject,
    JsonParse,
    JsonString,
    iter_nodes,
    node_at,
    parse_json,
)
from accessdenied.policy.model import (
    POLICY_TYPES,
    Finding,
    PolicyDocument,
    Statement,
    normalize_policy_type,
)

__all__ = [
    "POLICY_TYPES",
    "EmbeddedPolicy",
    "Finding",
    "JsonArray",
    "JsonBool",
    "JsonMember",
    "JsonNode",
    "JsonNull",
    "JsonNumber",
    "JsonObject",
    "JsonParse",
    "JsonString",
    "PolicyDocument",
    "Statement",
    "build_document",
    "check_document",
    "check_text",
    "find_policies",
    "iter_nodes",
    "node_at",
    "normalize_policy_type",
    "parse_json",
    "parse_policy",
]


def __getattr__(name: str) -> Any:
    # The checks and the detectors pull in the catalog, jsonschema and PyYAML: load them
    # only when asked for.
    if name in ("check_text", "check_document"):
        from accessdenied.policy import checks

        return getattr(checks, name)
    if name in ("find_policies", "EmbeddedPolicy"):
        from accessdenied.policy import detect

        return getattr(detect, name)
    raise AttributeError(name)
