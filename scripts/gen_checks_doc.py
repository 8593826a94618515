"""Write docs/checks.md from the check registry (a unit test checks it is current)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))

from accessdenied.policy.checks.reference import render_markdown  # noqa: E402


def main() -> int:
    target = REPO / "docs" / "checks.md"
    target.write_text(render_markdown(), encoding="utf-8")
    sys.stdout.write(f"wrote {target.relative_to(REPO)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
