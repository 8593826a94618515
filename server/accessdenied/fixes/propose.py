"""Denial + workspace -> verified fixes, routed by which policy type denied the request.

Identity denials edit the principal's identity policy; resource-based, trust (sts:AssumeRole*)
and KMS key policy denials edit that document and name the principal; boundary and
session denials edit those; SCP/RCP denials edit the org policy file when the workspace
has it, else explain. An explicit deny is never answered with an Allow: the fix names
the denying statement and only offers to remove it (kind "remove-deny").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accessdenied.catalog import load_catalog
from accessdenied.denials import Denial
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
from accessdenied.explain import DenialExplanation, explain_denial, read_file_text
from accessdenied.fixes.edits import (
    EditError,
    TextEdit,
    apply_edits,
    is_array,
    is_object,
    remove_statement,
)
from accessdenied.fixes.synthesize import (
    action_info,
    build_statement,
    grant_resource,
    make_sid,
)
from accessdenied.policy import PolicyKind, check_text, parse_json
from accessdenied.workspace import PolicyRef, WorkspaceIndex, arn_matches
from accessdenied.workspace.index import principal_forms

logger = logging.getLogger(__name__)

ReadText = Callable[[str], str]

_SET_FIELD = {
    "identity": "identity",
    "resource": "resource",
    "kms": "resource",
    "trust": "resource",
    "boundary": "boundary",
    "session": "session",
}


@dataclass(frozen=True, slots=True)
class Fix:
    """One proposed change to one file."""

    title: str
    path: str
    edits: tuple[TextEdit, ...]
    kind: str  # insert-statement | extend-statement | edit-resource-policy | edit-trust-policy | remove-deny | explain-only
    verified: bool
    explanation: str
    variant: str = "exact"  # exact | with-dependent-actions
    deny: Reason | None = None
    statement: Mapping[str, Any] | None = None
    ref: PolicyRef | None = None
    #: The target could not be read or parsed (the CLI's exit status 2).
    bad_input: bool = False


def _read(read_text: ReadText | None, path: Path) -> str:
    if read_text is not None:
        return read_text(str(path))
    return read_file_text(path)


def _parse(text: str) -> tuple[Any, Any]:
    """(root object node, PolicyDocument) of a JSON policy text; EditError on errors."""
    parsed = parse_json(text)
    if parsed.errors or parsed.root is None or not is_object(parsed.root):
        first = parsed.errors[0].message if parsed.errors else "not a JSON object"
        raise EditError(f"the policy does not parse: {first}")
    return parsed.root, parsed


def _statements(root: Any) -> tuple[Any, ...]:
    node = root.get("Statement") if hasattr(root, "get") else None
    if node is None:
        return ()
    if is_object(node):
        return (node,)
    return tuple(node.items) if is_array(node) else ()


def _region(text: str, ref: PolicyRef | None) -> tuple[int, int]:
    if ref is not None and ref.span_in_file is not None:
        return ref.span_in_file.start, ref.span_in_file.end
    return 0, len(text)


def plan_grant(
    text: str,
    kind: str,
    actions: Sequence[str],
    resource: str,
    principal: str | None,
    region: tuple[int, int] | None = None,
) -> tuple[tuple[TextEdit, ...], str, dict[str, Any], str]:
    """Edits that grant `actions` on `resource` in JSON text: (edits, kind, statement, how)."""
    from accessdenied.containers.jsontext import plan_json_grant

    return plan_json_grant(text, kind, actions, resource, principal, region)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _doc_of(text: str, region: tuple[int, int]) -> dict[str, Any]:
    value = json.loads(text[region[0] : region[1]])
    if not isinstance(value, dict):
        raise EditError("the policy is not a JSON object")
    return value


def _swap(
    ps: PolicySet, ref: PolicyRef, old: Mapping[str, Any] | None, new: Policy
) -> PolicySet:
    """The policy set with `ref`'s document replaced by (or extended with) `new`."""
    field = _SET_FIELD.get(ref.kind)
    if field == "identity":
        kept = tuple(
            p
            for p in ps.identity
            if not (p.file == str(ref.path) and (old is None or p.document == old))
        )
        return replace(ps, identity=(*kept, new))
    if field in ("resource", "boundary", "session"):
        extra: dict[str, Any] = {field: new}
        if ref.kind == "trust":
            extra["resource_kind"] = "trust"
        elif ref.kind == "kms":
            extra["resource_kind"] = "kms"
        return replace(ps, **extra)
    if ref.kind in ("scp", "rcp"):
        levels = list(ps.scps if ref.kind == "scp" else ps.rcps)
        lvl = ref.level or 0
        while len(levels) <= lvl:
            levels.append(())
        kept = tuple(p for p in levels[lvl] if p.file != str(ref.path))
        levels[lvl] = (*kept, new)
        if ref.kind == "scp":
            return replace(ps, scps=tuple(levels))
        return replace(ps, rcps=tuple(levels))
    return ps


