"""A Terraform module as the fixer sees it: its files, call sites, state and values.

A module is a directory of `.tf` files. Values are resolved as far as they are static:
literals, `var.*` from the calling `module` block (literal arguments) or the variable's
default, `local.*`, resource attributes from `terraform.tfstate` / a plan JSON when
present, else derived from the resource's own arguments (`aws_s3_bucket.b.arn` from
`bucket = "b"`). Anything else is `Unresolved` and matches nothing when evaluated.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.containers.terraform.hcl import (
    Attribute,
    Block,
    Expr,
    HclError,
    HclFile,
    parse_hcl,
)

logger = logging.getLogger(__name__)

_MAX_FILE = 4 * 1024 * 1024
_MAX_FILES = 400


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value only Terraform knows at plan/apply time."""

    text: str

    def marker(self) -> str:
        """What the evaluator sees: a string no ARN or action matches."""
        return f"UNRESOLVED({self.text})"


def _read(path: Path) -> str | None:
    # Bounded and FIFO/device-safe (issue 18).
    return safeio.read_text_or_none(path, _MAX_FILE, errors="strict")


@dataclass
class Module:
    """The parsed `.tf` files of one directory."""

    directory: Path
    files: dict[Path, HclFile] = field(default_factory=dict)
    errors: dict[Path, str] = field(default_factory=dict)

    def blocks(self, type_: str) -> Iterator[tuple[Path, Block]]:
        """Top-level blocks of one type across the module's files."""
        for path, f in self.files.items():
            for b in f.blocks:
                if b.type == type_:
                    yield path, b

    def resource(self, rtype: str, name: str) -> tuple[Path, Block] | None:
        """`resource "rtype" "name"` (None when not declared here)."""
        for path, b in self.blocks("resource"):
            if b.labels[:2] == (rtype, name):
                return path, b
        return None

    def data(self, dtype: str, name: str) -> tuple[Path, Block] | None:
        """`data "dtype" "name"`."""
        for path, b in self.blocks("data"):
            if b.labels[:2] == (dtype, name):
                return path, b
        return None

    def local(self, name: str) -> tuple[Path, Attribute] | None:
        """The `locals` attribute `name`."""
        for path, b in self.blocks("locals"):
            a = b.attr(name)
            if a is not None:
                return path, a
        return None

    def variable(self, name: str) -> Block | None:
        """The `variable "name"` block."""
        for _path, b in self.blocks("variable"):
            if b.labels[:1] == (name,):
                return b
        return None


_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], Module] = {}


