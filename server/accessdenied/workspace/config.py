"""Project configuration: `.accessdenied.toml` or `[tool.accessdenied]` in pyproject.toml.

The configuration says which policy files belong to which principal, resource and
organization level. It is validated against `schemas/accessdenied-config.schema.json`;
errors carry the file and, where it can be found, the line.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.globmatch import wildcard_fullmatch

CONFIG_FILE = ".accessdenied.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_NAMING = ("**/policies/{name}.json", "**/{name}-policy.json")


class ConfigError(ValueError):
    """An invalid configuration file: `path`, 1-based `line` (or None) and a message."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


@dataclass(frozen=True, slots=True)
class PrincipalConfig:
    """Policies of one principal (ARN pattern); globs relative to the config's folder."""

    arn: str
    identity_policies: tuple[str, ...] = ()
    boundary: str | None = None
    session_policy: str | None = None
    trust_policy: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceConfig:
    """The resource-based policy file for resources matching an ARN pattern."""

    arn: str
    policy: str
    kind: str = "resource"


@dataclass(frozen=True, slots=True)
class ManagedPolicyConfig:
    """A customer managed policy (ARN pattern) whose document is a file of the repo.

    Roles, users and boundaries that name the ARN (CloudFormation ManagedPolicyArns or
    PermissionsBoundary, Terraform attachments) are evaluated with that file.
    """

    arn: str
    policy: str


@dataclass(frozen=True, slots=True)
class OrganizationConfig:
    """SCP/RCP files per organization level (root first) and who they apply to."""

    scps: tuple[tuple[str, ...], ...] = ()
    rcps: tuple[tuple[str, ...], ...] = ()
    management_account: str | None = None
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkspaceConfig:
    """The whole configuration; `base` is the folder relative paths start from."""

    base: Path
    source: Path | None = None
    principals: tuple[PrincipalConfig, ...] = ()
    resources: tuple[ResourceConfig, ...] = ()
    organization: OrganizationConfig = field(default_factory=OrganizationConfig)
    managed_policies: tuple[ManagedPolicyConfig, ...] = ()
    exclude: tuple[str, ...] = ()
    naming_enabled: bool = True
    naming_patterns: tuple[str, ...] = DEFAULT_NAMING
    # Folder conventions: (glob, policy type or attachment), in file order.
    policy_types: tuple[tuple[str, str], ...] = ()


def schema_path() -> Path:
    """The config JSON Schema: inside the wheel, else the source tree's `schemas/`."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (
        here / "schemas" / "accessdenied-config.schema.json",
        here.parent.parent / "schemas" / "accessdenied-config.schema.json",
    ):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("accessdenied-config.schema.json not found")


@functools.cache
def config_schema() -> Mapping[str, Any]:
    """The parsed config schema (cached)."""
    value: Mapping[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return value


def _globs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _levels(value: Any) -> tuple[tuple[str, ...], ...]:
    if not value:
        return ()
    # A flat list of strings is one level.
    if all(isinstance(v, str) for v in value):
        return (tuple(value),)
    return tuple(_globs(v) for v in value)


_TOML_ERR_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _locate(text: str, path: Sequence[Any], prefix: str) -> int | None:
    """Best-effort 1-based line of a schema error's JSON path inside TOML text."""
    lines = text.splitlines()
    start = 0
    table = prefix
    i = 0
    parts = list(path)
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(part, str) and isinstance(nxt, int):
            header = f"[[{table + '.' if table else ''}{part}]]"
            seen = -1
            for n in range(start, len(lines)):
                if lines[n].strip() == header:
                    seen += 1
                    if seen == nxt:
                        start = n
                        break
            else:
                return None
            table = f"{table + '.' if table else ''}{part}"
            i += 2
            continue
        if isinstance(part, str):
            key = re.compile(rf"^\s*{re.escape(part)}\s*=")
            head = re.compile(
                rf"^\s*\[{re.escape((table + '.' if table else '') + part)}\]"
            )
            for n in range(start, len(lines)):
                if key.match(lines[n]) or head.match(lines[n]):
                    start = n
                    break
            else:
                return start + 1 if start else None
            table = f"{table + '.' if table else ''}{part}"
        i += 1
    return start + 1


