"""didOpen/didChange/didSave/didClose -> publishDiagnostics for logs and policy files.

Log documents (language id `log`, or a path matching `accessdenied.logs.include`, or a
CloudTrail JSON record file) get one diagnostic per denial; policy documents get schema
and semantic findings, debounced while typing. Denials from every source (open logs,
watched files, terminals) also put a "was denied" diagnostic on the policy that should
grant the request. Results computed for an older document version are dropped.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import convert, explain, globs
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import (
    AccessDeniedServer,
    DenialSource,
    path_to_uri,
    uri_to_path,
)
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.explain import PolicyAnalysis
    from accessdenied.policy import Finding

logger = logging.getLogger(__name__)

FINDINGS = "findings"
DENIALS = "denials"
POLICY_DENIALS = "policy-denials"
#: Seconds a denial diagnostic waits for the first workspace index (then goes without;
#: it is re-published with its explanation when the index lands).
FIRST_INDEX_WAIT = 3.0

LOG_LANGUAGES = frozenset({"log", "Log", "text.log", "aws-log"})
POLICY_LANGUAGES = frozenset(
    {"json", "jsonc", "yaml", "terraform", "hcl", "tf", "cloudformation"}
)
POLICY_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".tf", ".template"})


def relative(ls: AccessDeniedServer, path: Path) -> str:
    """`path` relative to its workspace folder (posix), else as given."""
    root = ls.folder_of(path) or ls.root_path
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return path.as_posix()


def is_log_path(ls: AccessDeniedServer, path: Path) -> bool:
    """Whether `path` matches the configured log globs (and no exclude glob)."""
    rel = relative(ls, path)
    logs = ls.settings_service.for_path(path).logs
    return globs.matches(rel, logs.include) and not globs.matches(rel, logs.exclude)


def looks_like_cloudtrail(text: str) -> bool:
    head = text[:4096]
    return '"eventSource"' in head and ('"Records"' in head or '"eventName"' in head)


def classify(
    ls: AccessDeniedServer,
    uri: str,
    language_id: str | None,
    text: str,
    version: int | None = None,
) -> str | None:
    """`log`, `policy` or None for a document (logs by language id or file pattern)."""
    known = ls.kinds.get(uri)
    if (language_id or "") in LOG_LANGUAGES:
        return "log"
    path = uri_to_path(uri)
    if path is not None and is_log_path(ls, path):
        return "log"
    if looks_like_cloudtrail(text):
        return "log"
    if known == "policy":
        return "policy"
    suffix = path.suffix.lower() if path is not None else ""
    if (language_id or "") in POLICY_LANGUAGES or suffix in POLICY_SUFFIXES:
        try:
            if policy_analysis(ls, uri, text, version).is_policy:
                return "policy"
        except Exception:
            logger.exception("finding policies in %s failed", uri)
        if _indexed_policy(ls, path):
            return "policy"
    return None


def _indexed_policy(ls: AccessDeniedServer, path: Path | None) -> bool:
    if path is None or ls.index is None:
        return False
    return str(path) in ls.index_paths


def policy_analysis(
    ls: AccessDeniedServer, uri: str, text: str, version: int | None
) -> PolicyAnalysis:
    """The document's `PolicyAnalysis`, computed once per (uri, version, index type)."""
    from accessdenied.explain import analyze_policy

    path = uri_to_path(uri)
    name = str(path) if path is not None else uri
    policy_type = ls.index_kinds.get(name)
    key = (version, policy_type, len(text))
    cached = ls.analyses.get(uri)
    if version is not None and cached is not None and cached[0] == key:
        return cached[1]
    result = analyze_policy(name, text, policy_type)
    if version is not None:
        ls.analyses[uri] = (key, result)
    return result


def current_analysis(ls: AccessDeniedServer, uri: str) -> PolicyAnalysis | None:
    """The analysis of the open document's current version (computed if missing)."""
    doc = ls.open_document(uri)
    if doc is None:
        return None
    return policy_analysis(ls, uri, str(doc.source), doc.version)


def policy_findings(ls: AccessDeniedServer, uri: str, text: str) -> list[Finding]:
    """Schema + semantic findings for a policy document (worker thread)."""
    doc = ls.open_document(uri)
    version = doc.version if doc is not None and str(doc.source) == text else None
    return list(policy_analysis(ls, uri, text, version).findings)


