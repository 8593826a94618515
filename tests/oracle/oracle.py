"""A long-lived iam-simulate harness process (one Node process, one request at a time)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.paths import ORACLE_DIR


def oracle_missing_reason(directory: Path = ORACLE_DIR) -> str | None:
    """Why the oracle cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (directory / "harness.mjs").exists():
        return f"oracle not installed at {directory} (run scripts/install-test-deps.sh)"
    if not (directory / "node_modules" / "@cloud-copilot" / "iam-simulate").exists():
        return f"oracle node_modules missing in {directory} (npm ci)"
    return None


class Oracle:
    """Write a line, flush, read a line (the harness answers each request before the next)."""

    def __init__(self, directory: Path = ORACLE_DIR) -> None:
        self.proc = subprocess.Popen(
            ["node", "harness.mjs"],
            cwd=directory,
            text=True,
            bufsize=1,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def ask(self, case: dict[str, Any]) -> dict[str, Any]:
        """The harness's answer for one input object."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("oracle process exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """Stop the process."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
