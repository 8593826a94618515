"""WorkspaceIndex: an immutable snapshot of which policy documents belong to whom.

Sources, strongest first: the project config, CloudFormation/Terraform declarations,
naming conventions (`policies/<role-name>.json`). `updated(changed)` re-reads only the
changed files and returns a new index; readers never lock.

The root is a boundary: a config path or IaC reference that resolves outside it
(`../x.json`, an absolute path, a symlink, Terraform `file("../..")`) is not indexed
but reported in `boundary` (a finding on the line that names it). Reading such files
needs `allow_outside=True` (an explicit user setting); they are never edit targets.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.containers import Reference
from accessdenied.evaluate import Policy, PolicySet, parse_arn, parse_principal
from accessdenied.globmatch import glob_matches, wildcard_fullmatch
from accessdenied.text import LineIndex, Span
from accessdenied.workspace.config import (
    ConfigError,
    WorkspaceConfig,
    load_config,
    target_matches,
)
from accessdenied.workspace.discovery import (
    discover,
    glob_match,
    glob_regex,
    is_candidate,
)
from accessdenied.workspace.iac import Binding, iac_bindings

logger = logging.getLogger(__name__)

KINDS = ("identity", "resource", "trust", "kms", "boundary", "session", "scp", "rcp")
_CONFIDENCE_RANK = {"configured": 0, "inferred": 1, "guess": 2}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Where a principal's (or resource's) policy document lives, and how we know."""

    path: Path
    kind: str
    principal: str | None
    span_in_file: Span | None
    origin: str  # config | cloudformation | terraform | naming
    confidence: str  # configured | inferred | guess
    reason: str
    #: The ARN pattern the ref applies to (principal or resource; IAM wildcards).
    target: str | None = None
    #: How the document is embedded: json | cfn-json | cfn-yaml | terraform-heredoc | ...
    embed: str = "json"
    #: Logical id / Terraform address / config entry.
    name: str | None = None
    #: Org level for SCP/RCP refs (0 = root).
    level: int | None = None
    #: Why the container cannot edit this document (None: it can).
    not_editable: str | None = None
    #: Outside the workspace root (read only because the user allowed it; never edited).
    outside: bool = False
    #: Resources of the same configuration the container may reference by name.
    references: tuple[Reference, ...] = ()
    #: A customer managed policy ARN to look up (workspace/attachments.py links it).
    attached: str | None = None


@dataclass(frozen=True, slots=True)
class BoundaryFinding:
    """A config entry or IaC reference that points outside the workspace root."""

    path: Path  # the file that names it (config, template)
    line: int  # 1-based line of the entry (1 when it cannot be located)
    target: Path  # where it resolves to
    message: str
    code: str = "path-outside-workspace"


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What one file contributes: its standalone policy document and IaC bindings."""

    path: Path
    mtime_ns: int
    size: int
    document: Mapping[str, Any] | None = None
    statement_lines: tuple[int, ...] | None = None
    bindings: tuple[Binding, ...] = ()
    error: str | None = None


def _wild(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(
            ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
        )
        + r"\Z",
        re.DOTALL,
    )


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM-style wildcard match (`*`, `?`), case-sensitive.

    Linear-time (patterns come from a possibly hostile config or template; a regex of
    `*a*a*a...b` backtracks without end).
    """
    return wildcard_fullmatch(pattern, arn)


def principal_forms(principal: str) -> tuple[str, ...]:
    """The ARNs a principal is known by: itself, its role (sessions), name-path-less role."""
    info = parse_principal(principal)
    forms = [info.text]
    if info.role_arn and info.role_arn not in forms:
        forms.append(info.role_arn)
    return tuple(forms)


def _read_text(path: Path) -> str | None:
    # Bounded, never blocks on a FIFO/device, UTF-8 BOM dropped (as editors show it).
    return safeio.read_text_or_none(path, errors="strict")


