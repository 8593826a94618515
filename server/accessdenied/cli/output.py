"""Shared CLI printers: SARIF 2.1.0 logs and TTY colour helpers (`scan` and `check` use them)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from accessdenied import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFO_URI = "https://github.com/accessdenied-lsp/accessdenied-lsp"


@dataclass(frozen=True, slots=True)
class SarifRule:
    """One reportingDescriptor: a rule id, a short description and a default level."""

    id: str
    short: str
    level: str = "error"  # "error" | "warning" | "note" | "none"
    help_text: str | None = None


@dataclass(frozen=True, slots=True)
class SarifResult:
    """One result: rule, message and a 1-based region in `file` (exclusive end column)."""

    rule_id: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    level: str | None = None
    properties: Mapping[str, Any] | None = None
    snippet: str | None = None


def sarif_level(severity: str) -> str:
    """Map "error"/"warning"/"info"/"hint" severities onto SARIF levels."""
    return {"error": "error", "warning": "warning", "info": "note", "hint": "note"}.get(
        severity, "warning"
    )


def _uri(file: str) -> str:
    if file == "-":
        return "stdin"
    return file.replace(os.sep, "/")


def sarif_log(
    tool_rules: Sequence[SarifRule],
    results: Iterable[SarifResult],
    tool_name: str = "accessdenied",
) -> dict[str, Any]:
    """A complete SARIF 2.1.0 log with one run."""
    rule_index = {r.id: i for i, r in enumerate(tool_rules)}
    out_results: list[dict[str, Any]] = []
    for r in results:
        region: dict[str, Any] = {
            "startLine": max(r.line, 1),
            "startColumn": max(r.column, 1),
            "endLine": max(r.end_line, 1),
            "endColumn": max(r.end_column, 1),
        }
        if r.snippet is not None:
            region["snippet"] = {"text": r.snippet}
        res: dict[str, Any] = {
            "ruleId": r.rule_id,
            "message": {"text": r.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.file)},
                        "region": region,
                    }
                }
            ],
        }
        if r.rule_id in rule_index:
            res["ruleIndex"] = rule_index[r.rule_id]
        if r.level:
            res["level"] = r.level
        if r.properties:
            res["properties"] = dict(r.properties)
        out_results.append(res)
    rules = []
    for rule in tool_rules:
        d: dict[str, Any] = {
            "id": rule.id,
            "shortDescription": {"text": rule.short},
            "defaultConfiguration": {"level": rule.level},
        }
        if rule.help_text:
            d["help"] = {"text": rule.help_text}
        rules.append(d)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool_name,
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": out_results,
            }
        ],
    }


# --- colour ------------------------------------------------------------------------------

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a TTY, never with NO_COLOR set (https://no-color.org); FORCE_COLOR wins."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Painter:
    """`p.red("x")` etc.; a no-op when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")

    def dim(self, text: str) -> str:
        return self.paint(text, "dim")

    def red(self, text: str) -> str:
        return self.paint(text, "red")

    def green(self, text: str) -> str:
        return self.paint(text, "green")

    def yellow(self, text: str) -> str:
        return self.paint(text, "yellow")

    def cyan(self, text: str) -> str:
        return self.paint(text, "cyan")
