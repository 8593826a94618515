"""`accessdenied fix --all`: every denial of a log (or of several texts) in one go.

Prints a unified diff per file (or writes them all with --write, only after every file
passed its checks); one line per denial on stderr saying how it was fixed or why not.
Exit 0 when every denial got a fix, 1 when some could not, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from accessdenied.cli.fix import (
    EXIT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    LOG_LIMIT,
    _display,
    _err,
    _lines,
    _split_log,
    _unsafe_insert,
    _within,
    _workspace_root,
    _write_atomic,
)


def _denials(args: argparse.Namespace) -> list[object] | int:
    from accessdenied import safeio
    from accessdenied.denials import scan_text

    if args.denial_text is not None:
        found = [d for t in args.denial_text for d in scan_text(t)]
        if not found:
            _err("accessdenied fix: no AccessDenied message found in --denial-text")
            return EXIT_USAGE
        return list(found)
    path, line = _split_log(args.log)
    if line is not None:
        _err("accessdenied fix: --all takes the whole log (no :LINE)")
        return EXIT_USAGE
    try:
        text = safeio.read_text(path, LOG_LIMIT)
    except safeio.UnsafeFileError as exc:
        _err(f"accessdenied fix: cannot read {exc}")
        return EXIT_USAGE
    except OSError as exc:
        _err(f"accessdenied fix: cannot read {path}: {exc.strerror or exc}")
        return EXIT_USAGE
    found = scan_text(text)
    if not found:
        _err(f"accessdenied fix: no AccessDenied message found in {path}")
        return EXIT_USAGE
    return list(found)


def run_all(args: argparse.Namespace) -> int:
    """Plan (and print or write) one verified edit per document for every denial."""
    from accessdenied import safeio
    from accessdenied.denials import redact
    from accessdenied.fixes.fix_all import dependent_denials, fix_all
    from accessdenied.text import strip_controls
    from accessdenied.workspace import build_index

    if args.policy:
        _err("accessdenied fix: --all finds each denial's policy itself (no --policy)")
        return EXIT_USAGE
    denials = _denials(args)
    if isinstance(denials, int):
        return denials
    root = _workspace_root(args)
    if not root.is_dir():
        _err(f"accessdenied fix: --root {root} is not a directory")
        return EXIT_USAGE
    index = build_index(
        root, allow_outside=bool(getattr(args, "allow_outside_reads", False))
    )
    if index.config_error is not None:
        _err(f"accessdenied fix: warning: {index.config_error} (config ignored)")
    result = fix_all(denials, index, variant=args.variant)  # type: ignore[arg-type]
    for o in result.outcomes:
        d = o.denial
        what = strip_controls(
            redact(f"{d.principal} -> {d.action} on {d.resource or '*'}")
        )
        label = " [dependent]" if o.dependent else ""
        dup = f" (x{o.duplicates + 1})" if o.duplicates else ""
        where = ""
        if o.path and Path(o.path).name not in o.how:
            where = f" in {_display(o.path, root)}"
        state = "fixed" if o.fixed else "NOT FIXED"
        _err(f"{state}{label}: {what}{dup}: {strip_controls(o.how)}{where}")
    if args.variant == "exact":
        extra = {
            (dep.action, dep.resource, why)
            for o in result.outcomes
            if o.fixed
            for dep, why in dependent_denials(o.denial, index)
        }
        for action, resource, why in sorted(extra, key=str):
            _err(
                f"variant with-dependent-actions would also grant {action} on "
                f"{resource} ({why}); rerun with --variant with-dependent-actions"
            )
    # Check every file before writing any, so a refusal leaves all of them untouched.
    planned = []
    for ch in result.changes:
        path = Path(os.path.realpath(ch.path))
        shown = _display(str(ch.path), root)
        unsafe = _unsafe_insert((ch.edit,))
        if unsafe:
            _err(f"accessdenied fix: {shown}: {unsafe}; nothing modified")
            return EXIT_USAGE
        if args.write:
            if not _within(path, root):
                _err(
                    f"accessdenied fix: {shown} is outside the workspace {root}; "
                    "nothing modified (pass --root to widen the workspace)"
                )
                return EXIT_USAGE
            if not path.stat().st_mode & 0o200 or not os.access(path, os.W_OK):
                _err(
                    f"accessdenied fix: cannot write {shown}: read-only file; nothing modified"
                )
                return EXIT_USAGE
        planned.append((ch, path, shown))
    for ch, path, shown in planned:
        if args.write:
            try:
                raw = safeio.read_bytes(path)
                if safeio.decode_text(raw) != ch.before:
                    _err(f"accessdenied fix: {shown} changed meanwhile; not modified")
                    return EXIT_USAGE
                _write_atomic(path, ch.after, safeio.has_utf8_bom(raw))
            except OSError as exc:
                _err(f"accessdenied fix: cannot write {shown}: {exc.strerror or exc}")
                return EXIT_USAGE
            _err(f"wrote {shown}: {'; '.join(ch.titles)}")
            continue
        absolute = os.path.isabs(shown)
        sys.stdout.writelines(
            difflib.unified_diff(
                _lines(ch.before),
                _lines(ch.after),
                fromfile=shown if absolute else f"a/{shown}",
                tofile=shown if absolute else f"b/{shown}",
            )
        )
    return EXIT_OK if result.complete else EXIT_FOUND
