"""Paths every test suite uses: the repo, its examples, and the shared corpus/oracle."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
WORKSPACES = REPO / "tests" / "workspaces"
CASES = REPO / "tests" / "cases"
BUILD = REPO / "build"
# shared/ sits beside the clone (session and CI alike); ACCESSDENIED_SHARED overrides.
SHARED = Path(os.environ.get("ACCESSDENIED_SHARED", REPO.parent / "shared")).resolve()
DENIAL_SAMPLE = SHARED / "corpus" / "denials" / "sample.jsonl"
MANAGED_POLICIES = SHARED / "corpus" / "aws-managed-policies"
ORACLE_CASES = SHARED / "oracle" / "cases.jsonl"
# `make test-deps` copies the oracle here and runs `npm ci` (shared/ is read-only in CI).
ORACLE_DIR = BUILD / "oracle" / "iam-simulate"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
