"""Live AWS mode as the language server calls it: async, off the event loop, bounded in time.

    live = LiveMode.from_settings(settings)       # a Settings object or the settings dict
    if live.enabled:
        r = await live.decode(denial)              # LiveResult[Denial] (source="decoded")
        r = await live.principal_policies(arn)     # LiveResult[PrincipalPolicies]
        r = await live.policy_set(arn, resource)   # LiveResult[evaluate.PolicySet]
        r = await live.resource_policy(arn)        # LiveResult[ResourcePolicy]
        r = await live.org_policies()              # LiveResult[OrgPolicies]
        r = await live.cross_check(principal=..., action=..., resource=..., identity=[doc])
        r = await live.recent_denials(principal)   # LiveResult[list[Denial]]
        r = await live.diff_with_workspace(arn, {"policies/app.json": doc})
        r = await live.diff_with_index(arn, ls.index)  # same, files from the WorkspaceIndex
        r = await live.decode_blob(blob)           # LiveResult[DecodedAuthorization]
                                                   #   (.markdown() for a hover; cached)
    r.value, r.findings, r.messages()              # findings are user-facing, redacted
    live.status()                                  # one line: off / boto3 missing / on
    hover_markdown(arn, settings)                  # hover hook (worker thread, <= 2 s)

Every method returns a `LiveResult` and never raises for AWS trouble: live mode off, boto3
missing, the tool's own AccessDenied, timeouts and network errors are findings. With live
mode off nothing here creates a boto3 session or opens a socket. `hover_markdown(arn,
settings)` is the synchronous hover hook (runs in a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from accessdenied.aws.model import (
    CrossCheck,
    LiveFinding,
    OrgPolicies,
    PrincipalPolicies,
    ResourcePolicy,
    StatementDiff,
)
from accessdenied.aws.safety import redact
from accessdenied.aws.session import UNAVAILABLE_MESSAGE, LiveConfig, boto3_available
from accessdenied.denials.model import Denial

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds a hover waits for live data before showing "reading..." (lookup continues).
HOVER_BUDGET = 2.0
OFF_MESSAGE = "live AWS mode is off (setting accessdenied.aws.liveMode)"


@dataclass(frozen=True)
class LiveResult(Generic[T]):
    """A live-mode answer: the value (None when unavailable) and user-facing findings."""

    value: T | None
    findings: tuple[LiveFinding, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether a value came back."""
        return self.value is not None

    def messages(self) -> list[str]:
        """The findings' messages (already redacted)."""
        return [f.message for f in self.findings]


