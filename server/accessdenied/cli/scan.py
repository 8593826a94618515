"""`accessdenied scan [PATH...|-] [--format text|json|sarif]`: find AWS access denials."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accessdenied.denials import Denial

DEFAULT_SUFFIXES = (".log", ".out", ".txt", ".json")
SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".hg"}
)

_PTYPE_LABEL = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "scp": "service control policy (SCP)",
    "rcp": "resource control policy (RCP)",
    "permissions_boundary": "permissions boundary",
    "session": "session policy",
    "vpc_endpoint": "VPC endpoint policy",
}


def add_parser(sub: Any) -> None:
    """Register the `scan` subcommand."""
    p = sub.add_parser(
        "scan",
        help="find AWS access denials in logs, terminal output or CloudTrail files",
        description=(
            "Find AWS access denials in files, directories (*.log, *.out, *.txt, *.json; "
            "skipping .git, node_modules, .venv) or stdin ('-'). Exit status: 0 none found, "
            "1 denials found, 2 usage error."
        ),
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories; '-' = stdin"
    )
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.set_defaults(func=run)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            # is_file() is False for dangling links and symlink loops: skip, don't abort.
            if name.endswith(DEFAULT_SUFFIXES) and (Path(dirpath) / name).is_file():
                yield Path(dirpath) / name


def _targets(paths: list[str]) -> tuple[list[str], list[str]]:
    """(files to scan as displayed, error messages)."""
    files: list[str] = []
    errors: list[str] = []
    for p in paths:
        if p == "-":
            files.append("-")
            continue
        path = Path(p)
        if path.is_dir():
            # Keep the directory exactly as the user wrote it ("./logs" stays "./logs/...").
            files.extend(os.path.join(p, os.path.relpath(f, path)) for f in _walk(path))
        elif path.is_file():
            files.append(p)
        elif path.exists():
            errors.append(f"{p}: not a regular file")
        else:
            errors.append(f"{p}: no such file or directory")
    return files, errors


def _scan_stdin() -> Iterator[Denial]:
    from accessdenied.denials import IncrementalScanner

    scanner = IncrementalScanner()
    pending = b""
    stream = sys.stdin.buffer
    while True:
        data = stream.read(1 << 20)
        if not data:
            break
        buf = pending + data
        cut = buf.rfind(b"\n")
        if cut == -1 and len(buf) < (4 << 20):
            pending = buf
            continue
        cut = len(buf) - 1 if cut == -1 else cut
        pending = buf[cut + 1 :]
        yield from scanner.feed(buf[: cut + 1])
    if pending:
        yield from scanner.feed(pending)


def why(d: Denial) -> str:
    """One sentence: why the request was denied, as far as the message says."""
    label = _PTYPE_LABEL.get(d.policy_type or "")
    action = d.action or "the action"
    if d.decision == "implicit":
        if label:
            return f"implicit deny: no {label} allows {action}"
        return f"implicit deny: nothing allows {action}"
    if d.decision == "explicit":
        article = "an" if label and label[0] in "aeiou" else "a"
        where = (
            f"{article} {label}"
            if label
            else "a policy (type not named in the message)"
        )
        text = f"explicit deny in {where}"
        if d.policy_arn:
            text += f" ({d.policy_arn})"
        return text
    notes = [n for n in d.notes if not n.startswith("action ")]
    if notes:
        return "; ".join(notes)
    return "the message does not say which policy denied it"


def _clean(value: str) -> str:
    """Log-derived text safe for a terminal: no escape sequences, controls or bidi."""
    from accessdenied.text import strip_controls

    return strip_controls(value).replace("\n", " ")


def _format_text(found: list[tuple[str, Denial]], color: bool, nfiles: int) -> str:
    from accessdenied.cli.output import Painter
    from accessdenied.denials import redact

    p = Painter(color)
    lines: list[str] = []
    found = [(_clean(f), _clean_denial(d)) for f, d in found]
    for file, d in found:
        code = d.error_code or ("AccessDenied" if d.source != "decoded" else "decoded")
        if d.source == "cloudtrail":
            code += " (CloudTrail event)"
        elif d.source == "decoded":
            code += " (decoded authorization message)"
        head = f"{file}:{d.span.start_line}:{d.span.start_column}"
        lines.append(f"{p.bold(head)}  {p.red(code)}  {p.dim(d.decision + ' deny')}")
        what = d.action or "(action not in the message)"
        extra = []
        if d.operation:
            extra.append(f"operation {d.operation}")
        if d.action_origin == "operation":
            extra.append("action derived from the operation")
        elif d.action_origin == "event":
            extra.append("action from the CloudTrail event name")
        if d.extra_actions:
            extra.append("also " + ", ".join(d.extra_actions))
        if extra:
            what += p.dim("  (" + "; ".join(extra) + ")")
        lines.append(f"  who:      {p.cyan(d.principal or '(not in the message)')}")
        lines.append(f"  what:     {p.yellow(what)}")
        lines.append(f"  resource: {d.resource or '(not in the message)'}")
        lines.append(f"  why:      {why(d)}")
        if d.encoded_message:
            lines.append(
                "  decode:   aws sts decode-authorization-message --encoded-message <blob>"
            )
        snippet = _clean(redact(d.text))
        if len(snippet) > 160:
            snippet = snippet[:157] + "..."
        lines.append(p.dim(f"  text:     {snippet}"))
        lines.append("")
    n = len(found)
    files = len({f for f, _ in found})
    if n:
        lines.append(
            p.bold(
                f"{n} denial{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
            )
            + p.dim(f" ({nfiles} scanned)")
        )
        f0, d0 = found[0]
        if f0 != "-":
            lines.append(
                p.dim(
                    f"next: accessdenied fix --log {f0}:{d0.span.start_line} "
                    "(finds the policy that should allow it and prints the minimal edit)"
                )
            )
    else:
        lines.append(
            f"no AWS access denials found ({nfiles} file{'s' if nfiles != 1 else ''} scanned)"
        )
    return "\n".join(lines) + "\n"


def _sarif(found: list[tuple[str, Denial]]) -> dict[str, Any]:
    from accessdenied.cli.output import SarifResult, SarifRule, sarif_log

    rules = [
        SarifRule(
            "aws-access-denied",
            "AWS access denied",
            "error",
            "An AWS request was denied by IAM; the message names the principal, action, "
            "resource and the policy type that denied it.",
        )
    ]
    results = []
    for file, d in found:
        parts = [f"{d.principal or 'a principal'} was denied {d.action or 'an action'}"]
        if d.resource:
            parts.append(f"on {d.resource}")
        msg = " ".join(parts) + f": {why(d)}"
        props = {k: v for k, v in d.to_json(file).items() if k not in ("file", "text")}
        results.append(
            SarifResult(
                "aws-access-denied",
                msg,
                file,
                d.span.start_line,
                d.span.start_column,
                d.span.end_line,
                d.span.end_column,
                properties=props,
            )
        )
    return sarif_log(rules, results)


def _clean_denial(d: Denial) -> Denial:
    """`d` with every printed text field passed through `_clean`."""
    import dataclasses

    def c(value: str | None) -> str | None:
        return _clean(value) if value else value

    return dataclasses.replace(
        d,
        text=_clean(d.text),
        principal=c(d.principal),
        resource=c(d.resource),
        action=c(d.action),
        operation=c(d.operation),
        policy_arn=c(d.policy_arn),
        error_code=c(d.error_code),
        notes=tuple(_clean(n) for n in d.notes),
        extra_actions=tuple(_clean(a) for a in d.extra_actions),
    )


def _redacted(d: Denial) -> Denial:
    """`d` with credentials masked in every field printed (as the LSP does)."""
    import dataclasses

    from accessdenied.denials import redact

    def r(value: str | None) -> str | None:
        return redact(value) if value else value

    return dataclasses.replace(
        d,
        text=redact(d.text),
        principal=r(d.principal),
        resource=r(d.resource),
        policy_arn=r(d.policy_arn),
        notes=tuple(redact(n) for n in d.notes),
    )


def run(args: argparse.Namespace) -> int:
    """Scan the given paths (or stdin) and print the denials."""
    from accessdenied.cli.output import use_color
    from accessdenied.denials import redact, scan_file

    paths: list[str] = list(args.paths) or (["-"] if not sys.stdin.isatty() else [])
    if not paths:
        sys.stderr.write(
            "accessdenied scan: give a PATH (file or directory) or '-' for stdin\n"
        )
        return 2
    files, errors = _targets(paths)
    if errors:
        for e in errors:
            sys.stderr.write(f"accessdenied scan: {e}\n")
        return 2
    found: list[tuple[str, Denial]] = []
    for f in files:
        try:
            it = _scan_stdin() if f == "-" else scan_file(f)
            found.extend((f, d) for d in it)
        except OSError as exc:
            sys.stderr.write(f"accessdenied scan: {f}: {exc.strerror or exc}\n")
            return 2
    found = [(f, _redacted(d)) for f, d in found]
    out = sys.stdout
    if args.format == "json":
        records = []
        for f, d in found:
            rec = d.to_json(f)
            rec["text"] = redact(rec["text"])
            records.append(rec)
        out.write(json.dumps({"denials": records}, ensure_ascii=False) + "\n")
    elif args.format == "sarif":
        out.write(json.dumps(_sarif(found), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(_format_text(found, use_color(out), len(files)))
    out.flush()
    return 1 if found else 0
