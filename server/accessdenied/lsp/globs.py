"""Workspace-relative glob matching with `**`, `*`, `?`, `[...]` and `{a,b}` (LSP glob syntax)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from accessdenied.globmatch import glob_matches


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
    # Linear-time NFA (same language as glob_to_regex): settings may come from a
    # cloned repository's .vscode/settings.json and must not hang the server.
    return any(glob_matches(p.lstrip("/"), path, lsp=True) for p in patterns)