def _get(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in data:
            return data[name]
    return None


def config_from_settings(settings: Any) -> LiveConfig:
    """`LiveConfig` from the LSP `Settings` object or a settings table.

    Accepts `{"accessdenied": {"aws": {...}}}`, `{"aws": {...}}`, dotted keys
    (`"accessdenied.aws.liveMode"`) and camelCase or snake_case names.
    """
    if settings is None:
        return LiveConfig()
    aws: Any
    if isinstance(settings, Mapping):
        flat = {
            k.removeprefix("accessdenied.").removeprefix("aws."): v
            for k, v in settings.items()
            if isinstance(k, str) and k.startswith(("accessdenied.aws.", "aws."))
        }
        root = settings.get("accessdenied", settings)
        aws = root.get("aws") if isinstance(root, Mapping) else None
        aws = {**flat, **(aws if isinstance(aws, Mapping) else {})}
    else:
        aws = getattr(settings, "aws", settings)
        aws = {
            "liveMode": getattr(aws, "live_mode", False),
            "profile": getattr(aws, "profile", ""),
            "region": getattr(aws, "region", ""),
            "endpointUrl": getattr(aws, "endpoint_url", None),
        }
    live = _get(aws, "liveMode", "live_mode")
    enabled = live is True or (
        isinstance(live, str) and live.lower() in ("true", "on", "1")
    )
    return LiveConfig(
        enabled=enabled,
        profile=str(_get(aws, "profile") or "") or None,
        region=str(_get(aws, "region") or "") or None,
        endpoint_url=str(_get(aws, "endpointUrl", "endpoint_url") or "") or None,
    )


class LiveMode:
    """The LSP-facing live-mode object; cheap to build, inert while off."""

    def __init__(self, config: LiveConfig, account: Any = None) -> None:
        self.config = config
        self._account = account
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._hover_jobs: dict[str, Future[str]] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> LiveMode:
        """Build from settings (see `config_from_settings`); off unless liveMode is true."""
        return cls(config_from_settings(settings))

    @property
    def enabled(self) -> bool:
        """Whether the user switched live mode on."""
        return self.config.enabled

    @property
    def available(self) -> bool:
        """Whether live mode is on and boto3 is installed."""
        return self.config.enabled and boto3_available()

    def status(self) -> str:
        """One line for the status bar/log: off, unavailable, or on (profile/region)."""
        if not self.config.enabled:
            return OFF_MESSAGE
        if not boto3_available():
            return UNAVAILABLE_MESSAGE
        where = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("profile", self.config.profile),
                ("region", self.config.region),
            )
            if v
        )
        return "live AWS mode is on (read-only" + (f"; {where})" if where else ")")

    def account(self) -> Any:
        """The `accessdenied.aws.LiveAccount` (built on first use, only when on)."""
        with self._lock:
            if self._account is None:
                from accessdenied.aws.account import LiveAccount

                self._account = LiveAccount(self.config)
            return self._account

    def _blocked(self) -> LiveFinding | None:
        if not self.config.enabled:
            return LiveFinding("live-off", "info", OFF_MESSAGE)
        if not boto3_available():
            return LiveFinding("live-unavailable", "warning", UNAVAILABLE_MESSAGE)
        return None

    def run_sync(
        self, what: str, fn: Callable[[Any], tuple[T | None, tuple[LiveFinding, ...]]]
    ) -> LiveResult[T]:
        """Run `fn(account)` here (worker threads only); failures become findings."""
        blocked = self._blocked()
        if blocked is not None:
            return LiveResult(None, (blocked,))
        try:
            value, findings = fn(self.account())
        except Exception as exc:
            logger.warning("live mode: %s failed: %s", what, redact(str(exc)))
            return LiveResult(
                None,
                (
                    LiveFinding(
                        "live-error",
                        "warning",
                        redact(f"live mode could not {what}: {exc}"),
                    ),
                ),
            )
        for f in findings:
            logger.info("live mode: %s", f.message)
        return LiveResult(value, findings)

    async def _run(
        self, what: str, fn: Callable[[Any], tuple[T | None, tuple[LiveFinding, ...]]]
    ) -> LiveResult[T]:
        blocked = self._blocked()
        if blocked is not None:
            return LiveResult(None, (blocked,))
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.run_sync, what, fn),
                timeout=self.config.call_timeout,
            )
        except TimeoutError:
            message = f"live mode could not {what}: timed out after {self.config.call_timeout:g}s"
            logger.warning("%s", message)
            return LiveResult(None, (LiveFinding("live-timeout", "warning", message),))

    async def decode(self, denial: Denial) -> LiveResult[Denial]:
        """The denial with the decoded (exact) principal, action and resource."""
        if not denial.encoded_blob:
            return LiveResult(denial, ())

        def fn(acct: Any) -> tuple[Denial | None, tuple[LiveFinding, ...]]:
            out, decoded, findings = acct.decode_denial(denial)
            return (out if decoded is not None else None), findings

        return await self._run("decode the authorization message", fn)

    async def decode_blob(self, blob: str) -> LiveResult[Any]:
        """The parsed `DecodedAuthorization` of an encoded message."""
        return await self._run(
            "decode the authorization message", lambda a: a.decode(blob)
        )

    async def principal_policies(self, arn: str) -> LiveResult[PrincipalPolicies]:
        """Deployed identity policies, boundary, groups and trust policy of `arn`."""

        def fn(acct: Any) -> tuple[PrincipalPolicies, tuple[LiveFinding, ...]]:
            pp: PrincipalPolicies = acct.principal_policies(arn)
            return pp, pp.findings

        return await self._run(f"read policies of {arn}", fn)

    async def policy_set(
        self, principal: str, resource: str | None = None
    ) -> LiveResult[Any]:
        """An `accessdenied.evaluate.PolicySet` built from the account."""
        return await self._run(
            f"read policies of {principal}", lambda a: a.policy_set(principal, resource)
        )

    async def resource_policy(self, resource: str) -> LiveResult[ResourcePolicy]:
        """The resource-based policy (or trust policy) of `resource`."""

        def fn(acct: Any) -> tuple[ResourcePolicy, tuple[LiveFinding, ...]]:
            rp: ResourcePolicy = acct.resource_policy(resource)
            return rp, rp.findings

        return await self._run(f"read the policy of {resource}", fn)

    async def org_policies(self, account: str | None = None) -> LiveResult[OrgPolicies]:
        """SCP/RCP levels of `account` (default: the caller's) when readable."""

        def fn(acct: Any) -> tuple[OrgPolicies, tuple[LiveFinding, ...]]:
            op: OrgPolicies = acct.org_policies(account)
            return op, op.findings

        return await self._run("read Organizations policies", fn)

    async def cross_check(
        self,
        *,
        principal: str,
        action: str,
        resource: str,
        identity: Sequence[Mapping[str, Any]],
        boundary: Mapping[str, Any] | None = None,
        resource_policy: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> LiveResult[CrossCheck]:
        """Our verdict and IAM's simulator verdicts for the fixed policies."""

        def fn(acct: Any) -> tuple[CrossCheck, tuple[LiveFinding, ...]]:
            check: CrossCheck = acct.cross_check(
                principal=principal,
                action=action,
                resource=resource,
                identity=identity,
                boundary=boundary,
                resource_policy=resource_policy,
                context=context,
            )
            return check, check.findings

        return await self._run(f"simulate {action} on {resource}", fn)

    async def recent_denials(
        self, principal: str | None, *, hours: float = 24.0, max_events: int = 500
    ) -> LiveResult[list[Denial]]:
        """Recent AccessDenied CloudTrail events of `principal` as Denials."""
        return await self._run(
            "read CloudTrail events",
            lambda a: a.recent_denials(principal, hours=hours, max_events=max_events),
        )

    async def diff_with_workspace(
        self, principal: str, workspace: Mapping[str, Mapping[str, Any]]
    ) -> LiveResult[StatementDiff]:
        """Deployed vs workspace documents (`{file label: document}`), compared semantically."""
        return await self._run(
            f"read policies of {principal}",
            lambda a: a.diff_with_workspace(principal, workspace),
        )

    async def diff_with_index(
        self, principal: str, index: Any
    ) -> LiveResult[StatementDiff]:
        """`diff_with_workspace` over the principal's identity policies in a WorkspaceIndex."""
        docs = workspace_documents(index, principal)
        if not docs:
            return LiveResult(
                None,
                (
                    LiveFinding(
                        "live-error",
                        "info",
                        f"no workspace policy is mapped to {principal}; nothing to compare",
                    ),
                ),
            )
        return await self.diff_with_workspace(principal, docs)

    def hover_markdown(self, arn: str, budget: float | None = None) -> str:
        """Markdown for a principal/resource hover (call from a worker thread).

        Waits at most `budget` seconds (default `HOVER_BUDGET`); a slower lookup keeps
        running in the background, fills the cache, and the next hover shows it.
        """
        blocked = self._blocked()
        if blocked is not None:
            return f"_{blocked.message}_"
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=2, thread_name_prefix="accessdenied-live"
                )
            job = self._hover_jobs.get(arn)
            if job is None:
                job = self._pool.submit(self._hover_text, arn)
                self._hover_jobs[arn] = job
                job.add_done_callback(lambda _f: self._hover_jobs.pop(arn, None))
        try:
            return job.result(timeout=HOVER_BUDGET if budget is None else budget)
        except FutureTimeout:
            return (
                "**Live (AWS account)**\n\n_Reading deployed policies from AWS; "
                "hover again in a moment._"
            )
        except Exception as exc:  # a bug in rendering: report, never crash the hover
            logger.warning("live hover of %s failed: %s", arn, redact(str(exc)))
            return f"_live mode could not read {arn}_"

    def _hover_text(self, arn: str) -> str:
        from accessdenied.evaluate import parse_principal

        lines = ["**Live (AWS account)**"]
        kind = parse_principal(arn).kind
        if kind in ("role", "user", "assumed_role", "assumed-role", "session"):
            r: LiveResult[PrincipalPolicies] = self.run_sync(
                f"read policies of {arn}",
                lambda a: (lambda pp: (pp, pp.findings))(a.principal_policies(arn)),
            )
            pp = r.value
            if pp is not None:
                names = [f"`{p.name}` ({p.kind})" for p in pp.identity]
                lines.append(
                    f"- deployed identity policies: {', '.join(names) if names else 'none'}"
                )
                if pp.boundary is not None:
                    lines.append(f"- permissions boundary: `{pp.boundary.name}`")
            lines += [f"- {_md(m)}" for m in r.messages()]
        else:
            rr: LiveResult[ResourcePolicy] = self.run_sync(
                f"read the policy of {arn}",
                lambda a: (lambda rp: (rp, rp.findings))(a.resource_policy(arn)),
            )
            rp = rr.value
            if rp is not None and rp.document is not None:
                n = len(_statements(rp.document))
                lines.append(f"- deployed {rp.kind} policy: {n} statement(s)")
            lines += [f"- {_md(m)}" for m in rr.messages()]
        return "\n".join(lines)