async def analyze(ls: AccessDeniedServer, uri: str) -> None:
    """(Re)compute diagnostics for an open document; drop results if it moved on."""
    doc = ls.open_document(uri)
    if doc is None:
        return
    ls.fault("diagnostics")
    version, text, language = doc.version, str(doc.source), doc.language_id
    kind = await ls.in_thread(classify, ls, uri, language, text, version)
    if kind is None:
        if ls.kinds.pop(uri, None) is not None:
            ls.store.clear(uri, FINDINGS)
            ls.store.clear(uri, DENIALS)
        return
    ls.kinds[uri] = kind
    if kind == "log":
        denials, index = await ls.in_thread(_scan, text)
        if not _current(ls, uri, version):
            return
        source = DenialSource(
            uri=uri,
            label=_label(ls, uri),
            denials=_cap(ls, denials),
            index=index,
            version=version,
        )
        ls.sources[uri] = source
        await publish_source(ls, source)
        return
    diags = await ls.in_thread(_policy_diagnostics, ls, uri, text, version, ls.encoding)
    if not _current(ls, uri, version):
        return
    ls.store.set(uri, FINDINGS, diags, version)
    if ls.buffer_versions.get(uri) != version:
        # An edited policy buffer takes part in every explanation (open buffers win).
        first = uri not in ls.buffer_versions
        ls.buffer_versions[uri] = version
        if not first:
            ls.buffers_generation += 1
            if ls.sources:
                ls.debounce("buffers-republish", 0.3, lambda: republish_sources(ls))


def _scan(text: str) -> tuple[list[Denial], LineIndex]:
    """Denials in a log text plus its line index (worker thread: both are O(size))."""
    from accessdenied.denials import scan_text

    return scan_text(text), LineIndex(text)


def _policy_diagnostics(
    ls: AccessDeniedServer, uri: str, text: str, version: int | None, encoding: str
) -> list[types.Diagnostic]:
    analysis = policy_analysis(ls, uri, text, version)
    return [
        convert.to_lsp_diagnostic_from_finding(f, analysis.lines, encoding)
        for f in analysis.findings
    ]


def _current(ls: AccessDeniedServer, uri: str, version: int | None) -> bool:
    doc = ls.open_document(uri)
    return doc is not None and doc.version == version


def _cap(ls: AccessDeniedServer, denials: list[Denial]) -> list[Denial]:
    limit = max(ls.settings.logs.max_diagnostics, 1)
    return denials[-limit:]


def _label(ls: AccessDeniedServer, uri: str) -> str:
    path = uri_to_path(uri)
    if path is None:
        return uri
    return relative(ls, path)


def _explain_all(
    ls: AccessDeniedServer, denials: list[Denial]
) -> tuple[list[explain.Explanation], dict[str, LineIndex | None]]:
    """Explanations plus the text indexes of every related policy file (worker thread)."""
    index = ls.index
    cache: dict[Any, explain.Explanation] = ls.explain_cache
    generation = ls.index_generation
    out = []
    for d in denials:
        red = explain.redacted(d)
        key = (generation, ls.buffers_generation, d.key, d.policy_type)
        exp = cache.get(key)
        if exp is None:
            exp = explain.explain(red, index, ls.read_text)
            if len(cache) > 5000:
                cache.clear()
            cache[key] = exp
        else:
            exp = dataclasses.replace(exp, denial=red)
        out.append(exp)
    texts: dict[str, LineIndex | None] = {}
    for exp in out:
        for r in exp.related:
            if r.path not in texts:
                texts[r.path] = explain.read_index(r.path, ls.read_text)
    return out, texts


async def publish_source(ls: AccessDeniedServer, source: DenialSource) -> None:
    """Publish the denial diagnostics of one source and refresh the policy side.

    Before the first workspace index the denials could not be explained (no related
    information, no deciding document named in the message): the first publish waits
    for it, bounded, so the first diagnostic a client shows is already complete.
    """
    await ls.indexes.wait(FIRST_INDEX_WAIT)
    exps, texts = await ls.in_thread(_explain_all, ls, source.denials)
    if source.version is not None and not _current(ls, source.uri, source.version):
        return
    if ls.sources.get(source.uri) is not source:
        return
    enc = ls.encoding
    name_in = None
    if not ls.client_supports(
        "text_document.publish_diagnostics.related_information", False
    ):
        name_in = ls.root_path or Path("/")
    diags = [
        explain.denial_diagnostic(e, source.index, enc, source.uri, texts, name_in)
        for e in exps
    ]
    ls.store.set(source.uri, DENIALS, diags, source.version)
    schedule_policy_denials(ls)


