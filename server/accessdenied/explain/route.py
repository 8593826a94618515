"""`explain_denial`: which policy decided a denial and which documents should change.

The one routing of the project: the "was denied" diagnostic, its related information,
the quick fixes, hovers and `accessdenied fix` all read the same `DenialExplanation`,
so the document the editor points at is the document the fixer edits. Texts come from
`read_text` (an editor passes its open buffers), so unsaved edits count everywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from accessdenied import safeio
from accessdenied.denials.model import Denial
from accessdenied.evaluate import (
    Decision,
    Policy,
    PolicySet,
    Reason,
    Request,
    evaluate,
    parse_arn,
    parse_principal,
)
from accessdenied.policy.document import parse_policy
from accessdenied.policy.model import PolicyKind
from accessdenied.text import Span
from accessdenied.workspace import PolicyRef, WorkspaceIndex

logger = logging.getLogger(__name__)

ReadText = Callable[[str], str]
#: Stands for "an account other than the caller's" when an ARN names none.
OTHER_ACCOUNT = "other-account"
Role = Literal["denies", "should-allow"]


def read_file_text(path: Path) -> str:
    """A file's text with its line endings untouched (CRLF stays CRLF).

    Read through `safeio` (bounded, never blocks on a FIFO/device); a UTF-8 BOM is
    dropped, as editors do, and writers put it back.
    """
    return safeio.read_text(path)


@dataclass(frozen=True, slots=True)
class DecidingStatement:
    """A statement the evaluator named for the decision (a Deny, or a granting Allow)."""

    reason: Reason
    #: The statement's span in `reason.file` when that file is a standalone JSON policy.
    span: Span | None = None

    @property
    def path(self) -> str | None:
        return self.reason.file

    @property
    def line(self) -> int | None:
        if self.reason.line is not None:
            return self.reason.line
        return self.span.start_line if self.span is not None else None


@dataclass(frozen=True, slots=True)
class Target:
    """A document that should change for the request to be allowed (best first)."""

    path: str
    role: Role
    message: str
    #: The workspace's ref for it (None for a denying statement's file it does not map).
    ref: PolicyRef | None = None
    #: Where in `path`: the embedded document, the "Statement" value, or the statement.
    span: Span | None = None
    line: int | None = None
    deny: DecidingStatement | None = None


@dataclass(frozen=True)
class DenialExplanation:
    """Decision, deciding statements, documents to change, explicit denies, assumptions."""

    denial: Denial
    #: The workspace's decision for the denied request (None when it cannot be asked).
    decision: Decision | None
    #: The policy set that decision was made on (open buffers included).
    policy_set: PolicySet | None
    deciding: tuple[DecidingStatement, ...]
    explicit_denies: tuple[DecidingStatement, ...]
    #: Documents to change, best first: denying statements, then policies that should allow.
    targets: tuple[Target, ...]
    #: Why the targets were chosen, in words.
    route: str
    assumptions: tuple[str, ...] = ()
    #: The request as evaluated (the denial's, plus what the routing had to assume).
    request: Request | None = None

    @property
    def allowed_now(self) -> bool:
        """The workspace policies allow the request (only a claim about the model)."""
        return self.decision is not None and self.decision.allowed

    @property
    def primary(self) -> Target | None:
        """The deciding document: where the diagnostic points and the first fix edits."""
        return self.targets[0] if self.targets else None

    @property
    def grant_refs(self) -> tuple[PolicyRef, ...]:
        """The refs of the documents that should allow the request, best first."""
        return tuple(
            t.ref
            for t in self.targets
            if t.role == "should-allow" and t.ref is not None
        )


def explain_denial(
    denial: Denial,
    workspace: WorkspaceIndex | None,
    read_text: ReadText | None = None,
) -> DenialExplanation:
    """The workspace's answer for one denial (pure; never raises for bad input)."""
    if workspace is None:
        return DenialExplanation(
            denial, None, None, (), (), (), "no workspace index", ("no workspace",)
        )
    if not denial.principal or not denial.action:
        return DenialExplanation(
            denial,
            None,
            None,
            (),
            (),
            (),
            "the denial does not name both the principal and the action",
        )
    assumptions: list[str] = []
    resource = denial.resource or "*"
    if not denial.resource:
        assumptions.append('the message names no resource: evaluated on "*"')
    policy_set = workspace.policy_set_for(denial.principal, resource, denial.action)
    policy_set = with_buffers(policy_set, workspace, read_text)
    # Managed policies attached by ARN that the workspace does not hold (never an allow).
    assumptions += [
        r.reason for r in workspace.policies_for(denial.principal, "missing")
    ]
    # What the denial implies (context keys, a default key policy), stated as assumptions.
    from accessdenied.fixes.context import (
        implied_context,
        unknown_region_guards,
        with_default_key_policy,
    )

    context, implied = implied_context(denial)
    if "aws:RequestedRegion" not in context:
        # S3 ARNs carry no region: the deploy configuration of the templates may.
        from accessdenied.containers.deployregion import region_from_workspace

        hint = region_from_workspace(
            workspace.refs, workspace.policies_for(denial.principal), resource
        )
        if hint is not None:
            context["aws:RequestedRegion"] = hint[0]
            implied.append(f"aws:RequestedRegion is {hint[0]} (from {hint[1]})")
    policy_set, key_note = with_default_key_policy(denial, policy_set, resource)
    policy_set, region_note = unknown_region_guards(denial, policy_set, context)
    assumptions += implied + [n for n in (key_note, region_note) if n]
    request = Request(
        principal=denial.principal,
        action=denial.action,
        resource=resource,
        context=context,
    )
    decision = evaluate(request, policy_set)
    if decision.allowed and _needs_other_account(denial, request):
        # Cross-account access needs both sides to allow it ("Cross-account policy
        # evaluation logic"); a message that blames the resource-based policy of a
        # resource whose ARN carries no account (S3) says the bucket is elsewhere.
        request = replace(request, resource_account=OTHER_ACCOUNT)
        decision = evaluate(request, policy_set)
        assumptions.append(
            "the message blames the resource-based policy: the resource is taken to "
            "be in another account than the caller"
        )
    deciding = tuple(_deciding(r, read_text) for r in decision.reasons)
    denies = tuple(s for s in deciding if s.reason.effect == "Deny")
    targets: list[Target] = [_deny_target(denial, s) for s in denies if s.path]
    if decision.allowed:
        where = ", ".join(sorted({r.file or r.policy_type for r in decision.reasons}))
        route = (
            f"the workspace policies already allow this request ({where}); the denial "
            "comes from a policy outside the workspace, or the deployed policies differ"
        )
        return DenialExplanation(
            denial,
            decision,
            policy_set,
            deciding,
            denies,
            (),
            route,
            tuple(assumptions),
            request,
        )
    if denial.decision == "explicit" and not denies:
        assumptions.append(
            f"the explicit Deny is in a {denial.policy_type or 'policy'} that is not "
            "in the workspace"
        )
    refs, route = target_refs(denial, workspace, decision)
    if denies:
        route = f"explicitly denied by {len(denies)} statement(s); {route}"
    what = denial.action or "the request"
    for ref in refs:
        targets.append(
            Target(
                path=str(ref.path),
                role="should-allow",
                message=f"{_label(ref.kind)} that should allow {what} ({ref.reason})",
                ref=ref,
                span=ref.span_in_file or _statements_span(str(ref.path), read_text),
            )
        )
    if not refs:
        assumptions.append(route)
    return DenialExplanation(
        denial,
        decision,
        policy_set,
        deciding,
        denies,
        tuple(targets),
        route,
        tuple(assumptions),
        request,
    )


