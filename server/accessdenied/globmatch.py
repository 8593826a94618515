"""Glob matching in linear time, for globs from hostile places.

Globs come from a cloned repository's `.accessdenied.toml` or `.vscode/settings.json`,
so they must not be able to hang us.

A regex such as `(?:.*/)?(?:.*/)?...x` or `[^/]*a[^/]*a...b` backtracks exponentially
(`**/**/**/**/**/**/**/**/**/**/x` took minutes on a 40-folder path). Here a glob is a
token list run as an NFA over the path: O(len(path) x len(glob)), whatever the glob.

Syntax: `**/` zero or more folders, `**` anything, `*` anything but `/`, `?` one
character but `/`; with `lsp=True` also `[...]`/`[!...]` classes and `{a,b}` alternatives
(expanded, at most MAX_ALTERNATIVES).
"""

from __future__ import annotations

import functools
import re

MAX_ALTERNATIVES = 256

Token = tuple[str, object]


def _split_braces(pattern: str) -> tuple[str, list[str], str] | None:
    """(head, alternatives, tail) of the first balanced `{...}`, or None."""
    start = pattern.find("{")
    while start != -1:
        depth = 0
        parts: list[str] = []
        last = start + 1
        for i in range(start, len(pattern)):
            c = pattern[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    parts.append(pattern[last:i])
                    return pattern[:start], parts, pattern[i + 1 :]
            elif c == "," and depth == 1:
                parts.append(pattern[last:i])
                last = i + 1
        return None  # unbalanced: literal
    return None


def _alternatives(pattern: str, budget: list[int]) -> list[tuple[Token, ...]]:
    """Token lists of every brace alternative, at most MAX_ALTERNATIVES in all.

    Pieces are tokenised separately, as a regex group would be.
    """
    split = _split_braces(pattern)
    if split is None:
        return [_tokens(pattern, True)]
    head, parts, tail = split
    head_t = _tokens(head, True)
    tails = _alternatives(tail, budget)
    out: list[tuple[Token, ...]] = []
    for part in parts:
        for pt in _alternatives(part, budget):
            for tt in tails:
                if budget[0] <= 0:
                    return out
                budget[0] -= 1
                out.append(head_t + pt + tt)
    return out


def _tokens(pattern: str, lsp: bool) -> tuple[Token, ...]:
    out: list[Token] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                j = i + 2
                if j < n and pattern[j] == "/":
                    tok: Token = ("dss", None)
                    j += 1
                else:
                    tok = ("dstar", None)
                i = j
            else:
                tok = ("star", None)
                i += 1
            # Runs of wildcards collapse (`**/**/` is `**/`, `**` absorbs `*`).
            if out and out[-1][0] in ("dss", "dstar") and tok[0] == "dss":
                continue
            if (out and out[-1][0] == "dstar") or (out and tok == out[-1]):
                continue
            out.append(tok)
            continue
        if c == "?":
            out.append(("q", None))
        elif c == "[" and lsp and pattern.find("]", i + 1) != -1:
            j = pattern.find("]", i + 1)
            body = pattern[i + 1 : j]
            neg = body.startswith("!")
            if neg:
                body = body[1:]
            rx = re.compile(
                "[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]"
            )
            out.append(("cls", rx))
            i = j
        else:
            out.append(("lit", c))
        i += 1
    return tuple(out)


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str, lsp: bool = False) -> tuple[tuple[Token, ...], ...]:
    """The token lists of a glob (one per brace alternative with `lsp`)."""
    if not lsp:
        return (_tokens(pattern, False),)
    return tuple(_alternatives(pattern, [MAX_ALTERNATIVES]))


def _closure(tokens: tuple[Token, ...], states: set[int]) -> set[int]:
    stack = list(states)
    out = set(states)
    m = len(tokens)
    while stack:
        s = stack.pop()
        if 0 <= s < m and tokens[s][0] in ("star", "dstar", "dss"):
            nxt = s + 1
            if nxt not in out:
                out.add(nxt)
                stack.append(nxt)
    return out


def _run(tokens: tuple[Token, ...], text: str) -> bool:
    m = len(tokens)
    states = _closure(tokens, {0})
    for c in text:
        nxt: set[int] = set()
        for s in states:
            if s < 0:  # inside a `**/`: any characters, leaving after a `/`
                i = -s - 1
                nxt.add(s)
                if c == "/":
                    nxt.add(i + 1)
                continue
            if s >= m:
                continue
            kind, arg = tokens[s]
            if kind == "lit":
                if c == arg:
                    nxt.add(s + 1)
            elif kind == "q":
                if c != "/":
                    nxt.add(s + 1)
            elif kind == "cls":
                if arg.match(c):  # type: ignore[attr-defined]
                    nxt.add(s + 1)
            elif kind == "star":
                if c != "/":
                    nxt.add(s)
            elif kind == "dstar":
                nxt.add(s)
            elif kind == "dss":
                nxt.add(-s - 1)
                if c == "/":
                    nxt.add(s + 1)
        if not nxt:
            return False
        states = _closure(tokens, nxt)
    return m in states


def glob_matches(pattern: str, path: str, lsp: bool = False) -> bool:
    """Whether the whole `/`-separated `path` matches `pattern` (linear time)."""
    return any(_run(tokens, path) for tokens in compile_glob(pattern, lsp))


def wildcard_fullmatch(pattern: str, text: str) -> bool:
    """IAM-style `*` (any run, `/` and `:` included) and `?` (any one character).

    The two-pointer algorithm with one remembered star: O(len(pattern) x len(text)) at
    worst, where a regex `.*a.*a.*a...b` is exponential.
    """
    p = t = 0
    star = -1
    mark = 0
    np_, nt = len(pattern), len(text)
    while t < nt:
        if p < np_ and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < np_ and pattern[p] == "*":
            star = p
            mark = t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < np_ and pattern[p] == "*":
        p += 1
    return p == np_
