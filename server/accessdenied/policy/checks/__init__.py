"""Semantic checks of policy documents: one function per finding code.

Modelled on IAM Access Analyzer's policy validation (errors, security warnings,
warnings, suggestions). Every check is registered in `CHECKS` by its stable kebab-case
code. `check_document` runs syntax + schema + semantic checks; `check_text` parses
first (and, given a path, finds policies embedded in templates).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from accessdenied.policy.model import (
    Finding,
    PolicyDocument,
    normalize_policy_type,
)

if TYPE_CHECKING:
    from accessdenied.catalog import Catalog

# Importing a family registers its checks; this order is the order they run and are
# listed in (docs/checks.md).
# isort: off
from accessdenied.policy.checks import document  # noqa: F401
from accessdenied.policy.checks import actions  # noqa: F401
from accessdenied.policy.checks import resources  # noqa: F401
from accessdenied.policy.checks import conditions  # noqa: F401
from accessdenied.policy.checks import principals  # noqa: F401
from accessdenied.policy.checks import security  # noqa: F401
from accessdenied.policy.checks import grammar  # noqa: F401
from accessdenied.policy.checks import keys  # noqa: F401

# isort: on
from accessdenied.policy.checks._base import (
    CHECKS,
    Check,
    Context,
    check,
    expand_actions,
)
from accessdenied.policy.checks.conditions import parse_operator

__all__ = [
    "CHECKS",
    "Check",
    "Context",
    "check",
    "check_document",
    "check_text",
    "expand_actions",
    "parse_operator",
    "run_checks",
]


def run_checks(doc: PolicyDocument, catalog: Catalog | None = None) -> list[Finding]:
    """Semantic findings of `doc` (every registered check)."""
    ctx = Context(doc, catalog, normalize_policy_type(doc.policy_type))
    out: list[Finding] = []
    for chk in CHECKS.values():
        out.extend(chk.fn(ctx))
    return out


def _catalog() -> Catalog | None:
    try:
        from accessdenied.catalog import load_catalog

        return load_catalog()
    except (ImportError, OSError, ValueError):
        return None


def check_document(
    doc: PolicyDocument, catalog: Catalog | None = None
) -> list[Finding]:
    """Syntax + schema + semantic findings of a parsed document, in document order."""
    from accessdenied.policy.schema import schema_findings

    ptype = normalize_policy_type(doc.policy_type)
    if doc.policy_type is not None and ptype is None:
        raise ValueError(f"unknown policy type: {doc.policy_type!r}")
    out = list(doc.syntax_errors) + list(doc.extra_findings)
    if doc.root is not None:
        semantic = run_checks(doc, catalog if catalog is not None else _catalog())
        taken = {(f.span.start, f.span.end) for f in semantic if f.severity == "error"}
        # An ECR repository policy names no Resource: the repository is implied.
        implied = doc.attachment == "ecr-repository"
        out.extend(
            f
            for f in schema_findings(doc)
            if (f.span.start, f.span.end) not in taken
            and not (implied and f.code == "missing-resource")
        )
        out.extend(semantic)
    out.sort(key=lambda f: (f.span.start, f.span.end, f.code))
    return out


def check_text(
    text: str,
    policy_type: str | None = None,
    path: str | None = None,
    catalog: Catalog | None = None,
) -> list[Finding]:
    """Findings for a policy text; with a template path, for every embedded policy.

    Raises ValueError for an unknown `policy_type`.
    """
    from accessdenied.policy.detect import find_policies, is_template_path
    from accessdenied.policy.document import parse_policy

    if policy_type is not None and normalize_policy_type(policy_type) is None:
        raise ValueError(f"unknown policy type: {policy_type!r}")
    if path is not None and is_template_path(path, text):
        out: list[Finding] = []
        seen: set[tuple[str, int, int, str]] = set()
        for emb in find_policies(path, text):
            found = list(emb.findings)
            docs = (emb.document, *emb.alternates) if emb.document else ()
            for doc in docs:
                if policy_type is not None:
                    doc = replace(
                        doc,
                        policy_type=normalize_policy_type(policy_type),
                        type_source="given",
                    )
                found.extend(check_document(doc, catalog))
            for f in found:
                key = (f.code, f.span.start, f.span.end, f.message)
                if key not in seen:  # both readings of an Fn::If agree
                    seen.add(key)
                    out.append(f)
        return out
    doc = parse_policy(text, policy_type)
    if policy_type is not None:
        doc = replace(doc, type_source="given")
    return check_document(doc, catalog)