def drop_source(ls: AccessDeniedServer, uri: str) -> None:
    if ls.sources.pop(uri, None) is not None:
        ls.store.clear(uri, DENIALS)
        schedule_policy_denials(ls)


def schedule_policy_denials(ls: AccessDeniedServer) -> None:
    ls.debounce("policy-denials", 0.05, lambda: publish_policy_denials(ls))


async def publish_policy_denials(ls: AccessDeniedServer) -> None:
    """Put "was denied" diagnostics on the policies that should grant (or deny) requests."""
    if not ls.settings.policy.denial_diagnostics:
        for uri in ls.store.uris(POLICY_DENIALS):
            ls.store.clear(uri, POLICY_DENIALS)
        return
    # The latest occurrence of each distinct request, from every source.
    latest: dict[Any, tuple[DenialSource, Denial]] = {}
    for source in list(ls.sources.values()):
        for d in source.denials:
            latest[d.key] = (source, d)
    items = list(latest.values())
    exps, texts = await ls.in_thread(_explain_all, ls, [d for _, d in items])
    by_uri: dict[str, list[types.Diagnostic]] = {}
    enc = ls.encoding
    for (source, _), exp in zip(items, exps, strict=True):
        target = exp.target
        if target is None:
            continue
        if target.path not in texts:
            texts[target.path] = await ls.in_thread(
                explain.read_index, target.path, ls.read_text
            )
        diag = explain.policy_diagnostic(
            exp, texts.get(target.path), enc, source.uri, source.label, source.index
        )
        if diag is not None:
            by_uri.setdefault(path_to_uri(target.path), []).append(diag)
    for uri in ls.store.uris(POLICY_DENIALS):
        if uri not in by_uri:
            ls.store.clear(uri, POLICY_DENIALS)
    for uri, diags in by_uri.items():
        ls.store.set(uri, POLICY_DENIALS, diags)


async def republish_sources(ls: AccessDeniedServer) -> None:
    """Re-explain every denial source (a policy buffer or the index changed)."""
    for source in list(ls.sources.values()):
        await publish_source(ls, source)
    schedule_policy_denials(ls)


async def republish_all(ls: AccessDeniedServer) -> None:
    """After the workspace index changed: related information and targets moved."""
    for source in list(ls.sources.values()):
        await publish_source(ls, source)
    schedule_policy_denials(ls)
    for uri, kind in list(ls.kinds.items()):
        if kind == "policy":
            await analyze(ls, uri)


class DiagnosticsFeature(Feature):
    """Open documents: denials of logs, findings of policies; the policy-side targets."""

    name = "diagnostics"

    async def opened(self, uri: str) -> None:
        await analyze(self.server, uri)

    async def changed(self, uri: str) -> None:
        ls = self.server

        async def run() -> None:
            try:
                await analyze(ls, uri)
            except Exception:
                logger.exception("diagnostics for %s failed", uri)

        ls.debounce(f"analyze:{uri}", ls.settings_for(uri).policy.debounce, run)

    async def saved(self, uri: str) -> None:
        pending = self.server.debounced.pop(f"analyze:{uri}", None)
        if pending is not None:
            pending.cancel()
        await analyze(self.server, uri)

    async def closed(self, uri: str) -> None:
        ls = self.server
        pending = ls.debounced.pop(f"analyze:{uri}", None)
        if pending is not None:
            pending.cancel()
        kind = ls.kinds.pop(uri, None)
        ls.analyses.pop(uri, None)
        ls.store.clear(uri, FINDINGS)
        if kind == "log":
            drop_source(ls, uri)
        elif ls.buffer_versions.pop(uri, None) is not None:
            ls.buffers_generation += 1  # the disk copy counts again

    async def settings_changed(self) -> None:
        schedule_policy_denials(self.server)

    async def index_changed(self) -> None:
        await republish_all(self.server)