def related_requests(
    request: Request, document: Mapping[str, Any], limit: int = 40
) -> list[Request]:
    """A sample of requests near the denied one (other actions, sibling resources)."""
    actions = {request.action}
    try:
        cat: Any = load_catalog()
        prefix = request.action.split(":", 1)[0]
        for a in cat.expand(f"{prefix}:*")[:15]:
            actions.add(a.full_name)
        for d in cat.dependent_actions(request.action):
            actions.add(d)
    except Exception:
        logger.debug("catalog unavailable for the sample", exc_info=True)
    for stmt in _as_list_of_dicts(document.get("Statement")):
        for a in _as_list(stmt.get("Action")):
            if "*" not in a and "?" not in a:
                actions.add(a)
    resources = {request.resource}
    r = request.resource
    if r and r != "*":
        resources |= {r + "-other", r.rsplit("/", 1)[0] if "/" in r else r + "/x", "*"}
        if ":" in r:
            head, _, tail = r.rpartition(":")
            resources.add(f"{head}:other-{tail}")
    # The closest neighbours first (the sample is cut at `limit`): another caller, the
    # same action on sibling resources, the same service acting for another source.
    first: list[Request] = [
        Request(
            "arn:aws:iam::999988887777:role/someone-else",
            request.action,
            request.resource,
        )
    ]
    source = {k.lower(): k for k in request.context}.get("aws:sourcearn")
    if source is not None:
        others = {k: v for k, v in request.context.items() if k != source}
        first.append(replace(request, context=others))
        first.append(
            replace(
                request,
                context={**others, source: "arn:aws:sns:us-east-1:999988887777:other"},
            )
        )
    out = []
    for a in sorted(actions, key=lambda a: (a != request.action, a)):
        for res in sorted(resources):
            if (a, res) != (request.action, request.resource):
                out.append(
                    Request(
                        request.principal,
                        a,
                        res,
                        request.resource_account,
                        request.context,
                    )
                )
    return (first + out)[:limit]


def _as_list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _error_findings(text: str, kind: str) -> list[tuple[str, str]]:
    """(code, message) of the error findings of a document (empty if the checker fails)."""
    ptype = {"kms": "resource", "boundary": "identity", "session": "identity"}.get(
        kind, kind
    )
    try:
        try:
            findings = check_text(text, ptype)
        except (ValueError, KeyError):  # a policy type the checker does not know
            findings = check_text(text)
    except Exception:  # a checker bug must not hide a correct, evaluated edit
        logger.exception("check_text failed; verifying with the evaluator only")
        return []
    return [(f.code, f.message) for f in findings if f.severity == "error"]


def verify(
    new_text: str,
    ref: PolicyRef,
    region: tuple[int, int],
    old_doc: Mapping[str, Any] | None,
    policy_set: PolicySet,
    request: Request,
    granted_actions: Sequence[str],
    granted_resource: str,
    old_text: str | None = None,
) -> tuple[bool, str]:
    """Check an edited document: parses, no new error findings, allows, grants nothing else.

    `region` is the document's range inside `new_text` (after the edit); `old_text` is
    the document before it (its own errors are not the edit's).
    """
    try:
        sub = new_text[region[0] : region[1]]
        doc = json.loads(sub)
    except ValueError as exc:
        return False, f"the edited document is not valid JSON: {exc}"
    if not isinstance(doc, dict):
        return False, "the edited document is not a JSON object"
    return verify_documents(
        doc,
        ref,
        old_doc,
        policy_set,
        request,
        granted_actions,
        granted_resource,
        check_after=sub,
        check_before=old_text,
    )


