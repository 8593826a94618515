"""Policies declared in infrastructure-as-code files, found through `containers.locate`.

Extracts `Binding`s: "this document (at this span of this file) is the identity/trust/
resource/KMS policy of that role/user/bucket/queue/topic/key". CloudFormation, SAM,
Serverless and Terraform (python-hcl2, module-aware: `containers/terraform/`) live in
`accessdenied.containers`; this module is the workspace's entry point to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from accessdenied.containers import Binding, locate
from accessdenied.containers.cloudformation import (
    cloudformation_bindings,
    looks_like_cloudformation,
)
from accessdenied.containers.terraform import terraform_bindings

__all__ = [
    "Binding",
    "cloudformation_bindings",
    "iac_bindings",
    "looks_like_cloudformation",
    "terraform_bindings",
]


def iac_bindings(path: Path, text: str) -> Iterator[Binding]:
    """Every binding in one file (nothing for files that are not templates)."""
    yield from locate(path, text)
