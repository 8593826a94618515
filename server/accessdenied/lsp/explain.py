"""Denial -> diagnostic: the message, related policy locations, and the policy target.

`explain(denial, index)` runs in a worker thread (it asks the workspace index and the
evaluator); `denial_diagnostic` turns its result into an LSP diagnostic. Every string
taken from a log is redacted first.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from accessdenied.lsp import convert
from accessdenied.lsp.convert import path_to_uri, uri_to_path
from accessdenied.policy.model import PolicyKind
from accessdenied.text import LineIndex, Span, neutralize_bidi

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial
    from accessdenied.explain import DenialExplanation, ReadText
    from accessdenied.workspace import WorkspaceIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Related:
    """A policy location that matters for a denial (file path, span or 1-based line)."""

    path: str
    message: str
    span: Span | None = None
    line: int | None = None
    role: str = "should-allow"  # or "denies", or "allows" (allowed now)


@dataclass(frozen=True)
class Explanation:
    denial: Denial
    related: tuple[Related, ...]
    # Where the "was denied" diagnostic goes: the policy that should grant the request,
    # or the statement that denies it.
    target: Related | None
    # The workspace's policies allow the request now (the fix is in).
    allowed_now: bool = False
    core: DenialExplanation | None = None


def redacted(denial: Denial) -> Denial:
    """`denial` with its text and every free-text field redacted."""
    from accessdenied.denials import redact

    return dataclasses.replace(
        denial,
        text=redact(denial.text),
        principal=_r(denial.principal),
        resource=_r(denial.resource),
        policy_arn=_r(denial.policy_arn),
        encoded_blob=None,
        notes=tuple(redact(n) for n in denial.notes),
    )


def _r(value: str | None) -> str | None:
    from accessdenied.denials import redact

    return redact(value) if value else value


def reason(denial: Denial) -> str:
    """Why the request was denied, in words (from what the message says)."""
    parsed = PolicyKind.parse(denial.policy_type)
    kind = parsed.described if parsed is not None else ""
    if denial.decision == "explicit":
        return f"an explicit Deny in {kind}" if kind else "an explicit Deny"
    if denial.decision == "implicit":
        return f"no statement in {kind} allows it" if kind else "no policy allows it"
    if denial.encoded_message:
        return "see the encoded authorization message"
    return "the message does not say which policy denied it"


def summary(denial: Denial) -> str:
    """`<principal> was denied <action> on <resource>`."""
    who = denial.principal or "the caller"
    what = denial.action or denial.operation or "the request"
    on = f" on {denial.resource}" if denial.resource else ""
    return f"{who} was denied {what}{on}"


def message(denial: Denial) -> str:
    # Log text may carry bidi controls (Trojan Source): shown, never obeyed.
    return neutralize_bidi(f"{summary(denial)}: {reason(denial)}")


#: How many "should allow" documents a denial's related information lists.
MAX_GRANT_TARGETS = 3


def explain(
    denial: Denial,
    index: WorkspaceIndex | None,
    read_text: ReadText | None = None,
) -> Explanation:
    """The core's routing for `denial` as related locations (worker thread; never raises)."""
    from accessdenied.explain import explain_denial

    try:
        core_exp = explain_denial(denial, index, read_text)
    except Exception:
        logger.exception("explaining %s failed", summary(denial))
        return Explanation(denial, (), None)
    return from_core(core_exp)


def from_core(core_exp: DenialExplanation) -> Explanation:
    """Related locations, best first, from the core's explanation."""
    if core_exp.allowed_now:
        # No document to change; the statements that allow it now are still named.
        allows = tuple(
            Related(
                s.path,
                f"statement{f' {s.reason.sid!r}' if s.reason.sid else ''} allows "
                f"{core_exp.denial.action or 'the request'} now",
                s.span,
                s.line,
                role="allows",
            )
            for s in core_exp.deciding
            if s.path and s.reason.effect == "Allow"
        )[:MAX_GRANT_TARGETS]
        return Explanation(
            core_exp.denial, allows, None, allowed_now=True, core=core_exp
        )
    related: list[Related] = []
    grants = 0
    for t in core_exp.targets:
        if t.role == "should-allow":
            grants += 1
            if grants > MAX_GRANT_TARGETS:
                continue
        related.append(Related(t.path, t.message, t.span, t.line, t.role))
    target = related[0] if related else None
    return Explanation(core_exp.denial, tuple(related), target, core=core_exp)


