"""AWS policy evaluation: requests, policy sets, decisions with reasons, effective permissions.

from accessdenied.evaluate import evaluate, Request, Policy, PolicySet
d = evaluate(Request("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
                     "arn:aws:s3:::bucket/key"), PolicySet(identity=(Policy(doc),)))
d.decision, d.reasons, d.per_type, d.explain()
"""

from __future__ import annotations

from accessdenied.evaluate.effective import (
    ActionPermission,
    EffectivePermissions,
    Grant,
    effective_permissions,
)
from accessdenied.evaluate.engine import compile_policy, evaluate, infer_resource_kind
from accessdenied.evaluate.model import (
    RCP_SERVICES_AT_LAUNCH,
    Decision,
    Policy,
    PolicySet,
    Reason,
)
from accessdenied.evaluate.request import (
    PrincipalInfo,
    Request,
    parse_arn,
    parse_principal,
    principal_context,
)

__all__ = [
    "RCP_SERVICES_AT_LAUNCH",
    "ActionPermission",
    "Decision",
    "EffectivePermissions",
    "Grant",
    "Policy",
    "PolicySet",
    "PrincipalInfo",
    "Reason",
    "Request",
    "compile_policy",
    "effective_permissions",
    "evaluate",
    "infer_resource_kind",
    "parse_arn",
    "parse_principal",
    "principal_context",
]
