"""Output contracts several suites assert (shared/DESIGN.md, docs/cli.md)."""

from __future__ import annotations

#: The keys of one denial in `accessdenied scan --format json`, in their order.
SCAN_DENIAL_KEYS = (
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "principal",
    "action",
    "resource",
    "decision",
    "policy_type",
    "policy_arn",
    "service",
    "operation",
    "encoded_message",
    "request_id",
    "text",
)
