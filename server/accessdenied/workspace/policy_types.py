"""The policy type of a file from the project configuration, not from its content.

A file the configuration names (a principal's trust policy or boundary, a resource's
policy, an organization level's SCPs/RCPs) has that type; otherwise the first
`[policy_types]` folder convention whose glob matches. `None` when nothing says: the
caller then guesses from the content (and records that it guessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accessdenied.workspace.config import WorkspaceConfig
from accessdenied.workspace.discovery import glob_match

__all__ = ["TypeHint", "policy_type_for"]

# `[policy_types]` values that name an attachment: (policy type, attachment)
_ATTACHMENTS: dict[str, tuple[str, str | None]] = {
    "managed": ("identity", "managed"),
    "inline-user": ("identity", "inline-user"),
    "inline-group": ("identity", "inline-group"),
    "inline-role": ("identity", "inline-role"),
    "s3-bucket": ("resource", "s3-bucket"),
    "sqs-queue": ("resource", "sqs-queue"),
    "sns-topic": ("resource", "sns-topic"),
    "kms-key": ("resource", "kms-key"),
    "ecr-repository": ("resource", "ecr-repository"),
    "secretsmanager-secret": ("resource", "secretsmanager-secret"),
    "boundary": ("permissions-boundary", None),
}


@dataclass(frozen=True, slots=True)
class TypeHint:
    """A policy type the configuration gives a file, and where it says so."""

    policy_type: str
    attachment: str | None
    source: str  # "config: principals[0].trust_policy", "folder: scp/**", ...


def _rel(config: WorkspaceConfig, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(config.base.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def policy_type_for(config: WorkspaceConfig, path: Path) -> TypeHint | None:
    """The type the configuration gives `path` (None when it says nothing)."""
    rel = _rel(config, path)
    if rel is None:
        return None
    where = config.source.name if config.source is not None else "config"
    named: list[tuple[str, str, str | None, str]] = []
    for i, p in enumerate(config.principals):
        for glob in p.identity_policies:
            named.append((glob, "identity", None, f"principals[{i}].identity_policies"))
        if p.trust_policy:
            named.append(
                (p.trust_policy, "trust", "role-trust", f"principals[{i}].trust_policy")
            )
        if p.boundary:
            named.append(
                (p.boundary, "permissions-boundary", None, f"principals[{i}].boundary")
            )
        if p.session_policy:
            named.append(
                (p.session_policy, "identity", None, f"principals[{i}].session_policy")
            )
    for i, m in enumerate(config.managed_policies):
        named.append((m.policy, "identity", "managed", f"managed_policies[{i}].policy"))
    for i, r in enumerate(config.resources):
        attach = "kms-key" if r.kind == "kms" else None
        named.append((r.policy, "resource", attach, f"resources[{i}].policy"))
    for kind, levels in (
        ("scp", config.organization.scps),
        ("rcp", config.organization.rcps),
    ):
        for level in levels:
            for glob in level:
                named.append((glob, kind, None, f"organization.{kind}s"))
    for glob, ptype, attach, key in named:
        if glob_match(glob, rel):
            return TypeHint(ptype, attach, f"config: {where} {key}")
    for glob, value in config.policy_types:
        if glob_match(glob, rel):
            ptype, attach = _ATTACHMENTS.get(value, (value, None))
            return TypeHint(ptype, attach, f"folder: {where} policy_types {glob!r}")
    return None
