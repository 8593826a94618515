"""Copy SAM's policy templates from the pinned aws-sam-translator into package data.

    .venv/bin/python scripts/build_sam_templates.py [--check]

Writes server/accessdenied/containers/data/sam_policy_templates.json (the file
samtranslator ships, byte for byte) and SAM_POLICY_TEMPLATES_LICENSE.txt (its
Apache-2.0 license and NOTICE, with the source version). `--check` exits 1 when the
shipped copy differs from the installed package's.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata, resources
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "server/accessdenied/containers/data"
TEMPLATES = DATA / "sam_policy_templates.json"
LICENSE = DATA / "SAM_POLICY_TEMPLATES_LICENSE.txt"


def source_bytes() -> bytes:
    """policy_templates.json as the installed aws-sam-translator ships it."""
    ref = (
        resources.files("samtranslator")
        / "policy_templates_data"
        / "policy_templates.json"
    )
    return ref.read_bytes()


def license_text() -> str:
    """Attribution: version, license and NOTICE of the distribution."""
    dist = metadata.distribution("aws-sam-translator")
    parts = [
        "server/accessdenied/containers/data/sam_policy_templates.json is a verbatim copy of",
        "samtranslator/policy_templates_data/policy_templates.json from",
        f"aws-sam-translator {dist.version} (https://github.com/aws/serverless-application-model),",
        "copied by scripts/build_sam_templates.py. It is licensed under the Apache License 2.0:",
        "",
    ]
    for name in ("LICENSE", "NOTICE"):
        for f in dist.files or ():
            if f.name == name and "licenses" in str(f):
                parts.append(f"==== {name} ====")
                parts.append(f.read_text(encoding="utf-8").rstrip())
                parts.append("")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build (or --check) the shipped copy."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--check", action="store_true", help="compare, do not write")
    args = p.parse_args(argv)
    data = source_bytes()
    if args.check:
        if not TEMPLATES.exists() or TEMPLATES.read_bytes() != data:
            sys.stderr.write(
                f"{TEMPLATES} differs from the installed aws-sam-translator\n"
            )
            return 1
        return 0
    DATA.mkdir(parents=True, exist_ok=True)
    TEMPLATES.write_bytes(data)
    LICENSE.write_text(license_text(), encoding="utf-8")
    sys.stderr.write(f"wrote {TEMPLATES} and {LICENSE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