def verify_documents(
    doc: Mapping[str, Any],
    ref: PolicyRef,
    old_doc: Mapping[str, Any] | None,
    policy_set: PolicySet,
    request: Request,
    granted_actions: Sequence[str],
    granted_resource: str,
    check_after: str | None = None,
    check_before: str | None = None,
) -> tuple[bool, str]:
    """Check an edited document as evaluated (container references resolved).

    `check_after`/`check_before` are JSON texts of the document for the checks (only
    errors the edit introduces count).
    """
    if check_after is not None:
        new_errors = _error_findings(check_after, ref.kind)
        if check_before is not None:
            # Only errors the edit introduces count; the document's own stay its own.
            for key in _error_findings(check_before, ref.kind):
                if key in new_errors:
                    new_errors.remove(key)
        if new_errors:
            return False, f"the edited document has errors: {new_errors[0][1]}"
    new_policy = Policy(
        document=dict(doc), name=ref.name or ref.path.name, file=str(ref.path)
    )
    after_set = _swap(policy_set, ref, old_doc, new_policy)
    decision = evaluate(request, after_set)
    if not decision.allowed:
        return False, (
            f"after the edit the request is still {decision.decision}"
            f" (blocked by {', '.join(decision.blocked_by) or 'a deny'})"
        )
    granted = {a.lower() for a in granted_actions}
    # A key, trust or resource policy governs only its own resource: only the caller's
    # other actions and other callers are comparable.
    scope = "*" if ref.kind in ("kms", "trust") else granted_resource
    for other in related_requests(request, doc):
        if other.action.lower() in granted and arn_matches(scope, other.resource):
            continue
        before = evaluate(other, policy_set).decision
        after = evaluate(other, after_set).decision
        if before != after:
            return False, (
                f"the edit would also change {other.action} on {other.resource}: "
                f"{before} -> {after}"
            )
    return True, "verified: the denied request is allowed and nothing else changed"


def _request(denial: Denial, resource: str) -> Request:
    return Request(
        principal=denial.principal or "", action=denial.action or "", resource=resource
    )


def fix_in_ref(
    denial: Denial,
    ref: PolicyRef,
    text: str,
    policy_set: PolicySet,
    variant: str = "exact",
    request: Request | None = None,
) -> Fix:
    """Grant the denied request in one document (a Fix, verified or not).

    `request` is the request the routing evaluated (default: the denial's own).
    """
    action = denial.action or ""
    info = action_info(action, denial.resource)
    resource, why_res = grant_resource(info, denial.resource)
    actions = [info.name]
    if variant == "with-dependent-actions":
        actions += [d for d in info.dependent if d.lower() != info.name.lower()]
    kind = ref.kind
    if action.lower().startswith("sts:assumerole") and kind == "trust":
        actions = [info.name]
    # Containers import fixes.edits, so they are imported here, not at module level.
    from accessdenied.containers import Grant, NotEditable, Plan, Site, container_for

    container = container_for(ref.embed)
    plan: Plan | None = None
    why_not = ref.not_editable
    if container is None and why_not is None:
        why_not = (
            f"{ref.path} embeds this policy as {ref.embed}, which cannot be edited "
            "automatically yet"
        )
    if container is not None and why_not is None:
        site = Site(
            embed=ref.embed,
            kind=kind,
            span=_region(text, ref) if ref.span_in_file is not None else None,
            logical=ref.name,
            references=ref.references,
            context=_site_context(denial),
        )
        try:
            from accessdenied.fixes.context import source_condition

            ctx = request.context if request is not None else {}
            plan = container.plan_grant(
                text,
                site,
                Grant(
                    kind,
                    tuple(actions),
                    resource,
                    denial.principal,
                    condition=source_condition(denial.principal, ctx, kind),
                ),
            )
        except NotEditable as exc:
            why_not = f"{ref.path}: {exc}"
    if plan is None:
        stmt = build_statement(
            kind, actions, resource, denial.principal, make_sid(actions, set())
        )
        return Fix(
            title=f"Add {info.name} to {ref.path.name} ({ref.name})",
            path=str(ref.path),
            edits=(),
            kind="explain-only",
            verified=False,
            explanation=(
                f"{why_not}; nothing was written. Add this statement by hand:\n"
                f"{json.dumps(stmt, indent=2)}"
            ),
            variant=variant,
            statement=stmt,
            ref=ref,
        )
    edits, fkind, stmt, how = plan.edits, plan.fix_kind, dict(plan.statement), plan.how
    ok, why = verify_documents(
        plan.after,
        ref,
        plan.before,
        _with_current(policy_set, ref, plan.before),
        request or _request(denial, denial.resource or "*"),
        actions,
        resource,
        check_after=plan.check_after,
        check_before=plan.check_before,
    )
    if kind == "trust":
        fkind = "edit-trust-policy" if fkind == "insert-statement" else fkind
    elif kind in ("resource", "kms") and fkind == "insert-statement":
        fkind = "edit-resource-policy"
    parsed = PolicyKind.parse(kind)
    label = parsed.label if parsed is not None else f"{kind} policy"
    return Fix(
        title=f"Allow {', '.join(actions)} in {label} {ref.path.name}",
        path=str(ref.path),
        edits=edits,
        kind=fkind,
        verified=ok,
        explanation=f"{how}; {why_res}. {why[:1].upper()}{why[1:]}. Chosen file: {ref.reason}.",
        variant=variant,
        statement=stmt,
        ref=ref,
    )


