"""IAM policy documents: tolerant parsing with positions, schema and semantic checks.

from accessdenied.policy import parse_json, parse_policy, check_text, find_policies
doc = parse_policy(text)                  # partial tree + syntax errors, never raises
findings = check_text(text, "identity")   # syntax + schema + semantic findings
"""

from __future__ import annotations

from accessdenied.policy.checks import check_document, check_text
from accessdenied.policy.detect import EmbeddedPolicy, find_policies
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
    POLICY_KIND_LABELS,
    POLICY_TYPES,
    Finding,
    PolicyDocument,
    PolicyKind,
    Statement,
    normalize_policy_type,
)

__all__ = [
    "POLICY_KIND_LABELS",
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
    "PolicyKind",
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
