"""Helpers for Terraform container tests: write a workspace, fix a denial, judge it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2

from accessdenied.denials import Denial, scan_text
from accessdenied.evaluate import Request, evaluate
from accessdenied.fixes import Fix, apply_edits, propose_fixes
from accessdenied.workspace import build_index


def write(root: Path, files: dict[str, str]) -> Path:
    """Write `files` under `root` (a .git marker bounds the module search)."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))
    (root / ".git").mkdir(exist_ok=True)
    return root


def denial(text: str) -> Denial:
    """The first denial in `text`."""
    found = scan_text(text)
    assert found, text
    return found[0]


def fix(root: Path, d: Denial) -> list[Fix]:
    """The proposed fixes for `d` in the workspace at `root`."""
    return propose_fixes(d, build_index(root), variants=("exact",))


def apply_and_judge(root: Path, d: Denial, fixes: list[Fix]) -> dict[str, Any]:
    """Apply the first verified fix; check bytes, HCL parse and the evaluator.

    Returns {"path", "before", "after", "fix"}.
    """
    editing = [f for f in fixes if f.edits and f.verified]
    assert editing, [f.explanation for f in fixes]
    f = editing[0]
    path = Path(f.path)
    before = path.read_bytes().decode("utf-8")
    after = apply_edits(before, f.edits)
    edit = sorted(f.edits)[0]
    last = sorted(f.edits)[-1]
    # Bytes outside the edit are the original's.
    assert after[: edit.start] == before[: edit.start]
    assert after.endswith(before[last.end :])
    if path.suffix == ".tf":
        hcl2.loads(after)  # still parses with python-hcl2
    path.write_bytes(after.encode("utf-8"))
    index = build_index(root)
    ps = index.policy_set_for(d.principal or "", d.resource or "*", d.action)
    decision = evaluate(
        Request(d.principal or "", d.action or "", d.resource or "*"), ps
    )
    assert decision.allowed, (decision, after)
    return {"path": path, "before": before, "after": after, "fix": f}