def _site_context(denial: Denial) -> dict[str, str]:
    """Account, region and partition the denial reveals (for container resolvers)."""
    out: dict[str, str] = {}
    info = parse_principal(denial.principal or "")
    if info.account:
        out["account"] = info.account
    arn = parse_arn(denial.resource or "")
    if arn is not None:
        if arn.region:
            out["region"] = arn.region
        if arn.partition:
            out["partition"] = arn.partition
    return out


def _with_current(ps: PolicySet, ref: PolicyRef, doc: Mapping[str, Any]) -> PolicySet:
    """Make sure the set holds the current text of `ref` (e.g. an unsaved buffer)."""
    return _swap(
        ps,
        ref,
        None,
        Policy(document=doc, name=ref.name or ref.path.name, file=str(ref.path)),
    )


def _deny_fixes(
    denial: Denial,
    decision: Decision,
    policy_set: PolicySet,
    read_text: ReadText | None,
    request: Request | None = None,
) -> list[Fix]:
    out: list[Fix] = []
    request = request or _request(denial, denial.resource or "*")
    for reason in decision.reasons:
        if reason.effect != "Deny":
            continue
        where = (
            f"{reason.file}:{reason.line}"
            if reason.file
            else (reason.policy_name or reason.policy_type)
        )
        sid = reason.sid or f"#{reason.statement_index}"
        explanation = (
            f"explicitly denied by statement {sid} of the {reason.policy_type} policy at {where}; "
            "an Allow cannot override an explicit Deny"
        )
        condition = _deny_condition(policy_set, reason)
        if condition:
            explanation += (
                f". The Deny applies only when its Condition holds ({condition}): "
                "making the request so that it does not hold (e.g. over HTTPS, with the "
                "expected tag or network) may be the real fix"
            )
        out.append(
            Fix(
                title=f"Explicit deny: {where} ({sid})",
                path=reason.file or "",
                edits=(),
                kind="explain-only",
                verified=False,
                explanation=explanation,
                deny=reason,
            )
        )
        file = reason.file
        if not file:
            continue
        try:
            text = _read(read_text, Path(file))
            root, _ = _parse(text)
        except (OSError, EditError, UnicodeDecodeError):
            continue
        stmts = _statements(root)
        node = root.get("Statement")
        if reason.statement_index >= len(stmts) or not is_array(node):
            continue
        if reason.line is None:
            line = stmts[reason.statement_index].span.start_line
            reason = replace(reason, line=line)
            where = f"{file}:{line}"
            out[-1] = replace(
                out[-1],
                deny=reason,
                title=f"Explicit deny: {where} ({sid})",
                explanation=out[-1].explanation.replace(f"{file}:None", where),
            )
        edit = remove_statement(text, node, stmts[reason.statement_index])
        new_text = apply_edits(text, (edit,))
        try:
            new_doc = json.loads(new_text)
        except ValueError:
            continue
        new_policy = Policy(document=new_doc, name=reason.policy_name, file=file)
        after = _replace_file(policy_set, file, new_policy)
        d = evaluate(request, after)
        still = (
            ""
            if d.allowed
            else f"; the request would still be {d.decision} (also add an Allow)"
        )
        out.append(
            Fix(
                title=f"Remove the Deny statement {sid} from {Path(file).name}",
                path=file,
                edits=(edit,),
                kind="remove-deny",
                verified=d.decision != "explicit_deny",
                explanation=(
                    f"REMOVES A DENY: deletes statement {sid} ({where}), which denies more than "
                    f"this request; review before applying{still}"
                ),
                deny=reason,
            )
        )
    return out


