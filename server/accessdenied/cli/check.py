"""`accessdenied check [PATH...] [--format text|json|sarif] [--policy-type T]`.

Validates IAM policies: standalone JSON files, CloudFormation templates (JSON/YAML) and
Terraform files (heredoc and `jsonencode` policies). Directories are walked. Exit status:
0 no error findings, 1 at least one error finding, 2 usage error / unreadable input.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessdenied import safeio

if TYPE_CHECKING:
    from accessdenied.policy import Finding
    from accessdenied.workspace.config import WorkspaceConfig
    from accessdenied.workspace.policy_types import TypeHint

SUFFIXES = (".json", ".yaml", ".yml", ".template", ".tf")
SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".hg",
        ".terraform",
    }
)
POLICY_TYPES = ("identity", "resource", "trust", "scp", "rcp", "boundary")


def add_parser(sub: Any) -> None:
    """Register the `check` subcommand."""
    p = sub.add_parser(
        "check",
        help="validate IAM policies (JSON, CloudFormation, Terraform)",
        description=(
            "Validate IAM policy documents: syntax, JSON Schema and semantic checks "
            "(unknown actions, malformed ARNs, condition types, risky grants). "
            "Directories are walked for *.json, *.yaml, *.yml, *.template and *.tf. "
            "Exit status: 0 no errors, 1 error findings, 2 usage error."
        ),
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: .)"
    )
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument(
        "--policy-type",
        choices=POLICY_TYPES,
        default=None,
        help="treat every policy as this type (default: guess per document)",
    )
    p.set_defaults(func=run)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
        )
        for name in sorted(filenames):
            # FIFOs, sockets, devices (and links to them) are skipped, never opened.
            if name.lower().endswith(SUFFIXES) and not safeio.is_special_file(
                Path(dirpath) / name
            ):
                yield Path(dirpath) / name


def _targets(paths: list[str]) -> tuple[list[tuple[str, bool]], list[str]]:
    """([(file as displayed, named explicitly)], errors)."""
    files: list[tuple[str, bool]] = []
    errors: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(
                (os.path.join(p, os.path.relpath(f, path)), False) for f in _walk(path)
            )
        elif path.is_file():
            files.append((p, True))
        elif path.exists():
            errors.append(f"{p}: not a regular file")
        else:
            errors.append(f"{p}: no such file or directory")
    return files, errors


def _read(path: str) -> str:
    # Bounded and FIFO/device-safe (safeio); invalid UTF-8 stays an error.
    return safeio.read_text(path, errors="strict")


def check_file(
    path: str,
    text: str,
    policy_type: str | None,
    explicit: bool,
    hint: TypeHint | None = None,
) -> list[Finding]:
    """Findings for one file (files holding no policy give none unless named).

    The type is `policy_type` (--policy-type) when given, else the template's own
    context for embedded documents, else `hint` (what .accessdenied.toml says about
    the file), else a guess from the content.
    """
    from accessdenied.policy import check_document, check_text, find_policies
    from accessdenied.policy.detect import is_template_path

    if is_template_path(path, text):
        return list(check_text(text, policy_type, path))
    embedded = find_policies(path, text)
    doc = embedded[0].document if embedded else None
    if doc is None:
        if not explicit and hint is None:
            return []  # some other JSON file (package.json, ...) in a walked folder
        return list(check_text(text, policy_type or _hint_type(hint), None))
    if policy_type is not None:
        doc = replace(doc, policy_type=policy_type, type_source="given")
    elif hint is not None:
        doc = replace(
            doc,
            policy_type=hint.policy_type,
            type_source=hint.source,
            attachment=hint.attachment,
        )
    return list(check_document(doc))


def _hint_type(hint: TypeHint | None) -> str | None:
    return hint.policy_type if hint is not None else None


def _config_hints(
    paths: list[str],
) -> tuple[list[WorkspaceConfig], list[str]]:
    """Configurations of the current folder and of each folder argument."""
    from accessdenied.workspace.config import ConfigError, load_config

    roots = [Path.cwd(), *(Path(p) for p in paths if Path(p).is_dir())]
    configs: list[WorkspaceConfig] = []
    errors: list[str] = []
    seen: set[Path] = set()
    for root in roots:
        r = root.resolve()
        if r in seen:
            continue
        seen.add(r)
        try:
            cfg = load_config(r)
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        if cfg.source is not None:
            configs.append(cfg)
    return configs, errors


def _key(file: str) -> str:
    try:
        return str(Path(file).resolve())
    except OSError:  # pragma: no cover
        return file


def _iac_hints(files: list[str]) -> dict[str, TypeHint]:
    """Policy files the checked Terraform files read with file(): typed by their use.

    IaC context comes before the project configuration (it says where the document
    is deployed).
    """
    from accessdenied.policy.detect import terraform_file_references
    from accessdenied.workspace.policy_types import TypeHint

    out: dict[str, TypeHint] = {}
    for tf in files:
        if not tf.endswith(".tf"):
            continue
        try:
            text = _read(tf)
        except (OSError, UnicodeDecodeError):
            continue  # reported when the file itself is checked
        for ref in terraform_file_references(text):
            target = _key(str(Path(tf).parent / ref.path))
            out.setdefault(
                target, TypeHint(ref.policy_type, ref.attachment, ref.source)
            )
    return out


def _hint_for(configs: list[WorkspaceConfig], file: str) -> TypeHint | None:
    from accessdenied.workspace.policy_types import policy_type_for

    for cfg in reversed(configs):  # the innermost (a folder argument) first
        hint = policy_type_for(cfg, Path(file))
        if hint is not None:
            return hint
    return None


def run(args: argparse.Namespace) -> int:
    """Check the files, print the findings, exit 1 on any error finding."""
    from accessdenied.policy import normalize_policy_type

    # Parse trees are acyclic and die with their file: the cyclic collector's
    # generation-0 passes over every node cost a quarter of a corpus run for nothing.
    # Imported modules and the catalog are frozen out of its scans; it still runs.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)

    paths = list(args.paths) or ["."]
    files, errors = _targets(paths)
    for e in errors:
        sys.stderr.write(f"accessdenied check: {e}\n")
    ptype = normalize_policy_type(args.policy_type) if args.policy_type else None
    configs, config_errors = _config_hints(paths) if ptype is None else ([], [])
    for e in config_errors:
        sys.stderr.write(f"accessdenied check: {e} (policy types not read from it)\n")
    iac_hints = _iac_hints([f for f, _e in files]) if ptype is None else {}
    results: list[tuple[str, str, Finding]] = []
    unreadable = False
    for file, explicit in files:
        try:
            text = _read(file)
        except (OSError, UnicodeDecodeError) as exc:
            sys.stderr.write(f"accessdenied check: {file}: cannot read: {exc}\n")
            unreadable = True
            continue
        hint = iac_hints.get(_key(file)) or (
            _hint_for(configs, file) if configs else None
        )
        for f in check_file(file, text, ptype, explicit, hint):
            results.append((file, text, f))
    fmt = args.format
    if fmt == "json":
        json.dump(
            {"findings": [f.to_json(file) for file, _t, f in results]},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    elif fmt == "sarif":
        _print_sarif(results)
    else:
        _print_text(results, len(files))
    if any(f.severity == "error" for _file, _t, f in results):
        return 1
    if errors or unreadable:
        return 2
    return 0


def _print_text(results: list[tuple[str, str, Finding]], nfiles: int) -> None:
    from accessdenied.cli.output import Painter, use_color
    from accessdenied.text import strip_controls

    p = Painter(use_color())
    colour = {"error": p.red, "warning": p.yellow, "info": p.cyan, "hint": p.dim}
    out = sys.stdout
    for file, _text, f in results:
        s = f.span
        sev = colour.get(f.severity, p.dim)(f.severity)
        # Messages quote policy text: no terminal escapes or bidi controls (issue 18).
        message = strip_controls(f.message).replace("\n", " ")
        out.write(
            f"{p.bold(strip_controls(file))}:{s.start_line}:{s.start_column}: {sev} "
            f"{message} {p.dim('[' + f.code + ']')}\n"
        )
    counts: dict[str, int] = {}
    for _file, _text, f in results:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    summary = (
        ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items())) or "no findings"
    )
    out.write(f"{nfiles} file{'s' if nfiles != 1 else ''} checked: {summary}\n")


def _print_sarif(results: list[tuple[str, str, Finding]]) -> None:
    from accessdenied.cli.output import SarifResult, SarifRule, sarif_level, sarif_log
    from accessdenied.policy.checks import CHECKS

    rules: dict[str, SarifRule] = {}
    out: list[SarifResult] = []
    for file, text, f in results:
        if f.code not in rules:
            chk = CHECKS.get(f.code)
            rules[f.code] = SarifRule(
                f.code,
                chk.description if chk is not None else _SYNTAX.get(f.code, f.code),
                sarif_level(chk.severity if chk is not None else f.severity),
            )
        s = f.span
        out.append(
            SarifResult(
                f.code,
                f.message,
                file,
                s.start_line,
                s.start_column,
                s.end_line,
                s.end_column,
                level=sarif_level(f.severity),
                snippet=text[s.start : s.end][:200] or None,
            )
        )
    json.dump(sarif_log(list(rules.values()), out), sys.stdout, indent=2)
    sys.stdout.write("\n")


_SYNTAX = {
    "json-syntax": "the document is not valid JSON",
    "yaml-syntax": "the template is not valid YAML",
    "hcl-syntax": "the Terraform expression could not be read",
    "policy-not-object": "a policy document must be a JSON object",
    "missing-element": "a required policy element is missing",
    "unknown-element": "an element that is not part of the policy grammar",
    "invalid-type": "an element has the wrong JSON type",
    "invalid-value": "an element has a value outside its allowed set",
    "schema-violation": "the document breaks the policy schema",
    "trust-policy-element": "an element a role trust policy does not allow",
    "conflicting-elements": "an element and its Not- counterpart together",
    "missing-resource": "no Resource where the policy type needs one",
    "missing-action": "no Action or NotAction",
}