def workspace_documents(index: Any, principal: str) -> dict[str, Mapping[str, Any]]:
    """`{file label: document}` of the identity policies the index maps to `principal`."""
    out: dict[str, Mapping[str, Any]] = {}
    root = getattr(index, "root", None)
    for ref in index.policies_for(principal):
        doc = index.document(ref)
        if doc is None:
            continue
        path = ref.path
        try:
            label = str(path.relative_to(root)) if root is not None else str(path)
        except ValueError:
            label = str(path)
        if ref.name and ref.embed != "json":
            label = f"{label} ({ref.name})"
        out.setdefault(label, doc)
    return out


def _statements(doc: Mapping[str, Any]) -> list[Any]:
    st = doc.get("Statement")
    return [st] if isinstance(st, Mapping) else list(st) if isinstance(st, list) else []


def _md(text: str) -> str:
    return text.replace("*", "\\*").replace("_", "\\_")


_shared: dict[LiveConfig, LiveMode] = {}
_shared_lock = threading.Lock()


def live_for(settings: Any) -> LiveMode:
    """One shared `LiveMode` per configuration (keeps its cache across calls)."""
    config = config_from_settings(settings)
    with _shared_lock:
        found = _shared.get(config)
        if found is None:
            found = _shared[config] = LiveMode(config)
        return found


def hover_markdown(arn: str, settings: Any) -> str:
    """The hover hook `lsp/hover.py` calls (worker thread): deployed policies of `arn`."""
    return live_for(settings).hover_markdown(arn)