def _tf_files(directory: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [directory / n for n in names if n.endswith(".tf")][:_MAX_FILES]


def load_module(directory: Path, overrides: Mapping[Path, str] | None = None) -> Module:
    """Parse every `.tf` file of a directory (cached by mtime; `overrides`: unsaved text)."""
    paths = _tf_files(directory)
    stamp = []
    for p in paths:
        try:
            st = p.stat()
            stamp.append((p.name, st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    key = (str(directory), tuple(stamp))
    if not overrides and key in _CACHE:
        return _CACHE[key]
    mod = Module(directory)
    for p in paths:
        text = overrides.get(p) if overrides and p in overrides else _read(p)
        if text is None:
            continue
        try:
            mod.files[p] = parse_hcl(text)
        except HclError as exc:
            mod.errors[p] = str(exc)
    if overrides:
        for p, text in overrides.items():
            if p.parent == directory and p not in mod.files and p.suffix == ".tf":
                try:
                    mod.files[p] = parse_hcl(text)
                except HclError as exc:
                    mod.errors[p] = str(exc)
    else:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = mod
    return mod


@dataclass(frozen=True, slots=True)
class CallSite:
    """A `module "x" { source = "./..." }` block calling a module directory."""

    caller: Module
    block: Block
    path: Path

    @property
    def name(self) -> str:
        return self.block.labels[0] if self.block.labels else "?"


_MARKERS = (".git", ".accessdenied.toml", ".hg")


def project_root(directory: Path, levels: int = 8) -> Path:
    """The nearest ancestor holding a VCS or project marker (else `directory`)."""
    here = directory.resolve()
    for _ in range(levels):
        if any((here / m).exists() for m in _MARKERS):
            return here
        if here.parent == here:
            break
        here = here.parent
    return directory.resolve()


def within(path: Path, root: Path) -> bool:
    """Whether `path` (resolved) lies under `root`."""
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


#: call_sites / load_state answers, reused for a few seconds: indexing asks once per
#: .tf file of a module, and walking the parents each time dominates large workspaces.
_TTL = 5.0
_SITES: dict[str, tuple[float, list[CallSite]]] = {}
_STATES: dict[str, tuple[float, State]] = {}


def _subdirs(directory: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [
        directory / n
        for n in names
        if not n.startswith(".")
        and n not in ("node_modules", "cdk.out")
        and (directory / n).is_dir()
    ][:200]


def call_sites(directory: Path, levels: int = 4) -> list[CallSite]:
    """Module blocks in this or parent directories whose local source is `directory`."""
    key = str(directory.resolve())
    now = time.monotonic()
    hit = _SITES.get(key)
    if hit is not None and now - hit[0] < _TTL:
        return hit[1]
    found = _call_sites(directory, levels)
    if len(_SITES) > 1024:
        _SITES.clear()
    _SITES[key] = (now, found)
    return found


def _call_sites(directory: Path, levels: int) -> list[CallSite]:
    out: list[CallSite] = []
    target = directory.resolve()
    top = project_root(target)
    seen: set[Path] = set()
    here = target.parent
    candidates: list[Path] = []
    for _ in range(levels):
        candidates.append(here)
        # Children and grandchildren of each ancestor hold callers too
        # (`envs/prod` or `examples/basic` -> `../../modules/x`), bounded.
        for child in _subdirs(here):
            candidates.append(child)
            if len(candidates) < 400:
                candidates += _subdirs(child)
        # Callers live in the same project: never read above its root.
        if here == top or not within(here, top) or here.parent == here:
            break
        here = here.parent
    for cand in candidates:
        if (
            cand in seen
            or cand == target
            or cand.name.startswith(".")
            or not within(cand, top)
        ):
            continue
        seen.add(cand)
        if not _tf_files(cand):
            continue
        mod = load_module(cand)
        for path, b in mod.blocks("module"):
            src = b.attr("source")
            if src is None or src.value.kind != "string":
                continue
            s = str(src.value.value)
            if not s.startswith(("./", "../")):
                continue
            if (cand / s).resolve() == target:
                out.append(CallSite(mod, b, path))
    return out


@dataclass
class State:
    """Resource attributes from terraform.tfstate or a plan JSON (address -> values)."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None


def _walk_plan_module(mod: Mapping[str, Any], out: dict[str, dict[str, Any]]) -> None:
    for r in mod.get("resources") or []:
        if isinstance(r, dict) and isinstance(r.get("values"), dict):
            out[str(r.get("address"))] = r["values"]
    for child in mod.get("child_modules") or []:
        if isinstance(child, dict):
            _walk_plan_module(child, out)


def load_state(directory: Path) -> State:
    """terraform.tfstate (state v4) or a plan JSON (`terraform show -json`) in `directory`."""
    key = str(directory.resolve())
    now = time.monotonic()
    hit = _STATES.get(key)
    if hit is not None and now - hit[0] < _TTL:
        return hit[1]
    state = _load_state(directory)
    if len(_STATES) > 1024:
        _STATES.clear()
    _STATES[key] = (now, state)
    return state


def _load_state(directory: Path) -> State:
    state = State()
    names = ["terraform.tfstate"]
    try:
        names += sorted(
            n
            for n in os.listdir(directory)
            if n.endswith(".json")
            and ("plan" in n.lower() or n.endswith(".tfplan.json"))
        )
    except OSError:
        return state
    for name in names:
        text = _read(directory / name)
        if text is None:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("resources"), list):  # state v4
            for r in data["resources"]:
                if not isinstance(r, dict) or r.get("mode") != "managed":
                    continue
                prefix = f"{r['module']}." if r.get("module") else ""
                for inst in r.get("instances") or []:
                    attrs = inst.get("attributes") if isinstance(inst, dict) else None
                    if isinstance(attrs, dict):
                        state.values[f"{prefix}{r.get('type')}.{r.get('name')}"] = attrs
            state.source = name
        elif isinstance(data.get("planned_values"), dict):
            root = data["planned_values"].get("root_module")
            if isinstance(root, dict):
                _walk_plan_module(root, state.values)
            prior = (data.get("prior_state") or {}).get("values", {}).get("root_module")
            if isinstance(prior, dict):
                known: dict[str, dict[str, Any]] = {}
                _walk_plan_module(prior, known)
                for k, v in known.items():
                    state.values.setdefault(k, v)
            state.source = name
        if state.values:
            break
    return state


#: resource type -> (ARN template over its arguments, the argument naming it).
ARN_TEMPLATES: dict[str, tuple[str, str]] = {
    "aws_s3_bucket": ("arn:{partition}:s3:::{}", "bucket"),
    "aws_dynamodb_table": (
        "arn:{partition}:dynamodb:{region}:{account}:table/{}",
        "name",
    ),
    "aws_sqs_queue": ("arn:{partition}:sqs:{region}:{account}:{}", "name"),
    "aws_sns_topic": ("arn:{partition}:sns:{region}:{account}:{}", "name"),
    "aws_kms_alias": ("arn:{partition}:kms:{region}:{account}:{}", "name"),
    "aws_secretsmanager_secret": (
        "arn:{partition}:secretsmanager:{region}:{account}:secret:{}-??????",
        "name",
    ),
    "aws_lambda_function": (
        "arn:{partition}:lambda:{region}:{account}:function:{}",
        "function_name",
    ),
    "aws_iam_role": ("arn:{partition}:iam::{account}:role/{path}{}", "name"),
    "aws_iam_user": ("arn:{partition}:iam::{account}:user/{path}{}", "name"),
    "aws_iam_policy": ("arn:{partition}:iam::{account}:policy/{path}{}", "name"),
    "aws_ecr_repository": (
        "arn:{partition}:ecr:{region}:{account}:repository/{}",
        "name",
    ),
    "aws_cloudwatch_log_group": (
        "arn:{partition}:logs:{region}:{account}:log-group:{}",
        "name",
    ),
    "aws_kinesis_stream": (
        "arn:{partition}:kinesis:{region}:{account}:stream/{}",
        "name",
    ),
    "aws_kinesis_firehose_delivery_stream": (
        "arn:{partition}:firehose:{region}:{account}:deliverystream/{}",
        "name",
    ),
    "aws_ssm_parameter": (
        "arn:{partition}:ssm:{region}:{account}:parameter/{}",
        "name",
    ),
    "aws_sfn_state_machine": (
        "arn:{partition}:states:{region}:{account}:stateMachine:{}",
        "name",
    ),
    "aws_kms_key": ("arn:{partition}:kms:{region}:{account}:key/*", ""),
    "aws_ecs_cluster": ("arn:{partition}:ecs:{region}:{account}:cluster/{}", "name"),
    "aws_glue_catalog_table": (
        "arn:{partition}:glue:{region}:{account}:table/*/{}",
        "name",
    ),
    "aws_athena_workgroup": (
        "arn:{partition}:athena:{region}:{account}:workgroup/{}",
        "name",
    ),
    "aws_cloudwatch_event_bus": (
        "arn:{partition}:events:{region}:{account}:event-bus/{}",
        "name",
    ),
}

#: The attribute a resource's `id` holds (when it is its name).
_ID_IS = {
    "aws_s3_bucket": "bucket",
    "aws_dynamodb_table": "name",
    "aws_iam_role": "name",
    "aws_iam_user": "name",
    "aws_iam_group": "name",
    "aws_ecr_repository": "name",
    "aws_cloudwatch_log_group": "name",
    "aws_ssm_parameter": "name",
    "aws_lambda_function": "function_name",
}


def _escape_name(value: str) -> str:
    return value


class Resolver:
    """Static values of expressions in one module instance (one call site)."""

    def __init__(
        self,
        module: Module,
        variables: Mapping[str, Any] | None = None,
        state: State | None = None,
        context: Mapping[str, str] | None = None,
        address_prefix: str = "",
        known: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        #: `address.attribute` -> literal value (references the caller already resolved).
        self.known = dict(known or {})
        self.variables = dict(variables or {})
        self.state = state if state is not None else State()
        self.context = dict(context or {})
        self.prefix = address_prefix
        self.unresolved: list[str] = []
        self._depth = 0
        self.sources: dict[str, str] = {}  # address -> where its ARN came from

    def pseudo(self, what: str) -> str:
        """Account / region / partition: from the context, else `*` (aws for partition)."""
        if what == "partition":
            return self.context.get("partition", "aws")
        return self.context.get(what, "*")

    def value(self, e: Expr) -> Any:
        """The static Python value of `e` (Unresolved where Terraform decides)."""
        self._depth += 1
        try:
            if self._depth > 60:
                return Unresolved("(too deep)")
            return self._value(e)
        finally:
            self._depth -= 1

    def _value(self, e: Expr) -> Any:
        k = e.kind
        if k in ("string", "number", "bool", "null"):
            return e.value
        if k == "template":
            parts = []
            for p in e.items:
                v = self.value(p)
                if isinstance(v, bool):
                    v = "true" if v else "false"
                if isinstance(v, int | float):
                    v = str(v)
                if not isinstance(v, str):
                    text = v.text if isinstance(v, Unresolved) else "?"
                    return Unresolved(text)
                parts.append(v)
            return "".join(parts)
        if k == "tuple":
            return [self.value(i) for i in e.items]
        if k == "object":
            return {m.key: self.value(m.value) for m in e.members}
        if k == "heredoc":
            return self.interpolate(str(e.value))
        if k == "ref":
            return self.ref(str(e.value))
        if k == "call":
            return self.call(e)
        if k == "conditional" and len(e.items) == 3:
            cond = self.value(e.items[0])
            if isinstance(cond, bool):
                return self.value(e.items[1] if cond else e.items[2])
        if k == "binary" and len(e.items) == 2:
            a, b = self.value(e.items[0]), self.value(e.items[1])
            if not (isinstance(a, Unresolved) or isinstance(b, Unresolved)):
                op = e.name
                if op == "==":
                    return a == b
                if op == "!=":
                    return a != b
                if op == "&&" and isinstance(a, bool) and isinstance(b, bool):
                    return a and b
                if op == "||" and isinstance(a, bool) and isinstance(b, bool):
                    return a or b
        if k == "unary" and e.name == "!" and e.items:
            v = self.value(e.items[0])
            if isinstance(v, bool):
                return not v
        return self._miss(str(e.value or k))

    def _miss(self, text: str) -> Unresolved:
        self.unresolved.append(text)
        return Unresolved(text)

    _INTERP = re.compile(r"(?<!\$)\$\{([^}]*)\}")

    def interpolate(self, body: str) -> str:
        """A heredoc/template body with simple `${ref}` interpolations substituted."""

        def sub(m: re.Match[str]) -> str:
            v = self.ref(m.group(1).strip())
            if isinstance(v, Unresolved):
                return v.marker()
            if isinstance(v, str):
                return json.dumps(v)[1:-1]
            return json.dumps(v)

        return self._INTERP.sub(sub, body).replace("$${", "${")

    def call(self, e: Expr) -> Any:
        name = e.name or ""
        args = [self.value(a) for a in e.items]
        if name == "jsonencode" and len(args) == 1:
            if _has_unresolved(args[0]):
                return Unresolved("jsonencode(...)")
            return json.dumps(args[0])
        if name in ("tolist", "toset", "tostring") and len(args) == 1:
            return args[0]
        if name == "concat" and all(isinstance(a, list) for a in args):
            return [x for a in args for x in a]
        if name == "flatten" and len(args) == 1 and isinstance(args[0], list):
            return [y for x in args[0] for y in (x if isinstance(x, list) else [x])]
        if (
            name == "join"
            and len(args) == 2
            and isinstance(args[0], str)
            and isinstance(args[1], list)
            and all(isinstance(x, str) for x in args[1])
        ):
            return args[0].join(args[1])
        if name == "format" and args and isinstance(args[0], str):
            rest = args[1:]
            if all(isinstance(x, str | int) for x in rest):
                try:
                    return re.sub(r"%[sd]", "{}", args[0]).format(*rest)
                except (IndexError, ValueError):
                    pass
        return self._miss(f"{name}(...)")

    def ref(self, path: str) -> Any:
        """A reference (`var.x`, `local.y`, `aws_s3_bucket.b.arn`, ...)."""
        parts = path.split(".")
        head = parts[0]
        if head == "var" and len(parts) >= 2:
            name = re.sub(r"\[.*", "", parts[1])
            if name in self.variables:
                return _dig(self.variables[name], parts[2:], path)
            var = self.module.variable(name)
            default = var.attr("default") if var is not None else None
            if default is not None:
                return _dig(self.value(default.value), parts[2:], path)
            return self._miss(path)
        if head == "local" and len(parts) >= 2:
            found = self.module.local(parts[1])
            if found is None:
                return self._miss(path)
            return _dig(self.value(found[1].value), parts[2:], path)
        if head == "data" and len(parts) >= 4:
            return self.data_ref(parts[1], parts[2], parts[3], path)
        if head in ("path", "terraform", "each", "count", "self"):
            return self._miss(path)
        if len(parts) >= 3 and re.fullmatch(r"[a-z0-9]+_[a-z0-9_]+", head):
            return self.resource_attr(head, parts[1], parts[2], path)
        return self._miss(path)

    def data_ref(self, dtype: str, name: str, attr: str, path: str) -> Any:
        if dtype == "aws_caller_identity" and attr == "account_id":
            return self.pseudo("account")
        if dtype == "aws_region" and attr in ("name", "region", "id"):
            return self.pseudo("region")
        if dtype == "aws_partition" and attr == "partition":
            return self.pseudo("partition")
        if dtype == "aws_iam_policy_document" and attr in ("json", "minified_json"):
            found = self.module.data(dtype, name)
            if found is not None:
                from accessdenied.containers.terraform.documents import (
                    policy_document,
                )

                doc = policy_document(found[1], self)
                return json.dumps(doc)
        return self._miss(path)

    def resource_attr(self, rtype: str, name: str, attr: str, path: str) -> Any:
        bare = re.sub(r"\[.*", "", name)
        address = f"{rtype}.{bare}"
        if f"{address}.{attr}" in self.known:
            return self.known[f"{address}.{attr}"]
        vals = self.state.values.get(self.prefix + address)
        if vals is not None and attr in vals and isinstance(vals[attr], str):
            self.sources[address] = self.state.source or "state"
            return vals[attr]
        found = self.module.resource(rtype, bare)
        if found is None:
            return self._miss(path)
        block = found[1]
        if attr == "arn":
            arn = self.derived_arn(rtype, block)
            if arn is None:
                return self._miss(path)
            self.sources.setdefault(address, "its arguments")
            return arn
        if attr == "id" and rtype in _ID_IS:
            attr = _ID_IS[rtype]
        if attr == "url" and rtype == "aws_sqs_queue":
            qname = self.arg_string(block, "name")
            if qname is None:
                return self._miss(path)
            return (
                f"https://sqs.{self.pseudo('region')}.amazonaws.com/"
                f"{self.pseudo('account')}/{qname}"
            )
        value = self.arg_string(block, attr)
        if value is None:
            return self._miss(path)
        return value

    def arg_string(self, block: Block, name: str, pattern: bool = False) -> str | None:
        """A string argument; with `pattern`, computed parts become `*` (for names)."""
        a = block.attr(name)
        if a is None:
            prefix = block.attr(f"{name}_prefix")
            if prefix is not None:
                v = (
                    self.name_pattern(prefix.value)
                    if pattern
                    else self.value(prefix.value)
                )
                return f"{v}*" if isinstance(v, str) else None
            return None
        v = self.name_pattern(a.value) if pattern else self.value(a.value)
        return v if isinstance(v, str) else None

    def name_pattern(self, e: Expr) -> str | None:
        """A name as an IAM wildcard pattern: `"${var.env}-app"` -> `*-app` (None: unknown)."""
        v = self.value(e)
        if isinstance(v, str):
            return v
        if e.kind != "template":
            return None
        parts = []
        for p in e.items:
            pv = self.value(p)
            parts.append(pv if isinstance(pv, str) else "*")
        out = re.sub(r"\*+", "*", "".join(parts))
        return None if out.strip("*") == "" else out

    def derived_arn(self, rtype: str, block: Block) -> str | None:
        """The ARN pattern of a resource from its arguments (None when not derivable)."""
        tpl = ARN_TEMPLATES.get(rtype)
        if tpl is None:
            return None
        template, arg = tpl
        name = self.arg_string(block, arg, pattern=True) if arg else ""
        if name is None or (arg and not name.strip("*")):
            return None
        path = ""
        if "{path}" in template:
            p = self.arg_string(block, "path") or "/"
            path = p.lstrip("/")
        if rtype == "aws_ssm_parameter":
            name = name.lstrip("/")
        return template.format(
            name,
            partition=self.pseudo("partition"),
            region=self.pseudo("region"),
            account=self.pseudo("account"),
            path=path,
        )


def _dig(value: Any, rest: list[str], path: str) -> Any:
    for key in rest:
        if isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return Unresolved(path)
    return value


def _has_unresolved(value: Any) -> bool:
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(_has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unresolved(v) for v in value)
    return False


def evaluable(value: Any) -> Any:
    """A resolved value with every Unresolved replaced by its marker string."""
    if isinstance(value, Unresolved):
        return value.marker()
    if isinstance(value, dict):
        return {k: evaluable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluable(v) for v in value]
    return value


def has_unresolved(value: Any) -> bool:
    """Whether any part of a resolved value is Unresolved."""
    return _has_unresolved(value)
