"""Managed policies Terraform attaches by ARN: AWS managed ones evaluated, others linked.

`aws_iam_role_policy_attachment`, `aws_iam_user_policy_attachment`,
`aws_iam_group_policy_attachment`, `aws_iam_policy_attachment`,
`aws_iam_role_policy_attachments_exclusive`, `managed_policy_arns` and
`permissions_boundary` of `aws_iam_role`/`aws_iam_user` naming a policy by ARN (a
literal, `"arn:${data.aws_partition.current.partition}:iam::aws:policy/..."`, or
`data.aws_iam_policy.x.arn` with a literal `arn`/`name`). An AWS managed policy is
evaluated from the shipped documents (`containers/managed.py`), never edited; a
customer managed ARN is recorded with `attached` set so the workspace index finds its
document (`aws_iam_policy`, an `AWS::IAM::ManagedPolicy`, a `[[managed_policies]]`
file) or states that it is missing. References to an `aws_iam_policy` of the module
are bound where that policy is written (documents.py), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from accessdenied.containers.terraform.hcl import Block, Expr
from accessdenied.containers.terraform.resolve import Module, Resolver

__all__ = ["attached_policies"]

_POLICY_REF = re.compile(r"^aws_iam_policy\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.(arn|id)$")
_DATA_REF = re.compile(r"^data\.aws_iam_policy\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.arn$")


def _ref_text(e: Expr) -> str | None:
    if e.kind == "ref":
        return str(e.value)
    if e.kind == "template" and len(e.items) == 1 and e.items[0].kind == "ref":
        return str(e.items[0].value)
    return None


def policy_arn_text(e: Expr | None, module: Module, r: Resolver) -> str | None:
    """The ARN an expression names, `*` for deploy-time parts (None: not an ARN here)."""
    if e is None:
        return None
    ref = _ref_text(e)
    if ref is not None and _POLICY_REF.match(ref):
        return None  # an aws_iam_policy of the module: bound with its document
    if ref is not None:
        m = _DATA_REF.match(ref)
        if m is not None:
            found = module.data("aws_iam_policy", m.group(1))
            if found is None:
                return None
            block = found[1]
            arn = policy_arn_text(block.value("arn"), module, r)
            if arn:
                return arn
            name_e = block.value("name")
            name = r.value(name_e) if name_e is not None else None
            if not isinstance(name, str):
                return None
            from accessdenied.containers.managed import managed_policy

            # A name lookup finds an AWS managed policy first when one has the name.
            if managed_policy(name) is not None:
                return f"arn:aws:iam::aws:policy/{name}"
            return f"arn:*:iam::*:policy/{name}"
    if e.kind == "template":
        parts = []
        for p in e.items:
            v = r.value(p)
            parts.append(v if isinstance(v, str) else "*")
        text: Any = "".join(parts)
    else:
        text = r.value(e)
    if not isinstance(text, str) or ":policy/" not in text:
        return None
    return text


def _items(e: Expr | None) -> tuple[Expr, ...]:
    if e is None:
        return ()
    return e.items if e.kind == "tuple" else (e,)


def _owners(block: Block, owners: Any) -> Iterator[tuple[str, bool]]:
    """(principal ARN, guess) of every principal an attachment block names."""
    rtype = block.labels[0]
    if rtype in ("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment"):
        what = "user" if rtype == "aws_iam_user_policy_attachment" else "role"
        p = owners.principal(block.value(what), what)
        if p:
            yield p
    elif rtype == "aws_iam_group_policy_attachment":
        yield from owners.group_members(block.value("group"))
    elif rtype == "aws_iam_policy_attachment":
        for what in ("roles", "users"):
            for it in _items(block.value(what)):
                p = owners.principal(it, what[:-1])
                if p:
                    yield p
        for it in _items(block.value("groups")):
            yield from owners.group_members(it)
    elif rtype == "aws_iam_role_policy_attachments_exclusive":
        p = owners.principal(block.value("role_name"), "role")
        if p:
            yield p


def attached_policies(
    block: Block, owners: Any, module: Module, r: Resolver, path: Path
) -> Iterator[dict[str, Any]]:
    """Located-field dicts for the managed policies `block` attaches by ARN."""
    from accessdenied.containers.managed import managed_policy, managed_policy_name

    if len(block.labels) < 2:
        return
    rtype, address = block.labels[0], ".".join(block.labels[:2])
    uses: list[tuple[str, list[tuple[str, bool]], str, Expr]] = []
    if rtype in ("aws_iam_role", "aws_iam_user"):
        me = [owners.arn_of(rtype, block)]
        for e in _items(block.value("managed_policy_arns")):
            uses.append(("identity", me, "managed_policy_arns", e))
        pb = block.value("permissions_boundary")
        if pb is not None:
            uses.append(("boundary", me, "permissions_boundary", pb))
    else:
        attr = (
            "policy_arns"
            if rtype == "aws_iam_role_policy_attachments_exclusive"
            else "policy_arn"
        )
        principals = list(_owners(block, owners)) if block.value(attr) else []
        for e in _items(block.value(attr)):
            uses.append(("identity", principals, attr, e))
    for kind, principals, attr, e in uses:
        principals = [p for p in principals if p[0] and p[0] != "*"]
        arn = policy_arn_text(e, module, r)
        if not principals or arn is None:
            continue
        what = "permissions boundary" if kind == "boundary" else "policy"
        line = module.files[path].line(block.start)
        where = f"{attr} of {address} in {path.name}:{line}"
        guess = any(p[1] for p in principals)
        tail = arn.split(":policy/", 1)[1]
        if ":iam::aws:policy/" in arn:
            full = f"arn:aws:iam::aws:policy/{tail}"
            name = managed_policy_name(full) or tail
            doc = managed_policy(full)
            reason = f"AWS managed {what} {name} ({where})" + (
                ""
                if doc is not None
                else ": unknown to the shipped AWS managed policies, "
                + (
                    "not evaluated"
                    if kind == "boundary"
                    else "assumed to grant nothing"
                )
            )
            yield {
                "kind": kind,
                "targets": tuple(p[0] for p in principals),
                "address": address,
                "attribute": attr,
                "document": doc,
                "span": (e.start, e.end),
                "embed": "aws-managed",
                "reason": reason,
                "not_editable": (
                    f"the permissions boundary is the AWS managed policy {name}, which "
                    "AWS owns and nobody can edit: allowing this call needs a customer "
                    "managed boundary that allows it"
                    if kind == "boundary"
                    else "AWS managed policies belong to AWS and are not edited"
                ),
                "guess": guess,
                "attached": None,
            }
        elif "*" not in tail:
            yield {
                "kind": kind,
                "targets": tuple(p[0] for p in principals),
                "address": address,
                "attribute": attr,
                "document": None,
                "span": (e.start, e.end),
                "embed": "managed-ref",
                "reason": f"customer managed {what} {arn} ({where})",
                "not_editable": f"{arn} is not in the workspace: its document is "
                "unknown",
                "guess": guess,
                "attached": arn,
            }