def _needs_other_account(denial: Denial, request: Request) -> bool:
    if denial.policy_type != "resource" or denial.decision == "explicit":
        return False
    arn = parse_arn(request.resource)
    caller = parse_principal(request.principal).account
    return arn is not None and not arn.account and bool(caller)


def _label(kind: str) -> str:
    parsed = PolicyKind.parse(kind)
    return parsed.label if parsed is not None else f"{kind} policy"


def _deny_target(denial: Denial, s: DecidingStatement) -> Target:
    sid = f" {s.reason.sid!r}" if s.reason.sid else ""
    return Target(
        path=str(s.path),
        role="denies",
        message=f"statement{sid} denies {denial.action or 'this request'}",
        span=s.span,
        line=s.line,
        deny=s,
    )


def _blocking_level(
    index: WorkspaceIndex, kind: str, principal: str, resource: str, action: str
) -> list[PolicyRef]:
    """The policies of the first org level where no policy allows the request."""
    request = Request(principal, action, resource)
    for level in index.org_policies(kind):
        policies = [p for p in (index.policy(r) for r in level) if p is not None]
        if not evaluate(request, PolicySet(identity=tuple(policies))).allowed:
            return list(level)[:1]
    return []


def target_refs(
    denial: Denial, index: WorkspaceIndex, decision: Decision
) -> tuple[list[PolicyRef], str]:
    """The documents that should allow the request, best first, and the routing reason.

    Order of evidence: an sts:AssumeRole* call on a role is decided by its trust policy;
    then the policy type the message names; then the types the evaluator found not
    allowing (a permissions boundary, a key or bucket policy, an SCP level).
    """
    action = (denial.action or "").lower()
    principal = denial.principal or ""
    resource = denial.resource or "*"
    if action.startswith("sts:assumerole") and ":role/" in resource:
        refs = list(index.trust_policies_for(resource))
        if denial.policy_type in (None, "resource") and refs:
            return refs, f"{denial.action} is decided by the trust policy of {resource}"
    kinds: list[str] = []
    if denial.policy_type:
        kinds.append(denial.policy_type)
    kinds += [t for t in decision.blocked_by if t not in kinds]
    if not kinds:
        kinds = ["identity"]
    for t in kinds:
        if t == "identity":
            refs = list(index.policies_for(principal, kind="identity"))
        elif t == "resource":
            refs = list(index.resource_policies_for(resource))
        elif t in ("permissions_boundary", "session"):
            refs = list(index.policies_for(principal, kind=str(PolicyKind.parse(t))))
        elif t in ("scp", "rcp"):
            refs = _blocking_level(index, t, principal, resource, denial.action or "")
        else:
            refs = []
        if refs:
            return refs, f"denied because no {t} policy allows it"
    return (
        [],
        f"no {' or '.join(kinds)} policy for this request was found in the workspace",
    )


