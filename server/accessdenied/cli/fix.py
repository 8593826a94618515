"""`accessdenied fix`: turn one denial into a verified edit of the right policy file.

    accessdenied fix (--denial-text TEXT | --log FILE[:LINE]) [--policy FILE] [--write]
                     [--variant exact|with-dependent-actions] [--root DIR]
    accessdenied fix --all (--log FILE | --denial-text TEXT...) [--write] [--variant ...]

Prints a unified diff (or writes the file atomically with --write). Exit 0 when fixed,
1 when no edit can fix it (the reason and the deciding statement on stderr), 2 on bad
input (unreadable files, a policy that does not parse: such files are never modified).

The workspace root (--root, else cwd, else the folder of a config at or below cwd next to
the log or policy) is a boundary: --write never touches a file outside it (symlinks
resolved), and paths are shown relative to cwd or the root. A UTF-8 BOM is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2
LOG_LIMIT = 512 * 1024 * 1024  # --log is read whole; larger logs: `scan` them first


def add_parser(sub: Any) -> None:
    """Register the `fix` subcommand."""
    p = sub.add_parser(
        "fix",
        help="propose (or write) the least-privilege policy edit for a denial",
        description=(
            "Find the policy that should grant a denied request and print the minimal, "
            "evaluator-verified edit as a unified diff."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--denial-text",
        metavar="TEXT",
        action="append",
        help="the AccessDenied message (repeatable with --all)",
    )
    src.add_argument(
        "--log",
        metavar="FILE[:LINE]",
        help="a log file; with :LINE the denial on (or starting at) that 1-based line",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="fix every denial of the log / texts: one verified edit per document",
    )
    p.add_argument("--policy", metavar="FILE", help="the policy file to edit")
    p.add_argument("--root", metavar="DIR", help="workspace root (default: cwd)")
    p.add_argument("--write", action="store_true", help="write the change in place")
    p.add_argument(
        "--allow-outside-reads",
        action="store_true",
        help="read (never write) policy files that the config or IaC names outside "
        "the workspace root (default: reported and not followed)",
    )
    p.add_argument(
        "--variant",
        choices=("exact", "with-dependent-actions"),
        default="exact",
        help="exactly the denied action, or with its dependent actions",
    )
    p.set_defaults(func=run)


def _err(msg: str) -> None:
    # Messages quote log and policy text: credentials masked, no terminal escapes.
    from accessdenied.denials import redact
    from accessdenied.text import strip_controls

    sys.stderr.write(strip_controls(redact(msg.rstrip("\n"))) + "\n")


def _split_log(spec: str) -> tuple[Path, int | None]:
    m = re.fullmatch(r"(.+):(\d+)", spec)
    if m and not Path(spec).exists():
        return Path(m.group(1)), int(m.group(2))
    return Path(spec), None


def _pick_denial(args: argparse.Namespace) -> Any:
    """The denial to fix, or an int exit status after reporting the problem."""
    from accessdenied.denials import scan_text

    if args.denial_text is not None:
        if len(args.denial_text) > 1:
            _err("accessdenied fix: more than one --denial-text needs --all")
            return EXIT_USAGE
        denials = scan_text(args.denial_text[0])
        if not denials:
            _err("accessdenied fix: no AccessDenied message found in --denial-text")
            return EXIT_USAGE
        return denials[0]
    from accessdenied import safeio

    path, line = _split_log(args.log)
    try:
        text = safeio.read_text(path, LOG_LIMIT)
    except safeio.UnsafeFileError as exc:
        _err(f"accessdenied fix: cannot read {exc}")
        return EXIT_USAGE
    except OSError as exc:
        _err(f"accessdenied fix: cannot read {path}: {exc.strerror or exc}")
        return EXIT_USAGE
    denials = scan_text(text)
    if line is not None:
        denials = [
            d for d in denials if d.span.start_line <= line <= d.span.end_line
        ] or [d for d in denials if d.span.start_line >= line][:1]
    if not denials:
        where = f"{path}:{line}" if line else str(path)
        _err(f"accessdenied fix: no AccessDenied message found at {where}")
        return EXIT_USAGE
    return denials[0]


def _write_atomic(path: Path, text: str, bom: bool = False) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(
            fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline=""
        ) as fh:
            fh.write(text)
        with contextlib.suppress(OSError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lines(text: str) -> list[str]:
    """Lines as git and `patch` see them: split after `\n` only.

    U+2028, NEL, FF and a lone CR inside a line are content (str.splitlines splits there).
    """
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _unsafe_insert(edits: Any) -> str | None:
    """Why the inserted text must not be written (a credential), or None."""
    from accessdenied.denials import redact

    for e in edits:
        if redact(e.new_text) != e.new_text or "<redacted>" in e.new_text:
            return "the statement would contain a credential from the log"
    return None


def _workspace_root(args: argparse.Namespace) -> Path:
    """--root, else the folder of the config next to (or above) the log or policy, else cwd."""
    from accessdenied.workspace import find_config

    if args.root:
        return Path(args.root).resolve()
    cwd = Path.cwd().resolve()
    hints = []
    if args.log:
        hints.append(_split_log(args.log)[0])
    if args.policy:
        hints.append(Path(args.policy))
    # A config next to (or above, up to cwd) the log or policy names the workspace; one
    # above cwd is someone else's and is not used.
    for hint in hints:
        folder = hint.resolve().parent
        if not _within(folder, cwd):
            continue
        for candidate in (folder, *folder.parents):
            config = find_config(candidate)
            if config is not None:
                return config.parent
            if candidate == cwd:
                break
    return cwd


def _within(path: Path, root: Path) -> bool:
    from accessdenied import safeio

    return safeio.is_within(path, (root,))


def _display(path: str, root: Path) -> str:
    """The path relative to cwd (so the diff applies with `git apply`), else to root.

    A path outside both stays absolute (and diff headers then carry no `a/`/`b/`).
    """
    for base in (Path.cwd().resolve(), root.resolve()):
        try:
            return Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            continue
    return str(Path(path).resolve())


def run(args: argparse.Namespace) -> int:
    """Find, verify and print (or write) the fix."""
    from accessdenied.fixes import apply_edits, propose_fixes
    from accessdenied.workspace import build_index

    if args.all:
        from accessdenied.cli.fix_all import run_all

        return run_all(args)
    denial = _pick_denial(args)
    if isinstance(denial, int):
        return denial
    root = _workspace_root(args)
    if not root.is_dir():
        _err(f"accessdenied fix: --root {root} is not a directory")
        return EXIT_USAGE
    from accessdenied import safeio

    policy = Path(args.policy) if args.policy else None
    if policy is not None:
        try:
            text = safeio.read_text(policy)
        except safeio.UnsafeFileError as exc:
            _err(f"accessdenied fix: cannot read {exc}")
            return EXIT_USAGE
        except OSError as exc:
            _err(f"accessdenied fix: cannot read {policy}: {exc.strerror or exc}")
            return EXIT_USAGE
        from accessdenied.containers import locate
        from accessdenied.policy import parse_json

        # A template (CloudFormation, SAM, Serverless, Terraform...) is read by its
        # container; only a standalone policy must be a JSON object.
        declared = locate(policy.resolve(), text)
        broken = [b for b in declared if b.kind == "unparsable"]
        if broken:
            _err(f"accessdenied fix: {broken[0].reason}; not modified")
            return EXIT_USAGE
        parsed = parse_json(text) if not declared else None
        if parsed is None:
            pass
        elif not parsed.errors and not hasattr(parsed.root, "members"):
            _err(
                f"accessdenied fix: {policy}: not a policy (the top level is not an object)"
            )
            return EXIT_USAGE
        if parsed is not None and (parsed.errors or parsed.root is None):
            first = parsed.errors[0] if parsed.errors else None
            where = (
                f"{policy}:{first.span.start_line}:{first.span.start_column}"
                if first
                else str(policy)
            )
            _err(
                f"accessdenied fix: {where}: the policy does not parse"
                + (f" ({first.message})" if first else "")
                + "; not modified"
            )
            return EXIT_USAGE
    index = build_index(
        root, allow_outside=bool(getattr(args, "allow_outside_reads", False))
    )
    if index.config_error is not None:
        _err(f"accessdenied fix: warning: {index.config_error} (config ignored)")
    for b in index.boundary:
        _err(
            f"accessdenied fix: warning: {_display(str(b.path), root)}:{b.line}: {b.message}"
        )
    from accessdenied.denials import redact
    from accessdenied.text import strip_controls

    _err(
        strip_controls(
            redact(
                f"denial: {denial.principal} -> {denial.action} on "
                f"{denial.resource or '*'} ({denial.decision}"
                f"{', ' + denial.policy_type if denial.policy_type else ''})"
            )
        )
    )
    try:
        fixes = propose_fixes(denial, index, policy=policy, variants=(args.variant,))
    except (ValueError, OSError) as exc:
        _err(f"accessdenied fix: {exc}; nothing modified")
        return EXIT_USAGE
    editing = [f for f in fixes if f.edits and f.kind != "remove-deny" and f.verified]
    if not editing and any(f.bad_input for f in fixes):
        for f in fixes:
            if f.bad_input:
                _err(f"accessdenied fix: {f.explanation}")
        return EXIT_USAGE
    if not editing:
        for f in fixes:
            if f.kind == "remove-deny":
                continue
            if f.deny is not None:
                r = f.deny
                _err(
                    f"cannot fix with an Allow: explicit deny at "
                    f"{_display(r.file, root) if r.file else r.policy_type}:{r.line or '?'}:"
                    f"{r.sid or '#' + str(r.statement_index)}"
                )
            _err(f.explanation)
        for f in fixes:
            if f.kind == "remove-deny":
                _err(f"possible change (not applied): {f.title}. {f.explanation}")
        unverified = [
            f for f in fixes if f.edits and f.kind != "remove-deny" and not f.verified
        ]
        for f in unverified:
            _err(f"unverified edit of {f.path} not applied: {f.explanation}")
        return EXIT_FOUND
    fix = editing[0]
    # Write the real file (a symlink inside the workspace stays a symlink).
    path = Path(os.path.realpath(fix.path))
    shown = _display(fix.path, root)
    try:
        raw = safeio.read_bytes(path)
    except safeio.UnsafeFileError as exc:
        _err(f"accessdenied fix: cannot read {exc}")
        return EXIT_USAGE
    except OSError as exc:
        _err(f"accessdenied fix: cannot read {shown}: {exc.strerror or exc}")
        return EXIT_USAGE
    bom = safeio.has_utf8_bom(raw)
    before = safeio.decode_text(raw)
    after = apply_edits(before, fix.edits)
    unsafe = _unsafe_insert(fix.edits)
    if unsafe:
        _err(f"accessdenied fix: {shown}: {unsafe}; not modified")
        return EXIT_USAGE
    _err(f"editing {shown}: {fix.title}")
    if fix.ref is not None:
        _err(f"why this file: {fix.ref.reason} ({fix.ref.confidence})")
    _err(fix.explanation)
    if args.write:
        if not _within(path, root):
            _err(
                f"accessdenied fix: {shown} is outside the workspace {root}; "
                "not modified (pass --root to widen the workspace)"
            )
            return EXIT_USAGE
        # Read-only means no write bit (root ignores permissions, so look at the mode).
        if not path.stat().st_mode & 0o200 or not os.access(path, os.W_OK):
            _err(
                f"accessdenied fix: cannot write {shown}: read-only file; not modified"
            )
            return EXIT_USAGE
        try:
            _write_atomic(path, after, bom)
        except OSError as exc:
            _err(
                f"accessdenied fix: cannot write {shown}: "
                f"{exc.strerror or exc}; not modified"
            )
            return EXIT_USAGE
        _err(f"wrote {shown}")
        return EXIT_OK
    absolute = os.path.isabs(shown)
    diff = difflib.unified_diff(
        _lines(before),
        _lines(after),
        fromfile=shown if absolute else f"a/{shown}",
        tofile=shown if absolute else f"b/{shown}",
    )
    sys.stdout.writelines(diff)
    return EXIT_OK
