"""`analyze_policy`: one parse of a policy-bearing file -> its documents and findings.

Computed once per document version and shared by every consumer (diagnostics, hover,
completion, code actions), so a keystroke costs one detection parse plus the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from accessdenied.policy import (
    EmbeddedPolicy,
    Finding,
    PolicyDocument,
    check_document,
    find_policies,
    normalize_policy_type,
    parse_policy,
)
from accessdenied.policy.detect import is_template_path
from accessdenied.text import LineIndex


@dataclass(frozen=True)
class PolicyAnalysis:
    """The documents found in one text, their findings, and the text's line index."""

    path: str
    embedded: tuple[EmbeddedPolicy, ...]
    findings: tuple[Finding, ...]
    #: The whole text as one policy document (standalone JSON files), else None.
    document: PolicyDocument | None
    lines: LineIndex

    @property
    def is_policy(self) -> bool:
        """Whether the text holds at least one policy document."""
        return bool(self.embedded)


def analyze_policy(
    path: str, text: str, policy_type: str | None = None
) -> PolicyAnalysis:
    """Documents and findings of `text` (`policy_type` overrides the guessed type).

    Never raises for bad input: syntax errors are findings. An unknown `policy_type`
    is ignored (the type is guessed from the content).
    """
    if policy_type is not None and normalize_policy_type(policy_type) is None:
        policy_type = None
    embedded = tuple(find_policies(path, text))
    lines = LineIndex(text)
    if is_template_path(path, text) or any(e.kind != "json" for e in embedded):
        return PolicyAnalysis(
            path, embedded, _template_findings(embedded, policy_type), None, lines
        )
    doc = parse_policy(text, policy_type)
    if policy_type is not None:
        doc = replace(doc, type_source="given")
    findings = tuple(check_document(doc))
    return PolicyAnalysis(path, embedded, findings, doc, lines)


def _template_findings(
    embedded: tuple[EmbeddedPolicy, ...], policy_type: str | None
) -> tuple[Finding, ...]:
    out: list[Finding] = []
    seen: set[tuple[str, int, int, str]] = set()
    for emb in embedded:
        found = list(emb.findings)
        docs = (emb.document, *emb.alternates) if emb.document else ()
        for doc in docs:
            if policy_type is not None:
                doc = replace(
                    doc,
                    policy_type=normalize_policy_type(policy_type),
                    type_source="given",
                )
            found.extend(check_document(doc))
        for f in found:
            key = (f.code, f.span.start, f.span.end, f.message)
            if key not in seen:  # both readings of an Fn::If agree
                seen.add(key)
                out.append(f)
    return tuple(out)