def _statement_lines(text: str, doc: Mapping[str, Any]) -> tuple[int, ...] | None:
    """1-based lines of each statement (via the policy parser when present)."""
    try:
        from accessdenied.policy import parse_policy
    except ImportError:  # pragma: no cover
        return None
    try:
        parsed = parse_policy(text)
        return tuple(s.span.start_line for s in parsed.statements)
    except Exception:
        logger.exception("parse_policy failed")
        return None


def _embedded_lines(path: Path, span: Span) -> tuple[int, ...] | None:
    """Statement lines of an embedded document, via policy.find_policies."""
    text = _read_text(path)
    if text is None:
        return None
    try:
        from accessdenied.policy import find_policies

        found = find_policies(str(path), text)
    except Exception:
        logger.exception("find_policies failed for %s", path)
        return None
    for emb in found:
        doc = getattr(emb, "document", None)
        if doc is None or not (
            emb.span.start <= span.end and span.start <= emb.span.end
        ):
            continue
        return tuple(s.span.start_line for s in doc.statements)
    return None


def read_file_info(path: Path) -> FileInfo:
    """Parse one candidate file (never raises)."""
    try:
        st = path.stat()
    except OSError as exc:
        return FileInfo(path, 0, 0, error=str(exc))
    text = _read_text(path)
    if text is None:
        return FileInfo(path, st.st_mtime_ns, st.st_size, error="unreadable")
    return file_info_from_text(path, text, st.st_mtime_ns, st.st_size)


def file_info_from_text(
    path: Path, text: str, mtime_ns: int = 0, size: int | None = None
) -> FileInfo:
    """What one file contributes, from its text (an unsaved buffer or a planned edit)."""
    doc: Mapping[str, Any] | None = None
    lines = None
    if path.suffix.lower() == ".json":
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # `[[[[...` deeper than the stack
            value = None
        if isinstance(value, dict) and ("Statement" in value or "Version" in value):
            doc = value
    try:
        bindings = tuple(iac_bindings(path, text))
    except Exception:
        logger.exception("reading IaC declarations of %s failed", path)
        bindings = ()
    return FileInfo(
        path, mtime_ns, len(text) if size is None else size, doc, lines, bindings
    )