def _read(read_text: ReadText | None, path: str) -> str:
    if read_text is not None:
        return read_text(path)
    return read_file_text(Path(path))


def _deciding(reason: Reason, read_text: ReadText | None) -> DecidingStatement:
    span = _statement_span(reason.file, reason.statement_index, read_text)
    return DecidingStatement(reason, span)


def _statement_span(
    path: str | None, index: int, read_text: ReadText | None
) -> Span | None:
    """Statement `index` of the standalone policy file `path` (None when not one)."""
    if not path:
        return None
    try:
        doc = parse_policy(_read(read_text, path))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if 0 <= index < len(doc.statements):
        return doc.statements[index].span
    return None


def _statements_span(path: str, read_text: ReadText | None) -> Span | None:
    """The span of a standalone policy file's `"Statement"` value, or None."""
    try:
        node = parse_policy(_read(read_text, path)).statement_node
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return node.span if node is not None else None


def with_buffers(
    policy_set: PolicySet, index: WorkspaceIndex, read_text: ReadText | None
) -> PolicySet:
    """`policy_set` with each standalone JSON policy read through `read_text`.

    An editor's unsaved buffer wins over the indexed disk copy; a buffer that does not
    parse keeps the indexed document. Embedded documents keep the index's copy (their
    offsets are the index's).
    """
    if read_text is None:
        return policy_set
    memo: dict[str, Policy] = {}

    def fresh(p: Policy | None) -> Policy | None:
        if p is None or not p.file:
            return p
        if p.file in memo:
            return memo[p.file]
        info = index.file_info(p.file)
        if info is None or info.document is None or info.bindings:
            return p
        try:
            doc = json.loads(read_text(p.file))
        except (OSError, UnicodeDecodeError, ValueError):
            return p
        if not isinstance(doc, dict) or doc == p.document:
            memo[p.file] = p
            return p
        memo[p.file] = Policy(document=doc, name=p.name, file=p.file)
        return memo[p.file]

    def all_of(ps: tuple[Policy, ...]) -> tuple[Policy, ...]:
        return tuple(q for q in (fresh(p) for p in ps) if q is not None)

    return replace(
        policy_set,
        identity=all_of(policy_set.identity),
        resource=fresh(policy_set.resource),
        boundary=fresh(policy_set.boundary),
        session=fresh(policy_set.session),
        scps=tuple(all_of(level) for level in policy_set.scps),
        rcps=tuple(all_of(level) for level in policy_set.rcps),
    )


def describe(exp: DenialExplanation) -> dict[str, Any]:
    """The explanation as plain JSON data (CLI output, logs)."""
    return {
        "decision": exp.decision.decision if exp.decision is not None else None,
        "route": exp.route,
        "targets": [
            {"path": t.path, "role": t.role, "line": t.line, "message": t.message}
            for t in exp.targets
        ],
        "explicit_denies": [s.reason.to_json() for s in exp.explicit_denies],
        "assumptions": list(exp.assumptions),
    }
