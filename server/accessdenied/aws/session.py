"""boto3 sessions and clients for live mode: timeouts, bounded retries, the read-only guard.

`Clients` is the only place a boto3 client is created; `call()` runs one operation and turns
every failure (the tool's own AccessDenied, a missing entity, a timeout, no credentials)
into a `LiveFinding` instead of an exception.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from accessdenied.aws.model import LiveFinding
from accessdenied.aws.safety import (
    ReadOnlyViolation,
    guard_operation,
    redact,
    remember_secrets,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Error codes that mean "the caller may not do this" (the tool's own denial).
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "403",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "NoSuchEntity",
        "NoSuchBucket",
        "NoSuchBucketPolicy",
        "NotFoundException",
        "ResourceNotFoundException",
        "NotFound",
        "404",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "PolicyNotFoundException",
        "TargetNotFoundException",
        "ChildNotFoundException",
    }
)
NOT_IMPLEMENTED_CODES = frozenset(
    {"NotImplemented", "InternalFailure", "InternalError"}
)

#: IAM prefix of each botocore service name live mode talks to.
IAM_PREFIX = {"lambda": "lambda"}


class BotoUnavailable(RuntimeError):
    """boto3 is not installed (the `live` extra)."""


def boto3_available() -> bool:
    """Whether boto3/botocore can be imported."""
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
    except ImportError:
        return False
    return True


UNAVAILABLE_MESSAGE = (
    "live AWS mode needs boto3, which is not installed: "
    "pip install 'accessdenied-lsp[live]' (everything else works without it)"
)


@dataclass(frozen=True)
class LiveConfig:
    """Where and how live mode talks to AWS."""

    enabled: bool = False
    profile: str | None = None
    region: str | None = None
    #: Only for tests and private endpoints; AWS_ENDPOINT_URL works as well.
    endpoint_url: str | None = None
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 2
    #: Upper bound for one live operation as seen from the event loop (seconds).
    call_timeout: float = 30.0
    cache_ttl: float = 300.0


@dataclass
class Clients:
    """Lazily built, guarded boto3 clients of one session (thread-safe)."""

    config: LiveConfig
    _session: Any = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _caller: dict[str, str] | None = None

    def session(self) -> Any:
        """The boto3 session (profile and region from the config)."""
        with self._lock:
            if self._session is None:
                try:
                    import boto3
                except ImportError as exc:
                    raise BotoUnavailable(UNAVAILABLE_MESSAGE) from exc
                _quiet_sdk_loggers()
                self._session = boto3.Session(
                    profile_name=self.config.profile or None,
                    region_name=self.config.region or None,
                )
                creds = self._session.get_credentials()
                if creds is not None:
                    frozen = creds.get_frozen_credentials()
                    remember_secrets(
                        [frozen.access_key, frozen.secret_key, frozen.token]
                    )
            return self._session

    def region(self) -> str:
        """The configured region, else the session's, else us-east-1."""
        return self.config.region or self.session().region_name or "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        """A guarded client for `service` (read-only operations only)."""
        session = self.session()
        region = region or self.region()
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                return found
        from botocore.config import Config

        cfg = Config(
            connect_timeout=self.config.connect_timeout,
            read_timeout=self.config.read_timeout,
            retries={"max_attempts": self.config.max_attempts, "mode": "standard"},
            user_agent_extra="accessdenied-lsp-live",
        )
        kwargs: dict[str, Any] = {"config": cfg, "region_name": region}
        if self.config.endpoint_url:
            kwargs["endpoint_url"] = self.config.endpoint_url
        made = session.client(service, **kwargs)
        # The one place the read-only rule is enforced: before any request is built.
        made.meta.events.register("before-parameter-build", guard_operation)
        with self._lock:
            return self._clients.setdefault(key, made)

    def caller(self) -> dict[str, str]:
        """sts:GetCallerIdentity (Account, Arn, UserId), cached for the session."""
        if self._caller is None:
            out = self.client("sts").get_caller_identity()
            self._caller = {
                k: str(out.get(k, "")) for k in ("Account", "Arn", "UserId")
            }
        return self._caller


def _quiet_sdk_loggers() -> None:
    # botocore logs request headers (the access key id in Authorization) at DEBUG.
    for name in ("botocore", "boto3", "urllib3", "s3transfer"):
        lg = logging.getLogger(name)
        if lg.getEffectiveLevel() < logging.INFO:
            lg.setLevel(logging.INFO)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code is not None:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status is not None:
            return str(status)
    return None


def describe_failure(
    exc: BaseException, service: str, operation: str, purpose: str
) -> LiveFinding:
    """A plain finding for a failed call: what we tried, which action, why it failed."""
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    code = error_code(exc)
    name = type(exc).__name__
    if isinstance(exc, ReadOnlyViolation):
        return LiveFinding(
            "live-read-only-violation", "error", redact(str(exc)), action
        )
    if isinstance(exc, BotoUnavailable):
        return LiveFinding("live-unavailable", "warning", UNAVAILABLE_MESSAGE, action)
    if code in DENIED_CODES:
        return LiveFinding(
            "live-access-denied",
            "warning",
            redact(f"live mode could not {purpose}: {action} denied"),
            action,
            code,
        )
    if code == "AWSOrganizationsNotInUseException":
        return LiveFinding(
            "live-not-found",
            "info",
            f"live mode could not {purpose}: the account is not in an organization "
            "(no SCPs or RCPs apply)",
            action,
            code,
        )
    if code in NOT_FOUND_CODES:
        return LiveFinding(
            "live-not-found",
            "info",
            redact(f"live mode could not {purpose}: not found ({code})"),
            action,
            code,
        )
    if name in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return LiveFinding(
            "live-no-credentials",
            "warning",
            redact(
                f"live mode could not {purpose}: no usable AWS credentials ({name})"
            ),
            action,
            name,
        )
    if name in (
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "EndpointConnectionError",
        "ConnectionClosedError",
        "TimeoutError",
    ):
        return LiveFinding(
            "live-timeout",
            "warning",
            redact(f"live mode could not {purpose}: {action} timed out or unreachable"),
            action,
            name,
        )
    detail = code or name
    return LiveFinding(
        "live-error",
        "warning",
        redact(f"live mode could not {purpose}: {action} failed ({detail}: {exc})"),
        action,
        code,
    )


def attempt(
    findings: list[LiveFinding],
    service: str,
    operation: str,
    purpose: str,
    fn: Callable[[], T],
) -> T | None:
    """Run `fn`; on failure append a finding and return None (never raise for AWS errors)."""
    try:
        return fn()
    except Exception as exc:  # ReadOnlyViolation too: a finding, never a crash
        finding = describe_failure(exc, service, operation, purpose)
        logger.info("%s", finding.message)
        findings.append(finding)
        return None
