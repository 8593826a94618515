"""Run one fixes scenario: a temporary workspace, a denial, the proposed fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accessdenied.denials import Denial
from accessdenied.fixes import Fix, apply_edits, propose_fixes
from accessdenied.text import Span
from accessdenied.workspace import build_index

ZERO = Span(0, 0, 1, 1, 1, 1)


def make_denial(fields: dict[str, Any]) -> Denial:
    """A Denial from the case's `denial` object."""
    return Denial(span=ZERO, text="(case)", **fields)


def run_case(
    case_input: dict[str, Any], root: Path
) -> tuple[list[Fix], dict[str, str]]:
    """Write the files, build the index, propose; returns fixes and texts after the first edit."""
    for rel, text in case_input["files"].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    if case_input.get("config"):
        (root / ".accessdenied.toml").write_text(case_input["config"])
    (root / ".git").mkdir(exist_ok=True)
    index = build_index(root)
    policy = root / case_input["policy"] if case_input.get("policy") else None
    variant = case_input.get("variant", "exact")
    fixes = propose_fixes(
        make_denial(case_input["denial"]), index, policy=policy, variants=(variant,)
    )
    after: dict[str, str] = {}
    for fix in fixes:
        if fix.edits:
            path = Path(fix.path)
            text = path.read_bytes().decode("utf-8")
            after[path.relative_to(root.resolve()).as_posix()] = apply_edits(
                text, fix.edits
            )
            break
    return fixes, after
