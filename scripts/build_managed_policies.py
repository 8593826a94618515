"""Build containers/data/aws_managed_policies.json.gz from the AWS managed policy corpus.

Input: a directory of `<PolicyName>.json` files, each the policy's default version
document as AWS publishes it (/work/shared/corpus/aws-managed-policies by default).
Output is deterministic (sorted names and keys, compact JSON, gzip without a name
or timestamp), so `--check` compares the shipped file with a rebuild.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = Path("/work/shared/corpus/aws-managed-policies")
OUT = (
    ROOT
    / "server"
    / "accessdenied"
    / "containers"
    / "data"
    / "aws_managed_policies.json.gz"
)


def build(src: Path) -> bytes:
    """The compressed package data for the corpus in `src`."""
    policies: dict[str, object] = {}
    for path in sorted(src.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "Statement" in doc:
            policies[path.stem] = doc
    text = json.dumps(
        {"source": "AWS managed policies (default versions)", "policies": policies},
        sort_keys=True,
        separators=(",", ":"),
    )
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check compare) the shipped data."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    if not args.src.is_dir():
        print(f"corpus not found: {args.src}", file=sys.stderr)
        return 2
    data = build(args.src)
    if args.check:
        if not OUT.is_file() or OUT.read_bytes() != data:
            print(f"{OUT} differs from a rebuild of {args.src}", file=sys.stderr)
            return 1
        return 0
    OUT.write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
