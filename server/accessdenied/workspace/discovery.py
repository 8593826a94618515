"""Find candidate policy files under a root: JSON, CloudFormation YAML/JSON, Terraform.

Walks the tree once, skipping VCS/dependency/build folders and configured excludes,
following symlinks but never entering a directory twice (symlink loops end there) and
never leaving the root: a symlinked file or folder whose target lies outside the root
(`rootlink -> /`) is not followed. FIFOs, sockets and devices (and links to them) are
skipped without being opened.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from accessdenied.globmatch import glob_matches

IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "build",
        "dist",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".terraform",
        "cdk.out",
        ".aws-sam",
        ".accessdenied",
    }
)
POLICY_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".template", ".tf"})
MAX_FILE_BYTES = 4 * 1024 * 1024


@functools.lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a `/`-separated glob: `**` spans folders, `*`/`?` stay in one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, relpath: str) -> bool:
    """Whether a relative posix path matches a glob (a bare name matches at any depth)."""
    pattern = pattern.removeprefix("./")
    if "/" not in pattern:
        pattern = "**/" + pattern
    # Linear-time NFA: a hostile config's `**/**/**/...` must not hang the walk.
    return glob_matches(pattern, relpath)


def is_candidate(path: Path) -> bool:
    """Whether a file could hold a policy (by suffix)."""
    return path.suffix.lower() in POLICY_SUFFIXES


def _inside(path: Path, real_root: str) -> bool:
    """Whether `path`, symlinks resolved, stays inside the (resolved) root."""
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return False
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def discover(root: Path, exclude: Iterable[str] = ()) -> Iterator[Path]:
    """Candidate policy files under `root` (absolute paths, each at most once)."""
    root = Path(root).resolve()
    real_root = os.path.realpath(root)
    excludes = tuple(exclude)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix() if here != root else ""
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in IGNORED_DIRS
            and (not os.path.islink(here / d) or _inside(here / d, real_root))
            and not any(
                glob_match(x.rstrip("/"), f"{rel_dir}/{d}".lstrip("/"))
                for x in excludes
            )
        )
        for name in sorted(filenames):
            path = here / name
            if not is_candidate(path):
                continue
            rel = f"{rel_dir}/{name}".lstrip("/")
            if any(glob_match(x, rel) for x in excludes):
                continue
            try:
                st_file = os.stat(path)
            except (OSError, ValueError):
                continue
            if not stat.S_ISREG(st_file.st_mode) or st_file.st_size > MAX_FILE_BYTES:
                continue
            if os.path.islink(path) and not _inside(path, real_root):
                continue
            if path in seen_files:
                continue
            seen_files.add(path)
            yield path