def related_location(
    rel: Related, index: LineIndex | None, encoding: str
) -> types.Location:
    uri = path_to_uri(rel.path)
    if rel.span is not None:
        return convert.to_lsp_location(uri, rel.span, index, encoding)
    return convert.line_location(uri, rel.line or 1)


def read_index(path: str, read_text: ReadText) -> LineIndex | None:
    try:
        return LineIndex(read_text(path))
    except (OSError, ValueError):
        return None


def denial_diagnostic(
    exp: Explanation,
    doc_index: convert.LineSource | None,
    encoding: str,
    source_uri: str,
    policy_indexes: dict[str, LineIndex | None],
    name_target_in: Path | None = None,
) -> types.Diagnostic:
    """The diagnostic on the log/terminal line where the denial appears.

    `name_target_in`: the client has no relatedInformation, so the message itself names
    the deciding document (relative to this folder).
    """
    d = exp.denial
    related = [
        types.DiagnosticRelatedInformation(
            location=related_location(r, policy_indexes.get(r.path), encoding),
            message=r.message,
        )
        for r in exp.related
    ]
    text = message(d)
    severity = types.DiagnosticSeverity.Error
    if exp.allowed_now:
        severity = types.DiagnosticSeverity.Information
        if name_target_in is not None and exp.related:
            first = exp.related[0]
            loc = related_location(first, policy_indexes.get(first.path), encoding)
            where = f"{label_for(loc.uri, name_target_in)}:{loc.range.start.line + 1}"
            text += f" (the workspace policies allow it now: {where})"
        else:
            text += " (the workspace policies allow it now)"
    elif name_target_in is not None and exp.target is not None:
        loc = related_location(
            exp.target, policy_indexes.get(exp.target.path), encoding
        )
        where = f"{label_for(loc.uri, name_target_in)}:{loc.range.start.line + 1}"
        verb = "denied by" if exp.target.role == "denies" else "fix in"
        text += f" ({verb} {where})"
    return types.Diagnostic(
        range=convert.to_lsp_range(d.span, doc_index, encoding),
        message=text,
        severity=severity,
        code="explicit-deny" if d.decision == "explicit" else "access-denied",
        source=convert.SOURCE,
        related_information=related or None,
        data={
            "kind": "denial",
            "denial": convert.denial_to_data(d),
            "source": source_uri,
        },
    )


def policy_diagnostic(
    exp: Explanation,
    target_index: LineIndex | None,
    encoding: str,
    source_uri: str,
    source_label: str,
    source_index: convert.LineSource | None,
) -> types.Diagnostic | None:
    """The "was denied" diagnostic on the policy that should grant (or denies) it."""
    target = exp.target
    if target is None:
        return None
    d = exp.denial
    if target.span is not None:
        rng = convert.to_lsp_range(target.span, target_index, encoding)
        # A whole-document span would underline the file: show its first line only.
        if rng.end.line > rng.start.line:
            rng = types.Range(
                start=rng.start, end=_line_end(rng.start, target_index, encoding)
            )
    else:
        start = types.Position(line=max((target.line or 1) - 1, 0), character=0)
        rng = types.Range(start=start, end=_line_end(start, target_index, encoding))
    line = d.span.start_line
    where = f"{source_label}:{line}"
    text = f"{summary(d)} at {where}"
    if target.role == "denies":
        text = f"{text}: this statement denies it"
    related = [
        types.DiagnosticRelatedInformation(
            location=convert.to_lsp_location(
                source_uri, d.span, source_index, encoding
            ),
            message=f"denial in {source_label}",
        )
    ]
    return types.Diagnostic(
        range=rng,
        message=text,
        severity=types.DiagnosticSeverity.Warning,
        code="denied-request",
        source=convert.SOURCE,
        related_information=related,
        data={
            "kind": "denial",
            "denial": convert.denial_to_data(d),
            "source": source_uri,
        },
    )


def _line_end(
    start: types.Position, index: LineIndex | None, encoding: str
) -> types.Position:
    if index is None:
        return types.Position(line=start.line, character=start.character + 1)
    text = index.line_text(start.line + 1)
    return types.Position(line=start.line, character=convert.unit_len(text, encoding))


def label_for(uri: str, root: Path | None) -> str:
    """A short human label for a denial source (relative path or terminal name)."""
    path = uri_to_path(uri)
    if path is None:
        return uri
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()