@dataclass(frozen=True)
class WorkspaceIndex:
    """Immutable: build with `build_index`, refresh with `updated`."""

    root: Path
    config: WorkspaceConfig
    files: Mapping[Path, FileInfo]
    refs: tuple[PolicyRef, ...] = ()
    config_error: ConfigError | None = None
    #: Mappings that point outside the root (not followed unless allow_outside).
    boundary: tuple[BoundaryFinding, ...] = ()
    #: Whether files outside the root may be read (never written).
    allow_outside: bool = False
    _docs: dict[Path, FileInfo] = field(default_factory=dict, repr=False, compare=False)
    _lines: dict[tuple[Any, ...], tuple[int, ...] | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: principal name -> files that match a naming pattern for it (with the pattern).
    _by_name: Mapping[str, tuple[tuple[Path, str], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def updated(self, changed_paths: Iterable[Path | str]) -> WorkspaceIndex:
        """A new index with `changed_paths` (created, modified or deleted) re-read."""
        files = dict(self.files)
        config_changed = False
        paths = [Path(raw).resolve() for raw in changed_paths]
        # A Terraform module is one directory: a change to one .tf file can change what
        # its siblings' documents resolve to (names, references, call-site variables).
        modules = {p.parent for p in paths if p.suffix == ".tf"}
        paths += [
            p
            for p in files
            if p.suffix == ".tf" and p.parent in modules and p not in paths
        ]
        for path in paths:
            if path.name in (".accessdenied.toml", "pyproject.toml"):
                config_changed = True
                continue
            if not path.exists():
                files.pop(path, None)
                continue
            if not is_candidate(path) or not _under(path, self.root):
                continue
            files[path] = read_file_info(path)
        if config_changed:
            return build_index(
                self.root, None, previous=files, allow_outside=self.allow_outside
            )
        return _make(
            self.root, self.config, files, self.config_error, self.allow_outside
        )

    def contains(self, path: Path | str) -> bool:
        """Whether `path` (symlinks resolved) lies inside the workspace root."""
        return safeio.is_within(path, (self.root,))

    def file_info(self, path: Path | str) -> FileInfo | None:
        """The indexed info of one file (None when not indexed)."""
        p = Path(path).resolve()
        return self.files.get(p) or self._docs.get(p)

    def refs_of(self, kind: str | None = None) -> tuple[PolicyRef, ...]:
        """Every ref, optionally of one kind."""
        return tuple(r for r in self.refs if kind is None or r.kind == kind)

    def policies_for(
        self, principal_arn: str, kind: str | None = "identity"
    ) -> tuple[PolicyRef, ...]:
        """Policies attached to a principal (sessions map to their role), best first.

        `kind` filters ("identity" by default; "boundary", "session", "trust"; None: all).
        """
        forms = principal_forms(principal_arn)
        found = [
            r
            for r in self.refs
            # "missing": attached managed policies not found (stated as assumptions).
            if r.kind in ("identity", "boundary", "session", "trust", kind)
            and (kind is None or r.kind == kind)
            and r.target is not None
            and target_matches(r.target, forms)
        ]
        found.extend(self._naming(forms, kind))
        return _rank(found)

    def resource_policies_for(self, resource_arn: str) -> tuple[PolicyRef, ...]:
        """Resource-based (and KMS key) policies of a resource, best first."""
        found = [
            r
            for r in self.refs
            if r.kind in ("resource", "kms")
            and r.target is not None
            and arn_matches(r.target, resource_arn)
        ]
        return _rank(found)

    def trust_policies_for(self, role_arn: str) -> tuple[PolicyRef, ...]:
        """Trust policies of a role."""
        return self.policies_for(role_arn, kind="trust")

    def org_policies(
        self, kind: str, account: str | None = None
    ) -> tuple[tuple[PolicyRef, ...], ...]:
        """SCP or RCP refs per organization level (root first) for an account."""
        org = self.config.organization
        if account is not None:
            if org.management_account and account == org.management_account:
                return ()
            if org.accounts and account not in org.accounts:
                return ()
        levels: dict[int, list[PolicyRef]] = {}
        for r in self.refs:
            if r.kind == kind and r.level is not None:
                levels.setdefault(r.level, []).append(r)
        return tuple(tuple(levels[k]) for k in sorted(levels))

    def document(self, ref: PolicyRef) -> Mapping[str, Any] | None:
        """The policy document a ref points at (None when unknown or not static)."""
        info = self.files.get(ref.path) or self._docs.get(ref.path)
        if (
            info is None
            and (self.allow_outside or self.contains(ref.path))
            and safeio.is_regular_file(ref.path)
        ):
            info = read_file_info(ref.path)
            self._docs[ref.path] = info
        if info is None:
            return None
        if ref.embed == "json" and ref.span_in_file is None:
            return info.document
        for b in info.bindings:
            if ref.span_in_file is not None and b.span == (
                ref.span_in_file.start,
                ref.span_in_file.end,
            ):
                return b.document
        for f in self.files.values():
            for b in f.bindings:
                if b.file == ref.path and b.logical == ref.name and b.kind == ref.kind:
                    return b.document
        return None

    def policy(self, ref: PolicyRef) -> Policy | None:
        """A ref's document as an evaluator `Policy` (statement lines when known)."""
        doc = self.document(ref)
        if doc is None:
            return None
        info = self.files.get(ref.path) or self._docs.get(ref.path)
        lines = None
        key: tuple[Any, ...]
        if info is not None and ref.span_in_file is None:
            # Statement lines are computed on first use (a full positional parse).
            key = (ref.path, info.mtime_ns)
            if key not in self._lines:
                text = _read_text(ref.path)
                self._lines[key] = _statement_lines(text, doc) if text else None
            lines = self._lines[key]
        elif info is not None and ref.span_in_file is not None:
            key = (ref.path, info.mtime_ns, ref.span_in_file.start)
            if key not in self._lines:
                self._lines[key] = _embedded_lines(ref.path, ref.span_in_file)
            lines = self._lines[key]
        return Policy(
            document=doc,
            name=ref.name or ref.path.name,
            file=str(ref.path),
            statement_lines=lines,
        )

    def policy_set_for(
        self, principal: str, resource: str, action: str | None = None
    ) -> PolicySet:
        """Every policy of the workspace that applies to `principal` acting on `resource`."""
        identity = []
        seen: set[tuple[Path, Span | None]] = set()
        for ref in self.policies_for(principal, kind="identity"):
            if (ref.path, ref.span_in_file) in seen:
                continue
            seen.add((ref.path, ref.span_in_file))
            pol = self.policy(ref)
            if pol is not None:
                identity.append(pol)
        boundary = _first(self, self.policies_for(principal, kind="boundary"))
        session = _first(self, self.policies_for(principal, kind="session"))
        resource_policy = None
        resource_kind = None
        if (action or "").lower().startswith("sts:assumerole") and ":role/" in resource:
            resource_policy = _first(self, self.trust_policies_for(resource))
            resource_kind = "trust"
        else:
            refs = self.resource_policies_for(resource)
            resource_policy = _first(self, refs)
            if refs and refs[0].kind == "kms":
                resource_kind = "kms"
        account = parse_principal(principal).account
        arn = parse_arn(resource)
        res_account = arn.account if arn and arn.account else account
        scps = tuple(
            tuple(p for p in (self.policy(r) for r in level) if p is not None)
            for level in self.org_policies("scp", account)
        )
        rcps = tuple(
            tuple(p for p in (self.policy(r) for r in level) if p is not None)
            for level in self.org_policies("rcp", res_account)
        )
        return PolicySet(
            identity=tuple(identity),
            resource=resource_policy,
            scps=scps,
            rcps=rcps,
            boundary=boundary,
            session=session,
            resource_kind=resource_kind,
            management_account=self.config.organization.management_account,
        )

    def _naming(self, forms: tuple[str, ...], kind: str | None) -> list[PolicyRef]:
        if kind not in (None, "identity") or not self.config.naming_enabled:
            return []
        names = set()
        for f in forms:
            info = parse_principal(f)
            if info.name and info.kind in ("role", "user", "assumed_role"):
                names.add(info.name)
        claimed = {r.path for r in self.refs if r.embed == "json"}
        out = []
        for name in sorted(names):
            for path, hit in self._by_name.get(name, ()):
                if path in claimed:
                    continue
                out.append(
                    PolicyRef(
                        path=path,
                        kind="identity",
                        principal=forms[-1],
                        span_in_file=None,
                        origin="naming",
                        confidence="guess",
                        reason=f"file name matches principal name {name!r} "
                        f"(naming convention {hit}); not configured",
                        target=forms[-1],
                    )
                )
        return out


def _first(index: WorkspaceIndex, refs: tuple[PolicyRef, ...]) -> Policy | None:
    for ref in refs:
        pol = index.policy(ref)
        if pol is not None:
            return pol
    return None


def _rank(refs: list[PolicyRef]) -> tuple[PolicyRef, ...]:
    uniq: dict[tuple[Path, str, int | None], PolicyRef] = {}
    for r in sorted(
        refs, key=lambda r: (_CONFIDENCE_RANK.get(r.confidence, 3), str(r.path))
    ):
        key = (r.path, r.kind, r.span_in_file.start if r.span_in_file else None)
        uniq.setdefault(key, r)
    return tuple(uniq.values())


def _rel(path: Path, root: Path) -> str:
    # String slicing: pathlib's relative_to dominates updated() on large trees.
    p, r = str(path), str(root)
    if p.startswith(r + os.sep):
        return p[len(r) + 1 :].replace(os.sep, "/")
    return path.as_posix()


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _config_files(
    config: WorkspaceConfig, pattern: str, files: Mapping[Path, FileInfo]
) -> list[Path]:
    """Files a config glob names: matched among indexed files, or an existing path."""
    base = config.base
    direct = (base / pattern).resolve()
    if not any(c in pattern for c in "*?["):
        return [direct]
    out = []
    for path in files:
        if glob_match(pattern, _rel(path, base)):
            out.append(path)
    return sorted(out)


def _span_of(
    path: Path, span: tuple[int, int] | None, texts: Mapping[Path, str] | None = None
) -> Span | None:
    if span is None:
        return None
    text = texts.get(path) if texts and path in texts else _read_text(path)
    if text is None:
        return None
    return LineIndex(text).span(*span)


def _line_naming(path: Path | None, needle: str) -> int:
    """1-based line of the first line of `path` that contains `needle` (else 1)."""
    text = _read_text(path) if path is not None else None
    if text is None or not needle:
        return 1
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return 1


def _outside(
    root: Path, path: Path, named_in: Path | None, needle: str, what: str
) -> BoundaryFinding:
    shown = needle or str(path)
    return BoundaryFinding(
        path=named_in or root,
        line=_line_naming(named_in, needle),
        target=path,
        message=f"{what} {shown!r} resolves to {path}, outside the workspace "
        f"{root}; not read and never edited (reading outside the workspace needs "
        "an explicit setting)",
    )


def _make(
    root: Path,
    config: WorkspaceConfig,
    files: Mapping[Path, FileInfo],
    config_error: ConfigError | None = None,
    allow_outside: bool = False,
    texts: Mapping[Path, str] | None = None,
) -> WorkspaceIndex:
    refs: list[PolicyRef] = []
    boundary: list[BoundaryFinding] = []
    where = config.source.name if config.source else "config"
    roots = (root,)

    def add(
        kind: str, pattern: str, target: str | None, why: str, level: int | None = None
    ) -> None:
        for path in _config_files(config, pattern, files):
            outside = not safeio.is_within(path, roots)
            if outside:
                boundary.append(
                    _outside(root, path, config.source, pattern, "config path")
                )
                if not allow_outside:
                    continue
            refs.append(
                PolicyRef(
                    path=path,
                    kind=kind,
                    principal=target
                    if kind not in ("resource", "kms", "scp", "rcp", "managed")
                    else None,
                    span_in_file=None,
                    origin="config",
                    confidence="configured",
                    reason=why,
                    target=target,
                    name=path.name,
                    level=level,
                    outside=outside,
                )
            )

    for p in config.principals:
        for g in p.identity_policies:
            add("identity", g, p.arn, f"{where}: identity_policies of {p.arn}")
        for kind, value in (
            ("boundary", p.boundary),
            ("session", p.session_policy),
            ("trust", p.trust_policy),
        ):
            if value:
                add(kind, value, p.arn, f"{where}: {kind} of {p.arn}")
    for r in config.resources:
        add(r.kind, r.policy, r.arn, f"{where}: policy of resources {r.arn}")
    for mp in config.managed_policies:
        add("managed", mp.policy, mp.arn, f"{where}: managed_policies {mp.arn}")
    for kind, levels in (
        ("scp", config.organization.scps),
        ("rcp", config.organization.rcps),
    ):
        for i, level in enumerate(levels):
            for g in level:
                add(kind, g, None, f"{where}: organization {kind}s, level {i}", level=i)
    for info in files.values():
        for b in info.bindings:
            outside = b.file != info.path and not safeio.is_within(b.file, roots)
            if outside:
                boundary.append(
                    _outside(root, b.file, info.path, _ref_text(b.file, info), "file")
                )
                if not allow_outside:
                    continue
            refs.append(
                PolicyRef(
                    path=b.file,
                    kind=b.kind,
                    principal=b.target
                    if b.kind in ("identity", "trust", "boundary")
                    else None,
                    # A span is an offset range of b.file (CDK: a source file).
                    span_in_file=_span_of(b.file, b.span, texts)
                    if b.file == info.path or b.origin == "cdk"
                    else None,
                    origin=b.origin,
                    confidence=b.confidence,
                    reason=b.reason,
                    target=b.target,
                    embed=b.embed,
                    name=b.logical,
                    not_editable=b.not_editable,
                    outside=outside,
                    references=b.references,
                    attached=b.attached,
                )
            )
    by_name: dict[str, list[tuple[Path, str]]] = {}
    if config.naming_enabled:
        # Patterns come from the (possibly hostile) config: each is checked with the
        # linear-time matcher first, and the capturing regex only runs on a match.
        regexes = [
            (p, _naming_regex(p), p.replace("{name}", "*"))
            for p in config.naming_patterns
            if sum(p.count(w) for w in ("*", "?")) <= 8
        ]
        for path, info in files.items():
            if info.document is None:
                continue
            rel = _rel(path, root)
            for pattern, rx, pre in regexes:
                full = pre if "/" in pre else "**/" + pre
                if not glob_matches(full, rel):
                    continue
                m = rx.match(rel)
                if m:
                    by_name.setdefault(m.group("name"), []).append((path, pattern))
                    break
    # Customer managed policy ARNs attached in one file, written in another.
    from accessdenied.workspace.attachments import link_attached

    refs = link_attached(refs)
    return WorkspaceIndex(
        root,
        config,
        dict(files),
        tuple(refs),
        config_error,
        tuple(boundary),
        allow_outside,
        _by_name={k: tuple(v) for k, v in by_name.items()},
    )


def _ref_text(target: Path, info: FileInfo) -> str:
    """How a template names `target` (its relative spelling, for locating the line)."""
    try:
        return os.path.relpath(target, info.path.parent)
    except ValueError:
        return str(target)


def _naming_regex(pattern: str) -> re.Pattern[str]:
    """A glob with `{name}` as a regex with a `name` group (one path segment part)."""
    marker = "\x00NAME\x00"
    glob = pattern.replace("{name}", marker)
    if "/" not in glob:
        glob = "**/" + glob
    rx = glob_regex(glob).pattern.replace(re.escape(marker), "(?P<name>[^/]+?)")
    return re.compile(rx)


def build_index(
    root: Path | str,
    config: WorkspaceConfig | None = None,
    previous: Mapping[Path, FileInfo] | None = None,
    allow_outside: bool = False,
) -> WorkspaceIndex:
    """Index every candidate policy file under `root` (config from `root` unless given).

    An invalid config is recorded in `config_error` (the index then uses no config).
    Mappings outside `root` are reported in `boundary` and, unless `allow_outside`,
    not followed.
    """
    root = Path(root).resolve()
    error = None
    if config is None:
        try:
            config = load_config(root)
        except ConfigError as exc:
            error = exc
            config = WorkspaceConfig(base=root)
    files: dict[Path, FileInfo] = {}
    for path in discover(root, config.exclude):
        old = previous.get(path) if previous else None
        if old is not None:
            try:
                st = os.stat(path)
                if st.st_mtime_ns == old.mtime_ns and st.st_size == old.size:
                    files[path] = old
                    continue
            except OSError:
                continue
        files[path] = read_file_info(path)
    return _make(root, config, files, error, allow_outside)


def with_config(index: WorkspaceIndex, config: WorkspaceConfig) -> WorkspaceIndex:
    """The same files under another config."""
    return replace(
        _make(index.root, config, index.files, None, index.allow_outside),
        config_error=None,
    )


def with_texts(index: WorkspaceIndex, texts: Mapping[Path, str]) -> WorkspaceIndex:
    """The index as if `texts` (path -> full text) were on disk; nothing is written."""
    if not texts:
        return index
    files = dict(index.files)
    resolved = {Path(p).resolve(): t for p, t in texts.items()}
    for path, text in resolved.items():
        old = files.get(path)
        files[path] = file_info_from_text(
            path, text, old.mtime_ns if old else 0, len(text)
        )
    return _make(
        index.root,
        index.config,
        files,
        index.config_error,
        index.allow_outside,
        texts=resolved,
    )
