"""Denial + workspace -> the one answer every consumer uses (diagnostics, fixes, hover).

from accessdenied.explain import explain_denial
exp = explain_denial(denial, build_index(root), read_text)
exp.decision, exp.targets[0].ref.path, exp.explicit_denies, exp.assumptions
"""

from __future__ import annotations

from accessdenied.explain.analysis import PolicyAnalysis, analyze_policy
from accessdenied.explain.route import (
    DecidingStatement,
    DenialExplanation,
    ReadText,
    Target,
    explain_denial,
    read_file_text,
    target_refs,
)

__all__ = [
    "DecidingStatement",
    "DenialExplanation",
    "PolicyAnalysis",
    "ReadText",
    "Target",
    "analyze_policy",
    "explain_denial",
    "read_file_text",
    "target_refs",
]