def parse_config(
    data: Mapping[str, Any],
    base: Path,
    source: Path | None = None,
    text: str | None = None,
    prefix: str = "",
) -> WorkspaceConfig:
    """Validate a config table and build the `WorkspaceConfig`; raises ConfigError."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        dotted = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        line = _locate(text, list(err.absolute_path), prefix) if text else None
        raise ConfigError(f"{dotted}: {err.message}", source, line)
    principals = tuple(
        PrincipalConfig(
            arn=p["arn"],
            identity_policies=_globs(p.get("identity_policies")),
            boundary=p.get("boundary"),
            session_policy=p.get("session_policy"),
            trust_policy=p.get("trust_policy"),
        )
        for p in data.get("principals", ())
    )
    resources = tuple(
        ResourceConfig(
            arn=r["arn"],
            policy=r["policy"],
            kind=r.get("kind")
            or ("kms" if r["arn"].startswith("arn:aws:kms:") else "resource"),
        )
        for r in data.get("resources", ())
    )
    managed = tuple(
        ManagedPolicyConfig(arn=m["arn"], policy=m["policy"])
        for m in data.get("managed_policies", ())
    )
    org = data.get("organization", {})
    naming = data.get("naming", {})
    return WorkspaceConfig(
        base=base,
        source=source,
        principals=principals,
        resources=resources,
        managed_policies=managed,
        organization=OrganizationConfig(
            scps=_levels(org.get("scps")),
            rcps=_levels(org.get("rcps")),
            management_account=org.get("management_account"),
            accounts=tuple(org.get("accounts", ())),
        ),
        exclude=_globs(data.get("exclude")),
        naming_enabled=bool(naming.get("enabled", True)),
        naming_patterns=tuple(naming.get("patterns", DEFAULT_NAMING)),
        policy_types=tuple(
            (str(k), str(v)) for k, v in data.get("policy_types", {}).items()
        ),
    )


def read_config_file(path: Path) -> WorkspaceConfig:
    """Load one `.accessdenied.toml` or pyproject.toml; raises ConfigError."""
    try:
        text = safeio.read_text(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read: {exc}", path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_ERR_LINE.search(str(exc))
        raise ConfigError(
            f"invalid TOML: {exc}", path, int(m.group(1)) if m else None
        ) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", path) from None
    prefix = ""
    if path.name == PYPROJECT:
        data = data.get("tool", {}).get("accessdenied", {})
        prefix = "tool.accessdenied"
    return parse_config(data, path.parent, path, text, prefix)


def find_config(root: Path) -> Path | None:
    """The config file of the workspace at `root` (`.accessdenied.toml` or pyproject.toml).

    A pyproject.toml counts when it has `[tool.accessdenied]`. Only `root` itself is
    looked at: a config above the workspace belongs to someone else (a parent checkout,
    a home directory) and is never used.
    """
    folder = root.resolve()
    candidate = folder / CONFIG_FILE
    if safeio.is_regular_file(candidate):
        return candidate
    pyproject = folder / PYPROJECT
    if safeio.is_regular_file(pyproject):
        text = safeio.read_text_or_none(pyproject)
        if text is not None and re.search(
            r"^\s*\[tool\.accessdenied(\.|\])", text, re.MULTILINE
        ):
            return pyproject
    return None


def load_config(root: Path) -> WorkspaceConfig:
    """The configuration for the workspace at `root` (an empty one when there is none).

    Raises ConfigError when a config file exists but is invalid.
    """
    root = Path(root)
    path = root if root.is_file() else find_config(root)
    if path is None:
        return WorkspaceConfig(base=root.resolve())
    return read_config_file(path)


#: A CloudFormation-generated IAM name pattern: `<head>:role/[path/]*-<LogicalId>-*`.
_GENERATED = re.compile(
    r"(arn:[^:]*:iam::[^:]*:(?:role|user)/)((?:[^*?]*/)?)\*-([A-Za-z0-9]+)-\*"
)
_IAM_ARN = re.compile(r"(arn:[^:]*:iam::[^:]*:(?:role|user)/)((?:.*/)?)([^/]+)")
#: `<stack part>-<logical id part>-<suffix>` of a deployed generated name.
_DEPLOYED = re.compile(r"(.+)-([A-Za-z0-9]+)-([A-Za-z0-9]{12,13})")
#: IAM role and user names are at most 64 characters.
IAM_NAME_MAX = 64


@functools.lru_cache(maxsize=4096)
def _generated_parts(target: str) -> tuple[str, str, str] | None:
    m = _GENERATED.fullmatch(target)
    return None if m is None else (m.group(1), m.group(2), m.group(3))


def generated_name_matches(target: str, arn: str) -> bool:
    """Whether a deployed role/user ARN is the generated name of a template resource.

    CloudFormation names a role without `RoleName` `<stack>-<LogicalId>-<suffix>`
    (SAM's implicit function role: `<stack>-<LogicalId>Role-<suffix>`). Past IAM's 64
    characters it cuts the stack name and the logical id and keeps the random suffix
    (`serverlessrepo-SecretsM-SecretsManagerRDSPostgreSQ-1ZF0BAQX60F1V`), so a
    64-character name whose middle part is a prefix of the logical id is that resource.
    A session's role ARN carries no path, so the template's `Path`/`RolePath` is only
    compared when the ARN has one.
    """
    t = _generated_parts(target)
    a = _IAM_ARN.fullmatch(arn)
    if t is None or a is None:
        return False
    t_head, t_path, logical = t
    a_head, a_path, name = a.groups()
    if not wildcard_fullmatch(t_head, a_head):
        return False
    if a_path and a_path.strip("/") != t_path.strip("/"):
        return False
    if wildcard_fullmatch(f"*-{logical}-*", name):
        return True
    if len(name) != IAM_NAME_MAX:
        return False
    d = _DEPLOYED.fullmatch(name)
    return d is not None and logical.startswith(d.group(2))


def target_matches(target: str, forms: Sequence[str]) -> bool:
    """Whether a binding's principal pattern names one of a principal's ARN forms."""
    if any(wildcard_fullmatch(t, f) for t in target_forms(target) for f in forms):
        return True
    return "*-" in target and any(generated_name_matches(target, f) for f in forms)


def target_forms(target: str) -> tuple[str, ...]:
    """A role/user target pattern, plus its path-less form when it has a path.

    Sessions carry no path (`assumed-role/X/...` is the role `.../aws-reserved/
    sso.amazonaws.com/eu-west-1/X`), so a target with a path also matches the role by
    its name; only when the name is literal (`role/team/*` would match every role).
    """
    head, sep, rest = target.partition(":role/")
    if not sep:
        head, sep, rest = target.partition(":user/")
    if not sep or "/" not in rest:
        return (target,)
    name = rest.rsplit("/", 1)[1]
    if not name or "*" in name or "?" in name:
        return (target,)
    return (target, f"{head}{sep}{name}")
