"""Terraform indexing and fix --all: 200 .tf files (20 modules), against python-hcl2 alone.

Reference: `hcl2.loads` of the same files (the parse every Terraform reader pays); the
ratio is what locating documents, resolving references and binding owners add.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import hcl2

from accessdenied.denials import scan_text
from accessdenied.fixes.fix_all import fix_all
from accessdenied.workspace import build_index

MODULE = """resource "aws_iam_role" "app{i}" {{
  name = "role-{m}-{i}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "lambda.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_dynamodb_table" "t{i}" {{
  name     = "table-{m}-{i}"
  hash_key = "id"
}}

data "aws_iam_policy_document" "p{i}" {{
  statement {{
    sid       = "Read"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.t{i}.arn]
  }}
}}

resource "aws_iam_role_policy" "p{i}" {{
  role   = aws_iam_role.app{i}.id
  policy = data.aws_iam_policy_document.p{i}.json
}}
"""


def emit(
    metric: str, value: float, unit: str, target: str, ok: bool, **ref: object
) -> None:
    """One benchmark line (benchmarks/run.py format)."""
    row: dict[str, object] = {
        "area": "terraform",
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "ok": ok,
    }
    row.update(ref)
    sys.stdout.write(json.dumps(row) + "\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        files = []
        for m in range(20):
            d = root / f"mod{m}"
            d.mkdir()
            for i in range(10):
                p = d / f"f{i}.tf"
                p.write_text(MODULE.format(m=m, i=i))
                files.append(p)
        start = time.perf_counter()
        for p in files:
            hcl2.loads(p.read_text())
        raw = time.perf_counter() - start
        start = time.perf_counter()
        index = build_index(root)
        build = time.perf_counter() - start
        ratio = build / raw if raw else 0.0
        emit(
            "build_index, 200 .tf files in 20 modules",
            build,
            "s",
            "ratio <= 2.0",
            ratio <= 2.0,
            reference="hcl2.loads of the same files",
            reference_value=round(raw, 4),
            ratio=round(ratio, 2),
        )
        text = "\n".join(
            f"User: arn:aws:sts::111122223333:assumed-role/role-{m}-{i}/s is not "
            f"authorized to perform: dynamodb:PutItem on resource: "
            f"arn:aws:dynamodb:us-east-1:111122223333:table/table-{m}-{i} because no "
            f"identity-based policy allows the dynamodb:PutItem action"
            for m in range(2)
            for i in range(10)
        )
        denials = scan_text(text)
        start = time.perf_counter()
        result = fix_all(denials, index)
        took = time.perf_counter() - start
        emit(
            f"fix --all, {len(denials)} denials over 20 documents",
            took,
            "s",
            "<= 10 s, every denial fixed",
            took <= 10 and result.complete,
        )


if __name__ == "__main__":
    main()
