"""`LiveAccount`: the synchronous live-mode facade with a TTL cache (call it off the loop).

acct = LiveAccount(LiveConfig(enabled=True, profile="dev", region="us-east-1"))
acct.principal_policies("arn:aws:sts::111122223333:assumed-role/app/dev")
acct.policy_set(principal, resource)   # -> accessdenied.evaluate.PolicySet
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from accessdenied.aws import cloudtrail, decode, principals, resources, simulate
from accessdenied.aws.diff import diff_documents
from accessdenied.aws.model import (
    CrossCheck,
    DecodedAuthorization,
    LiveFinding,
    OrgPolicies,
    PrincipalPolicies,
    ResourcePolicy,
    StatementDiff,
)
from accessdenied.aws.session import Clients, LiveConfig
from accessdenied.denials.model import Denial

T = TypeVar("T")


class TTLCache:
    """A small thread-safe cache whose entries expire after `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Any, compute: Callable[[], T]) -> T:
        """The cached value for `key`, computing (outside the lock) when absent or stale."""
        now = self.clock()
        with self._lock:
            found = self._data.get(key)
            if found is not None and found[0] > now:
                self.hits += 1
                return found[1]  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()
        with self._lock:
            self._data[key] = (self.clock() + self.ttl, value)
        return value

    def peek(self, key: Any) -> Any:
        """The fresh cached value for `key`, or None (never computes)."""
        with self._lock:
            found = self._data.get(key)
        if found is not None and found[0] > self.clock():
            return found[1]
        return None

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()


class LiveAccount:
    """Read-only access to one AWS account/profile, cached (thread-safe, blocking)."""

    def __init__(self, config: LiveConfig, clients: Clients | None = None) -> None:
        self.config = config
        self.clients = clients or Clients(config)
        self.cache = TTLCache(config.cache_ttl)

    def decode(
        self, blob: str
    ) -> tuple[DecodedAuthorization | None, tuple[LiveFinding, ...]]:
        """sts:DecodeAuthorizationMessage, parsed (cached per blob)."""
        return self.cache.get_or_compute(
            ("decode", blob), lambda: decode.decode_blob(self.clients, blob)
        )

    def decode_denial(
        self, denial: Denial
    ) -> tuple[Denial, DecodedAuthorization | None, tuple[LiveFinding, ...]]:
        """The denial with exact decoded principal/action/resource (unchanged if it cannot)."""
        if not denial.encoded_blob:
            return (
                denial,
                None,
                (
                    LiveFinding(
                        "live-error", "info", "this denial has no encoded message"
                    ),
                ),
            )
        decoded, findings = self.decode(denial.encoded_blob)
        if decoded is None:
            return denial, None, findings
        return decode.decoded_denial(decoded, denial), decoded, findings

    def principal_policies(self, principal: str) -> PrincipalPolicies:
        """Deployed identity policies, boundary and trust policy of `principal` (cached)."""
        key = principals.entity_of(principal) or principal
        return self.cache.get_or_compute(
            ("principal", key),
            lambda: principals.fetch_principal_policies(self.clients, principal),
        )

    def resource_policy(self, resource: str) -> ResourcePolicy:
        """The resource-based policy of `resource` (cached)."""
        return self.cache.get_or_compute(
            ("resource", resource),
            lambda: resources.fetch_resource_policy(self.clients, resource),
        )

    def org_policies(self, account: str | None = None) -> OrgPolicies:
        """SCP/RCP levels for `account` (default: the caller's), when readable (cached)."""
        return self.cache.get_or_compute(
            ("org", account),
            lambda: resources.fetch_org_policies(self.clients, account),
        )

    def policy_set(
        self,
        principal: str,
        resource: str | None = None,
        *,
        include_org: bool = True,
    ) -> tuple[Any, tuple[LiveFinding, ...]]:
        """An `accessdenied.evaluate.PolicySet` built from the deployed policies."""
        from accessdenied.evaluate import Policy, PolicySet

        pp = self.principal_policies(principal)
        findings = list(pp.findings)
        res_policy = None
        kind = None
        if resource and resource != "*":
            rp = self.resource_policy(resource)
            findings += rp.findings
            if rp.document is not None:
                res_policy = Policy(
                    document=rp.document, name=f"{rp.kind} policy of {resource}"
                )
                kind = {"trust": "trust", "kms": "kms"}.get(rp.kind, "resource")
        management: str | None = None
        scps: tuple[tuple[Any, ...], ...] = ()
        rcps: tuple[tuple[Any, ...], ...] = ()
        if include_org:
            account = _account_of(principal)
            org = self.org_policies(account)
            findings += org.findings
            management = org.management_account
            scps = tuple(
                tuple(Policy(document=p.document, name=f"SCP {p.name}") for p in level)
                for level in org.scps
            )
            rcps = tuple(
                tuple(Policy(document=p.document, name=f"RCP {p.name}") for p in level)
                for level in org.rcps
            )
        policy_set = PolicySet(
            identity=tuple(
                Policy(document=p.document, name=f"{p.kind} {p.name}")
                for p in pp.identity
            ),
            boundary=(
                Policy(
                    document=pp.boundary.document, name=f"boundary {pp.boundary.name}"
                )
                if pp.boundary is not None
                else None
            ),
            resource=res_policy,
            resource_kind=kind,
            scps=scps,
            rcps=rcps,
            management_account=management,
            rcp_full_access=False,  # RCPs read from the account already list RCPFullAWSAccess
        )
        return policy_set, tuple(findings)

    def diff_with_workspace(
        self,
        principal: str,
        workspace: Mapping[str, Mapping[str, Any]],
    ) -> tuple[StatementDiff, tuple[LiveFinding, ...]]:
        """Compare the deployed identity policies with workspace documents by file label."""
        pp = self.principal_policies(principal)
        diff = diff_documents(
            [p.document for p in pp.identity],
            list(workspace.values()),
            principal=principal,
            files=tuple(workspace),
        )
        return diff, pp.findings

    def cross_check(
        self,
        *,
        principal: str,
        action: str,
        resource: str,
        identity: Sequence[Mapping[str, Any]],
        boundary: Mapping[str, Any] | None = None,
        resource_policy: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        principal_policy: bool = True,
    ) -> CrossCheck:
        """Ours vs iam:SimulateCustomPolicy / SimulatePrincipalPolicy for a fixed request."""
        return simulate.cross_check(
            self.clients,
            principal=principal,
            action=action,
            resource=resource,
            identity=identity,
            boundary=boundary,
            resource_policy=resource_policy,
            context=context,
            principal_policy=principal_policy,
        )

    def recent_denials(
        self, principal: str | None, *, hours: float = 24.0, max_events: int = 500
    ) -> tuple[list[Denial], tuple[LiveFinding, ...]]:
        """AccessDenied events of `principal` from cloudtrail:LookupEvents (not cached)."""
        return cloudtrail.lookup_denials(
            self.clients, principal, hours=hours, max_events=max_events
        )


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    return None
