"""Thin access to the pure core for the protocol layer (all calls run in worker threads).

Each function is a plain call into `accessdenied.<pkg>`; nothing here re-implements core
behaviour. A core entry point that is not importable (a partial install) is reported once
as a warning and treated as "no results", so one missing piece never stops the server.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accessdenied.denials.model import Denial

logger = logging.getLogger(__name__)
_missing_reported: set[str] = set()


class CoreUnavailable(RuntimeError):
    """A core entry point is missing from this install."""


def entry(module: str, name: str) -> Any:
    """`accessdenied.<module>.<name>`, or raise `CoreUnavailable` (warned once)."""
    try:
        return getattr(importlib.import_module(f"accessdenied.{module}"), name)
    except (ImportError, AttributeError) as exc:
        key = f"{module}.{name}"
        if key not in _missing_reported:
            _missing_reported.add(key)
            logger.warning("accessdenied.%s is not available: %s", key, exc)
        raise CoreUnavailable(key) from exc


def available(module: str, name: str) -> bool:
    try:
        entry(module, name)
    except CoreUnavailable:
        return False
    return True


def scan_text(text: str) -> list[Denial]:
    return list(entry("denials", "scan_text")(text))


def redact(text: str) -> str:
    """Access keys and secrets masked (the scanner's redaction)."""
    try:
        fn: Callable[[str], str] = entry("denials", "redact")
    except CoreUnavailable:
        return text
    return fn(text)


def log_tail(path: Path) -> Any:
    return entry("denials", "LogTail")(path)


def find_policies(path: str, text: str) -> list[Any]:
    return list(entry("policy", "find_policies")(path, text))


def check_text(text: str, policy_type: str | None, path: str | None) -> list[Any]:
    return list(entry("policy", "check_text")(text, policy_type=policy_type, path=path))


def check_document(doc: Any) -> list[Any]:
    return list(entry("policy", "check_document")(doc))


def parse_policy(text: str) -> Any:
    return entry("policy", "parse_policy")(text)


def parse_json(text: str) -> Any:
    return entry("policy", "parse_json")(text)


def load_catalog() -> Any:
    return entry("catalog", "load_catalog")()


def build_index(root: Path) -> Any:
    """The workspace index (the project config is read by the core; errors kept in it)."""
    return entry("workspace", "build_index")(root)


def propose_fixes(
    denial: Denial, index: Any, read_text: Callable[[str], str]
) -> list[Any]:
    return list(entry("fixes", "propose_fixes")(denial, index, read_text=read_text))


def evaluate_denial(denial: Denial, index: Any) -> Any:
    """The workspace's decision for the denied request, or None when it cannot be asked."""
    if index is None or not denial.principal or not denial.action:
        return None
    request_cls = entry("evaluate", "Request")
    evaluate = entry("evaluate", "evaluate")
    resource = denial.resource or "*"
    policy_set = index.policy_set_for(denial.principal, resource, denial.action)
    request = request_cls(
        principal=denial.principal, action=denial.action, resource=resource
    )
    return evaluate(request, policy_set)
