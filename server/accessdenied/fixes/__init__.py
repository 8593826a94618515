"""Least-privilege fixes: a Denial becomes a minimal, evaluator-verified text edit.

from accessdenied.fixes import propose_fixes, apply_edits
fixes = propose_fixes(denial, build_index(root))
new_text = apply_edits(text, fixes[0].edits)
"""

from __future__ import annotations

from accessdenied.fixes.edits import EditError, TextEdit, apply_edits
from accessdenied.fixes.propose import Fix, plan_grant, propose_fixes, related_requests
from accessdenied.fixes.synthesize import build_statement, make_sid

__all__ = [
    "EditError",
    "Fix",
    "TextEdit",
    "apply_edits",
    "build_statement",
    "make_sid",
    "plan_grant",
    "propose_fixes",
    "related_requests",
]