def _deny_condition(ps: PolicySet, reason: Reason) -> str | None:
    """The Condition block of the denying statement, as compact JSON (None if none)."""
    pools = [*ps.identity, ps.resource, ps.boundary, ps.session]
    pools += [p for lvl in (*ps.scps, *ps.rcps) for p in lvl]
    for pol in pools:
        if pol is None or pol.file != reason.file or pol.name != reason.policy_name:
            continue
        stmts = _as_list_of_dicts(pol.document.get("Statement"))
        if reason.statement_index < len(stmts):
            cond = stmts[reason.statement_index].get("Condition")
            return json.dumps(cond, separators=(",", ":")) if cond else None
    return None


def _replace_file(ps: PolicySet, file: str, new: Policy) -> PolicySet:
    def sub(p: Policy | None) -> Policy | None:
        return new if p is not None and p.file == file else p

    return replace(
        ps,
        identity=tuple(new if p.file == file else p for p in ps.identity),
        resource=sub(ps.resource),
        boundary=sub(ps.boundary),
        session=sub(ps.session),
        scps=tuple(tuple(new if p.file == file else p for p in lvl) for lvl in ps.scps),
        rcps=tuple(tuple(new if p.file == file else p for p in lvl) for lvl in ps.rcps),
    )


def _explain(
    denial: Denial, message: str, path: str = "", bad_input: bool = False
) -> Fix:
    return Fix(
        title="No automatic fix",
        path=path,
        edits=(),
        kind="explain-only",
        verified=False,
        explanation=message,
        bad_input=bad_input,
    )


