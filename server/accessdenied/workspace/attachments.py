"""Customer managed policies attached in one place and written in another, linked.

A role's `ManagedPolicyArns`/`PermissionsBoundary` (CloudFormation) or a Terraform
attachment may name a customer managed policy by ARN (`arn:aws:iam::111122223333:
policy/app`, `!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/app`). Its
document is found among the workspace's `managed` refs: an `AWS::IAM::ManagedPolicy`
(by `ManagedPolicyName` and `Path`), a Terraform `aws_iam_policy` (by `name`/`path`),
or a file mapped in `[[managed_policies]]`. `link_attached` turns each such pending
ref into a ref of that document (so it is evaluated and, when editable, fixed there);
one not found becomes kind `missing` (stated as an assumption, never evaluated as an
allow).

Where the fix lands: a boundary is fixed in the boundary (only it caps the role). An
identity policy attached to this principal alone is the principal's own place, and a
new inline policy is not offered beside it; one shared with other principals of the
workspace is ranked after the principal's own (or new inline) policy, because a
statement added there grants every principal it is attached to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from accessdenied.containers.managed import same_policy_arn
from accessdenied.workspace.index import PolicyRef

__all__ = ["NEW_INLINE_EMBEDS", "link_attached"]

#: Embeds whose document is a new inline policy the fix would add to a role or user.
NEW_INLINE_EMBEDS = ("cfn-new-inline-policy", "cfn-json-new-inline-policy")

_RANK = {"configured": 0, "inferred": 1, "guess": 2}


def _worst(a: str, b: str) -> str:
    return a if _RANK.get(a, 3) >= _RANK.get(b, 3) else b


def _choose(pending: PolicyRef, managed: Sequence[PolicyRef]) -> PolicyRef | None:
    """The managed policy a pending ARN names: configured, then literal, then guessed."""
    assert pending.attached is not None
    found = [
        m
        for m in managed
        if m.target is not None and same_policy_arn(m.target, pending.attached)
    ]
    if not found:
        return None
    return min(
        found,
        key=lambda m: (
            _RANK.get(m.confidence, 3),
            "*" in (m.target or "").split(":policy/", 1)[-1],
            str(m.path),
        ),
    )


def _key(ref: PolicyRef) -> tuple[str, int | None]:
    return (str(ref.path), ref.span_in_file.start if ref.span_in_file else None)


def _missing(ref: PolicyRef) -> PolicyRef:
    if ref.kind == "boundary":
        effect = (
            "the request is evaluated without this boundary (the deployed boundary "
            "may deny more)"
        )
    else:
        effect = "assumed to grant nothing"
    return replace(
        ref,
        kind="missing",
        reason=(
            f"{ref.reason}: not in the workspace (no AWS::IAM::ManagedPolicy, "
            "aws_iam_policy or [[managed_policies]] entry of .accessdenied.toml has "
            f"that ARN); {effect}"
        ),
    )


def link_attached(refs: Sequence[PolicyRef]) -> list[PolicyRef]:
    """`refs` with every pending attached ARN resolved to its document (or `missing`)."""
    pending = [r for r in refs if r.attached]
    if not pending:
        return list(refs)
    managed = [r for r in refs if r.kind == "managed" and r.target]
    chosen = {id(p): _choose(p, managed) for p in pending}
    # Who a managed document applies to: its own attachments plus the linked ones.
    users: dict[tuple[str, int | None], set[str]] = {}
    for r in refs:
        if r.kind == "identity" and r.target and not r.attached:
            users.setdefault(_key(r), set()).add(r.target)
    for p in pending:
        m = chosen[id(p)]
        if m is not None and p.kind == "identity" and p.target:
            users.setdefault(_key(m), set()).add(p.target)
    own: set[str] = set()
    shared: dict[str, list[str]] = {}
    out: list[PolicyRef] = []
    for r in refs:
        if not r.attached:
            out.append(r)
            continue
        m = chosen[id(r)]
        if m is None:
            out.append(_missing(r))
            continue
        confidence = _worst(r.confidence, m.confidence)
        reason = f"{r.reason}, written as {m.reason}"
        if r.kind == "identity":
            others = sorted(users.get(_key(m), set()) - {r.target or ""})
            names = ", ".join(o.rsplit("/", 1)[-1] for o in others[:3])
            if others:
                confidence = "guess"
                reason += (
                    f"; also attached to {len(others)} other principal(s) ({names}): "
                    "a statement added there grants them too, so the principal's own "
                    "policy is preferred"
                )
                shared.setdefault(r.target or "", []).append(
                    f"{r.attached} (also attached to {names})"
                )
            elif m.not_editable is None and not m.outside and r.target:
                own.add(r.target)
                reason += "; attached to this principal only in the workspace"
        out.append(
            replace(
                m,
                kind=r.kind,
                principal=r.target,
                target=r.target,
                origin=m.origin,
                confidence=confidence,
                reason=reason,
                attached=None,
                level=None,
            )
        )
    # A managed policy of this principal alone is its place: no new inline policy.
    # Beside a shared one, the new inline policy keeps least privilege: say so.
    final = []
    for r in out:
        if r.embed in NEW_INLINE_EMBEDS and r.target in own:
            continue
        if r.embed in NEW_INLINE_EMBEDS and r.target in shared:
            r = replace(
                r,
                reason=f"{r.reason}; not in the shared customer managed policy "
                + "; ".join(shared[r.target])
                + ", which would grant the others too",
            )
        final.append(r)
    return final
