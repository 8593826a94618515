"""A principal's deployed policies (inline, managed, group, boundary, trust).

Inline and attached managed (default version) policies, group policies for users, the
permissions boundary and a role's trust policy.
Assumed-role session ARNs map to their role. Each failed read is a `LiveFinding`; the rest
of the result is still returned.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from accessdenied.aws.model import LiveFinding, NamedPolicy, PrincipalPolicies
from accessdenied.aws.session import Clients, attempt

_ASSUMED = re.compile(
    r"^arn:(?P<p>[^:]+):sts::(?P<acct>\d{12}|[^:]*):assumed-role/(?P<role>[^/]+)/"
)
_IAM_ENTITY = re.compile(
    r"^arn:(?P<p>[^:]+):iam::(?P<acct>[^:]*):(?P<kind>role|user)/(?P<path>(?:[^/]+/)*)(?P<name>[^/]+)$"
)


def entity_of(principal: str) -> tuple[str, str] | None:
    """(kind, name) of the IAM role/user behind `principal`; assumed-role -> its role."""
    m = _ASSUMED.match(principal)
    if m:
        return "role", m.group("role")
    m = _IAM_ENTITY.match(principal)
    if m:
        return m.group("kind"), m.group("name")
    return None


def as_document(value: Any) -> dict[str, Any] | None:
    """A policy document from IAM: botocore gives a dict; raw APIs a (URL-encoded) string."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip():
        text = value
        if text.lstrip().startswith("%"):
            text = urllib.parse.unquote(text)
        try:
            parsed = json.loads(text)
        except ValueError:
            try:
                parsed = json.loads(urllib.parse.unquote(text))
            except ValueError:
                return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    pager = client.get_paginator(operation)
    out: list[Any] = []
    for page in pager.paginate(**kwargs, PaginationConfig={"MaxItems": 1000}):
        out.extend(page.get(key, []))
    return out


def managed_policy(
    clients: Clients,
    arn: str,
    kind: str,
    findings: list[LiveFinding],
    source: str | None = None,
) -> NamedPolicy | None:
    """A managed policy's default version (iam:GetPolicy + iam:GetPolicyVersion)."""
    iam = clients.client("iam")
    meta = attempt(
        findings,
        "iam",
        "GetPolicy",
        f"read managed policy {arn}",
        lambda: iam.get_policy(PolicyArn=arn)["Policy"],
    )
    if meta is None:
        return None
    version = str(meta.get("DefaultVersionId") or "v1")
    out = attempt(
        findings,
        "iam",
        "GetPolicyVersion",
        f"read managed policy {arn} ({version})",
        lambda: iam.get_policy_version(PolicyArn=arn, VersionId=version)[
            "PolicyVersion"
        ],
    )
    if out is None:
        return None
    doc = as_document(out.get("Document"))
    if doc is None:
        return None
    return NamedPolicy(
        name=str(meta.get("PolicyName") or arn.rsplit("/", 1)[-1]),
        kind=kind,
        document=doc,
        arn=arn,
        version=version,
        source=source,
    )


def _inline(
    clients: Clients, kind: str, name: str, findings: list[LiveFinding], label: str
) -> list[NamedPolicy]:
    iam = clients.client("iam")
    cap = kind.capitalize()
    names = attempt(
        findings,
        "iam",
        f"List{cap}Policies",
        f"read inline policies of {label}",
        lambda: _paged(
            iam, f"list_{kind}_policies", "PolicyNames", **{f"{cap}Name": name}
        ),
    )
    out: list[NamedPolicy] = []
    for pname in names or []:
        got = attempt(
            findings,
            "iam",
            f"Get{cap}Policy",
            f"read inline policy {pname} of {label}",
            functools.partial(
                getattr(iam, f"get_{kind}_policy"),
                **{f"{cap}Name": name, "PolicyName": pname},
            ),
        )
        doc = as_document(got.get("PolicyDocument")) if got else None
        if doc is not None:
            out.append(
                NamedPolicy(
                    name=str(pname),
                    kind="group-inline" if kind == "group" else "inline",
                    document=doc,
                    source=name if kind == "group" else None,
                )
            )
    return out


def _attached(
    clients: Clients, kind: str, name: str, findings: list[LiveFinding], label: str
) -> list[NamedPolicy]:
    iam = clients.client("iam")
    cap = kind.capitalize()
    attached = attempt(
        findings,
        "iam",
        f"ListAttached{cap}Policies",
        f"read policies of {label}",
        lambda: _paged(
            iam,
            f"list_attached_{kind}_policies",
            "AttachedPolicies",
            **{f"{cap}Name": name},
        ),
    )
    out: list[NamedPolicy] = []
    for item in attached or []:
        pol = managed_policy(
            clients,
            str(item["PolicyArn"]),
            "group-managed" if kind == "group" else "managed",
            findings,
            source=name if kind == "group" else None,
        )
        if pol is not None:
            out.append(pol)
    return out


def fetch_principal_policies(clients: Clients, principal: str) -> PrincipalPolicies:
    """Read every identity-side policy of `principal` (a role, user or assumed-role ARN)."""
    entity = entity_of(principal)
    if entity is None:
        return PrincipalPolicies(
            principal,
            None,
            None,
            findings=(
                LiveFinding(
                    "live-error",
                    "info",
                    f"live mode reads policies of IAM roles, users and assumed-role "
                    f"sessions only, not {principal}",
                ),
            ),
        )
    kind, name = entity
    label = f"{kind} {name}"
    findings: list[LiveFinding] = []
    iam = clients.client("iam")
    if kind == "role":
        info = attempt(
            findings,
            "iam",
            "GetRole",
            f"read role {name}",
            lambda: iam.get_role(RoleName=name)["Role"],
        )
    else:
        info = attempt(
            findings,
            "iam",
            "GetUser",
            f"read user {name}",
            lambda: iam.get_user(UserName=name)["User"],
        )
    identity: list[NamedPolicy] = []
    identity += _inline(clients, kind, name, findings, label)
    identity += _attached(clients, kind, name, findings, label)
    if kind == "user":
        groups = attempt(
            findings,
            "iam",
            "ListGroupsForUser",
            f"read groups of {label}",
            lambda: _paged(iam, "list_groups_for_user", "Groups", UserName=name),
        )
        for group in groups or []:
            gname = str(group["GroupName"])
            identity += _inline(clients, "group", gname, findings, f"group {gname}")
            identity += _attached(clients, "group", gname, findings, f"group {gname}")
    boundary = None
    trust = None
    entity_arn = None
    if info:
        entity_arn = str(info.get("Arn")) if info.get("Arn") else None
        pb = info.get("PermissionsBoundary") or {}
        if pb.get("PermissionsBoundaryArn"):
            boundary = managed_policy(
                clients, str(pb["PermissionsBoundaryArn"]), "boundary", findings
            )
        if kind == "role":
            doc = as_document(info.get("AssumeRolePolicyDocument"))
            if doc is not None:
                trust = NamedPolicy(
                    name=f"{name} trust policy",
                    kind="trust",
                    document=doc,
                    source=entity_arn,
                )
    return PrincipalPolicies(
        principal=principal,
        entity_arn=entity_arn,
        entity_kind=kind,
        identity=tuple(identity),
        boundary=boundary,
        trust=trust,
        findings=tuple(findings),
    )
