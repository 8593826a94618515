"""Policy files -> `Policy` objects whose reasons carry file and statement line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.evaluate.model import Policy


class PolicyFileError(ValueError):
    """A policy file that cannot be read or is not a JSON policy object."""


def _statement_lines_fallback(text: str) -> tuple[int, ...] | None:
    """1-based line of each element of the top-level "Statement" value (a tiny scanner)."""
    key = text.find('"Statement"')
    if key < 0:
        return None
    i = text.find(":", key + len('"Statement"'))
    if i < 0:
        return None
    i += 1
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        return (text.count("\n", 0, i) + 1,)
    if text[i] != "[":
        return None
    lines: list[int] = []
    depth = 0
    in_string = False
    escaped = False
    expect_item = True
    for j in range(i + 1, len(text)):
        ch = text[j]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch in " \t\r\n":
            continue
        if depth == 0 and expect_item and ch != "]":
            lines.append(text.count("\n", 0, j) + 1)
            expect_item = False
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            expect_item = True
    return tuple(lines)


def statement_lines(text: str) -> tuple[int, ...] | None:
    """The 1-based line of each statement, by index (policy parser if present)."""
    try:
        from accessdenied.policy import parse_policy

        doc = parse_policy(text)
        found = {st.index: st.span.start_line for st in doc.statements}
        if found:
            count = max(found) + 1
            fallback = _statement_lines_fallback(text) or ()
            return tuple(
                found.get(i, fallback[i] if i < len(fallback) else 0)
                for i in range(count)
            )
    except Exception:  # the parser is another package; never let it break evaluation
        pass
    return _statement_lines_fallback(text)


def policy_from_text(
    text: str, file: str | None = None, name: str | None = None
) -> Policy:
    """Parse a JSON policy; raises PolicyFileError with a clear message."""
    where = file or name or "policy"
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyFileError(
            f"{where}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    if not isinstance(doc, Mapping):
        raise PolicyFileError(f"{where}: a policy must be a JSON object")
    return Policy(
        document=doc,
        name=name or (Path(file).name if file else None),
        file=file,
        statement_lines=statement_lines(text),
    )


def load_policy(path: str | Path) -> Policy:
    """Read a JSON policy file."""
    p = Path(path)
    try:
        # Bounded, FIFO/device-safe, UTF-8 BOM dropped (issue 18).
        text = safeio.read_text(p, errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"{path}: cannot read: {exc}") from None
    return policy_from_text(text, file=str(path))
