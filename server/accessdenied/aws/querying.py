"""Shared plumbing of the trail engines in AWS.

Clients allowed to run queries, polling with a deadline, cancellation on Ctrl-C or
timeout, and the errors people hit.

Live mode's `Clients.client` only allows read-only calls; a query engine has to start
and stop queries, so `query_client` builds a client guarded by `QUERY_OPERATIONS`
instead (the same timeouts and retries, nothing outside that list is ever sent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from accessdenied.aws.safety import ReadOnlyViolation, redact
from accessdenied.aws.session import BotoUnavailable, Clients, LiveConfig, error_code

#: Every operation `accessdenied trail` may call (docs/trail-policy.json grants these).
QUERY_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("athena", "GetWorkGroup"),
        ("athena", "GetTableMetadata"),
        ("athena", "StartQueryExecution"),
        ("athena", "GetQueryExecution"),
        ("athena", "GetQueryResults"),
        ("athena", "StopQueryExecution"),
        ("cloudtrail", "StartQuery"),
        ("cloudtrail", "GetQueryResults"),
        ("cloudtrail", "CancelQuery"),
    }
)

EXIT_CONFIG = 2
EXIT_QUERY = 3


class TrailQueryError(RuntimeError):
    """A remote trail query could not run or finish; `exit_status` per the CLI."""

    def __init__(self, message: str, exit_status: int = EXIT_QUERY) -> None:
        super().__init__(redact(message))
        self.exit_status = exit_status


def _guard(model: Any = None, **_: Any) -> None:
    service = str(model.service_model.service_name)
    operation = str(model.name)
    if (service, operation) not in QUERY_OPERATIONS:
        raise ReadOnlyViolation(f"accessdenied trail refused {service}:{operation}")


def query_client(config: LiveConfig, service: str) -> Any:
    """A boto3 client for `service` that may call only QUERY_OPERATIONS."""
    clients = Clients(config)
    try:
        session = clients.session()
    except BotoUnavailable as exc:
        raise TrailQueryError(str(exc), EXIT_CONFIG) from exc
    except Exception as exc:  # ProfileNotFound and friends
        raise TrailQueryError(
            f"cannot start an AWS session: {exc}", EXIT_CONFIG
        ) from exc
    if session.get_credentials() is None:
        raise TrailQueryError(
            "no AWS credentials: set AWS_PROFILE (or --profile), run `aws sso login`, or "
            "export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            EXIT_CONFIG,
        )
    from botocore.config import Config

    cfg = Config(
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries={"max_attempts": config.max_attempts, "mode": "standard"},
        user_agent_extra="accessdenied-lsp-trail",
    )
    kwargs: dict[str, Any] = {"config": cfg, "region_name": clients.region()}
    if config.endpoint_url:
        kwargs["endpoint_url"] = config.endpoint_url
    client = session.client(service, **kwargs)
    client.meta.events.register("before-parameter-build", _guard)
    return client


def aws_call(
    what: str, fn: Callable[[], Any], config_codes: frozenset[str] = frozenset()
) -> Any:
    """Run one AWS call; failures become TrailQueryError with a plain message."""
    try:
        return fn()
    except TrailQueryError:
        raise
    except Exception as exc:
        raise describe(exc, what, config_codes) from exc


def describe(
    exc: BaseException, what: str, config_codes: frozenset[str]
) -> TrailQueryError:
    """A TrailQueryError for a failed AWS call (credentials, denial, timeout, other)."""
    name = type(exc).__name__
    code = error_code(exc)
    message = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        message = str(response.get("Error", {}).get("Message") or "")
    if name in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return TrailQueryError(
            f"no usable AWS credentials ({name}) to {what}", EXIT_CONFIG
        )
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return TrailQueryError(
            f"AWS denied the call to {what}: {message or code} "
            "(docs/trail-policy.json lists what the command needs)",
            EXIT_CONFIG,
        )
    if name in ("ConnectTimeoutError", "ReadTimeoutError", "EndpointConnectionError"):
        return TrailQueryError(f"AWS did not answer the call to {what} ({name})")
    if code in config_codes:
        return TrailQueryError(f"cannot {what}: {message or code}", EXIT_CONFIG)
    detail = f"{code}: {message}" if code else f"{name}: {exc}"
    return TrailQueryError(f"cannot {what} ({detail})")


class Poller:
    """Poll with a growing interval until done or the deadline passes."""

    def __init__(
        self,
        timeout: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        first: float = 0.5,
        longest: float = 5.0,
    ) -> None:
        self.deadline = clock() + timeout
        self.sleep = sleep
        self.clock = clock
        self.interval = first
        self.longest = longest
        self.timeout = timeout

    def wait(self) -> bool:
        """Sleep before the next poll; False when the deadline has passed."""
        left = self.deadline - self.clock()
        if left <= 0:
            return False
        self.sleep(min(self.interval, left))
        self.interval = min(self.interval * 1.5, self.longest)
        return True
