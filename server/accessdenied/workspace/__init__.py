"""Policy discovery and the principal <-> policy mapping (config, IaC, naming conventions).

from accessdenied.workspace import build_index
index = build_index(Path("."))
index.policies_for("arn:aws:sts::111122223333:assumed-role/app-role/dev")
index.policy_set_for(principal, resource, action)
"""

from __future__ import annotations

from accessdenied.workspace.config import (
    ConfigError,
    OrganizationConfig,
    PrincipalConfig,
    ResourceConfig,
    WorkspaceConfig,
    find_config,
    load_config,
)
from accessdenied.workspace.index import (
    FileInfo,
    PolicyRef,
    WorkspaceIndex,
    arn_matches,
    build_index,
    with_texts,
)

__all__ = [
    "ConfigError",
    "FileInfo",
    "OrganizationConfig",
    "PolicyRef",
    "PrincipalConfig",
    "ResourceConfig",
    "WorkspaceConfig",
    "WorkspaceIndex",
    "arn_matches",
    "build_index",
    "find_config",
    "load_config",
    "with_texts",
]
