"""Copies the server package and its pure-Python dependencies into bundled/libs, offline.

The dependencies come from the environment running this script (the project's .venv, which holds
exactly the versions pinned in requirements/run.lock), file by file from each distribution's
RECORD, so the build needs no index. boto3/botocore (live mode only) are left out. rpds-py, the
one compiled dependency (via jsonschema), is topped up with the builds for the other CPython
versions from --extra-wheels, so the bundle runs on any CPython 3.11+ on x86_64 Linux.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from importlib import metadata
from pathlib import Path

EXCLUDE = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "python-dateutil",
    "six",
}


def requirements(root: str) -> list[str]:
    """Names of the runtime distributions, transitively, from the installed metadata."""
    seen: dict[str, None] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen or key in EXCLUDE:
            continue
        seen[key] = None
        dist = metadata.distribution(name)
        for req in dist.requires or []:
            if ";" in req and "extra ==" in req.split(";", 1)[1]:
                continue
            if ";" in req:
                marker = req.split(";", 1)[1]
                if "python_version < " in marker or "python_full_version < " in marker:
                    continue
            dep = req.split(";")[0].strip()
            for stop in "<>=!~[ (":
                dep = dep.split(stop)[0]
            todo.append(dep)
    seen.pop(root.lower(), None)
    return list(seen)


def copy_distribution(name: str, dest: Path) -> int:
    dist = metadata.distribution(name)
    count = 0
    for f in dist.files or []:
        parts = Path(f).parts
        if (
            parts[0] in ("..", "bin")
            or "__pycache__" in parts
            or str(f).endswith(".pyc")
        ):
            continue
        src = Path(str(dist.locate_file(f)))
        if not src.is_file():
            continue
        out = dest / f
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out)
        count += 1
    return count


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True, type=Path)
    ap.add_argument("--dest", required=True, type=Path)
    ap.add_argument(
        "--extra-wheels", type=Path, help="folder of rpds-py wheels for other CPythons"
    )
    args = ap.parse_args()
    dest: Path = args.dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    pkg = dest / "accessdenied"
    shutil.copytree(
        args.repo / "server" / "accessdenied",
        pkg,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    if (args.repo / "schemas").is_dir():
        shutil.copytree(args.repo / "schemas", pkg / "schemas", dirs_exist_ok=True)
    names = requirements("accessdenied-lsp")
    for name in sorted(names):
        n = copy_distribution(name, dest)
        print(f"bundled {name} {metadata.version(name)} ({n} files)")
    if args.extra_wheels and args.extra_wheels.is_dir():
        for wheel in sorted(args.extra_wheels.glob("*.whl")):
            with zipfile.ZipFile(wheel) as z:
                for member in z.namelist():
                    if member.endswith(".so") and not (dest / member).exists():
                        z.extract(member, dest)
                        print(f"bundled {member} from {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
