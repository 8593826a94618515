"""Workspace-relative glob matching with `**`, `*`, `?`, `[...]` and `{a,b}` (LSP glob syntax)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=256)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile an LSP/VS Code glob into an anchored regex over `/`-separated paths."""
    i, n = 0, len(pattern)
    out: list[str] = []
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    out.append(")" * depth)
    return re.compile("(?s:" + "".join(out) + r")\Z")


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether the `/`-separated relative `path` matches any of `patterns`."""
    path = path.replace("\\", "/").lstrip("/")
    return any(glob_to_regex(p.lstrip("/")).match(path) for p in patterns)
