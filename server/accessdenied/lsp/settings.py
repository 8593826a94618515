"""Server settings: dataclasses under `accessdenied.*`, one cattrs converter (camelCase).

Clients send the table with or without the `accessdenied` key (VS Code answers
`workspace/configuration` for section `accessdenied` with the inner table; Neovim users
often pass `{accessdenied = {...}}`). Unknown keys are ignored; a bad value is reported
once and the defaults are used.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

DEFAULT_LOG_INCLUDE: tuple[str, ...] = (
    "**/*.log",
    "**/*.out",
    "**/logs/**/*.txt",
    "logs/**/*.txt",
    "**/cloudtrail/**/*.json",
    "**/CloudTrail/**/*.json",
    ".accessdenied/terminal.log",
)
DEFAULT_LOG_EXCLUDE: tuple[str, ...] = (
    "**/node_modules/**",
    "**/.git/**",
    "**/.venv/**",
    "**/__pycache__/**",
)


@dataclass
class LogSettings:
    include: list[str] = field(default_factory=lambda: list(DEFAULT_LOG_INCLUDE))
    """Glob patterns (workspace-relative) of log files scanned and watched for denials."""
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_LOG_EXCLUDE))
    """Glob patterns never scanned."""
    poll_interval: float = 0.5
    """Seconds between polls of watched log files when the client cannot watch files."""
    max_diagnostics: int = 500
    """At most this many denial diagnostics per log file (the newest are kept)."""


@dataclass
class TerminalSettings:
    enabled: bool = True
    """Publish diagnostics for denials in forwarded terminal output."""
    forward: bool = True
    """Client-side: forward terminal output (the server accepts it either way)."""


@dataclass
class AwsSettings:
    live_mode: bool = False
    """Read policies from the AWS account (opt-in, read-only)."""
    profile: str = ""
    """AWS profile for live mode."""
    region: str = ""
    """AWS region for live mode."""


@dataclass
class PolicySettings:
    debounce: float = 0.3
    """Seconds to wait after the last edit before re-checking a policy document."""
    denial_diagnostics: bool = True
    """Show "was denied" diagnostics on the policy that should grant a denied request."""
    allow_outside_reads: bool = False
    """Read (never edit) policy files that the project config or IaC names outside the workspace folders; off: such entries are warnings, not followed."""


@dataclass
class ServerSettings:
    path: list[str] = field(default_factory=list)
    """Client-side: the command that starts the server."""
    interpreter: list[str] = field(default_factory=list)
    """Client-side: the Python interpreter that runs the server."""
    log_level: str = "info"
    """Server log level forwarded to window/logMessage: error, warning, info, debug."""


@dataclass
class TraceSettings:
    server: str = "off"
    """Client-side protocol tracing."""


@dataclass
class Settings:
    logs: LogSettings = field(default_factory=LogSettings)
    terminal: TerminalSettings = field(default_factory=TerminalSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    trace: TraceSettings = field(default_factory=TraceSettings)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    # Clients send one glob as a bare string now and then; accept it.
    conv.register_structure_hook_func(
        lambda t: t == list[str],
        lambda v, _: [v] if isinstance(v, str) else [str(x) for x in _as_list(v)],
    )
    for cls in (
        LogSettings,
        TerminalSettings,
        AwsSettings,
        PolicySettings,
        ServerSettings,
        TraceSettings,
        Settings,
    ):
        names = {
            f.name: override(rename=_camel(f.name)) for f in dataclasses.fields(cls)
        }
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **names))  # type: ignore[arg-type]
        conv.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(cls, conv, **names),  # type: ignore[arg-type]
        )
    return conv


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):  # Lua tables with holes arrive as {"1": ...}
        return [value[k] for k in sorted(value, key=str)]
    raise TypeError(f"expected a list, got {type(value).__name__}")


converter = _make_converter()


class SettingsError(ValueError):
    """A settings table that does not fit `Settings`."""


def _unwrap(raw: Any) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SettingsError(f"settings must be a table, got {type(raw).__name__}")
    inner = raw.get("accessdenied")
    if isinstance(inner, Mapping):
        return inner
    return raw


def _prune(value: Any) -> Any:
    """Drop None values (unset keys) so that defaults apply."""
    if isinstance(value, Mapping):
        return {str(k): _prune(v) for k, v in value.items() if v is not None}
    return value


def parse_settings(raw: Any) -> Settings:
    """`Settings` from a client table (with or without the `accessdenied` key).

    Raises `SettingsError` naming the bad key; callers fall back to defaults.
    """
    table = _prune(_unwrap(raw))
    try:
        settings = converter.structure(table, Settings)
    except Exception as exc:
        detail = "; ".join(_flatten(exc)) or str(exc)
        raise SettingsError(f"invalid accessdenied settings: {detail}") from None
    if settings.logs.poll_interval <= 0 or settings.policy.debounce < 0:
        raise SettingsError(
            "invalid accessdenied settings: logs.pollInterval must be > 0 and "
            "policy.debounce >= 0"
        )
    return settings


_USER_PATH = re.compile(r"\$\.([A-Za-z0-9_.\[\]]+)")


def _user_key(match: re.Match[str]) -> str:
    """`$.logs.poll_interval` -> `logs.pollInterval` (the key in the client's table)."""
    return ".".join(_camel(part) for part in match.group(1).split("."))


def _flatten(exc: BaseException) -> list[str]:
    if isinstance(exc, cattrs.BaseValidationError):
        out: list[str] = []
        notes = cattrs.transform_error(exc)
        # cattrs names the Python field; the user wrote the camelCase key.
        out.extend(_USER_PATH.sub(_user_key, note) for note in notes)
        return out
    return [str(exc)]


def settings_to_json(settings: Settings) -> dict[str, Any]:
    """The camelCase table of `settings` (what clients send)."""
    value = converter.unstructure(settings)
    assert isinstance(value, dict)
    return value