def propose_fixes(
    denial: Denial,
    index: WorkspaceIndex,
    read_text: ReadText | None = None,
    policy: Path | None = None,
    variants: Sequence[str] = ("exact", "with-dependent-actions"),
) -> list[Fix]:
    """Fixes for one denial, best first (verified before unverified, exact before wider).

    `policy` forces the target file (then it is treated as the principal's identity
    policy unless the denial names another type).
    """
    if not denial.action or not denial.principal:
        return [
            _explain(
                denial, "the denial does not name both the principal and the action"
            )
        ]
    resource = denial.resource or "*"
    exp: DenialExplanation | None = None
    in_template: list[PolicyRef] = []
    if policy is not None:
        # A template given with --policy: its containers' documents, routed as usual.
        target = policy.resolve()
        in_template = [
            r
            for r in index.refs
            if r.path == target and r.embed != "json" and r.kind != "unparsable"
        ]
    if policy is not None and not in_template:
        policy_set = index.policy_set_for(denial.principal, resource, denial.action)
        kind = str(PolicyKind.parse(denial.policy_type) or PolicyKind.IDENTITY)
        if (denial.action or "").lower().startswith("sts:assumerole"):
            kind = "trust"
        ref = PolicyRef(
            path=policy.resolve(),
            kind=kind,
            principal=denial.principal,
            span_in_file=None,
            origin="config",
            confidence="configured",
            reason=f"given with --policy ({kind} policy)",
            target=denial.principal,
            name=policy.name,
        )
        refs = [ref]
        route = "file given with --policy"
        policy_set = _with_current(
            policy_set,
            ref,
            _doc_of(_read(read_text, ref.path), (0, len(_read(read_text, ref.path)))),
        )
        request = _request(denial, resource)
        decision = evaluate(request, policy_set)
    else:
        # The one routing: the same answer the editor's diagnostic shows.
        exp = explain_denial(denial, index, read_text)
        if exp.decision is None or exp.policy_set is None:
            return [_explain(denial, exp.route)]
        decision, policy_set = exp.decision, exp.policy_set
        request = exp.request or _request(denial, resource)
        refs = list(exp.grant_refs)
        route = exp.route
        if in_template:
            chosen = [r for r in refs if r in in_template]
            if not chosen:
                forms = principal_forms(denial.principal)
                chosen = [
                    r
                    for r in in_template
                    if r.kind == "identity"
                    and r.target is not None
                    and any(arn_matches(r.target, f) for f in forms)
                ]
            refs = chosen
            route = f"{route}; the template given with --policy"
            if not refs:
                return [
                    _explain(
                        denial,
                        f"{policy} declares no policy of {denial.principal} that "
                        "applies to this request",
                        str(policy),
                    )
                ]
    if decision.decision == "explicit_deny":
        return _deny_fixes(denial, decision, policy_set, read_text, request)
    if denial.decision == "explicit":
        return [
            _explain(
                denial,
                f"explicitly denied by a {denial.policy_type or 'policy'} that is not in the "
                "workspace (an Allow cannot override an explicit Deny)",
            )
        ]
    if decision.allowed and exp is not None:
        return [_explain(denial, exp.route)]
    if not refs:
        broken = index.refs_of("unparsable")
        if broken:
            # A template that does not parse may hold the policy: say so, write nothing.
            reasons = "; ".join(r.reason for r in broken[:3])
            return [
                _explain(
                    denial,
                    f"{route}; {reasons}: fix the syntax first; nothing was written",
                    str(broken[0].path),
                    True,
                )
            ]
        return [_explain(denial, route + "; configure it in .accessdenied.toml")]
    fixes: list[Fix] = []
    # AWS managed policies (containers: embed aws-managed) count in the evaluation but
    # are never the place of a fix while the principal has another document.
    refs = [r for r in refs if r.embed != "aws-managed"] or refs
    for ref in refs:
        try:
            text = _read(read_text, ref.path)
        except (OSError, UnicodeDecodeError) as exc:
            fixes.append(
                _explain(denial, f"cannot read {ref.path}: {exc}", str(ref.path), True)
            )
            continue
        for variant in variants:
            try:
                fix = fix_in_ref(denial, ref, text, policy_set, variant, request)
            except EditError as exc:
                fixes.append(
                    _explain(
                        denial, f"{ref.path}: {exc}; not edited", str(ref.path), True
                    )
                )
                break
            except ValueError as exc:
                fixes.append(
                    _explain(
                        denial,
                        f"{ref.path}: not valid JSON ({exc}); not edited",
                        str(ref.path),
                        True,
                    )
                )
                break
            if variant != "exact" and fixes and fixes[-1].statement == fix.statement:
                continue
            if (
                variant != "exact"
                and fix.statement
                and fixes
                and fixes[-1].statement
                and (fix.statement.get("Action") == fixes[-1].statement.get("Action"))
            ):
                continue
            assumed = ""
            if exp is not None and exp.assumptions:
                assumed = " Assumed: " + "; ".join(exp.assumptions) + "."
            fixes.append(
                replace(
                    fix, explanation=f"{fix.explanation} Routing: {route}.{assumed}"
                )
            )
    rank = {"exact": 0, "with-dependent-actions": 1}
    # Documents keep the routing's order (the editor's diagnostic names the first one);
    # within a document, verified before unverified, exact before wider.
    doc_rank = {str(ref.path): i for i, ref in reversed(list(enumerate(refs)))}
    return sorted(
        fixes,
        key=lambda f: (
            doc_rank.get(f.path, len(doc_rank)),
            not f.verified,
            f.kind == "explain-only",
            rank.get(f.variant, 2),
        ),
    )
