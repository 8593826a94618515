"""Where Terraform keeps policy documents, and whose policies they are.

Policy values: `jsonencode({...})`, `data "aws_iam_policy_document"` (via `.json`),
heredocs, `file()` / `templatefile()`, `local.*` holding any of these. Owners:
`aws_iam_role` (assume_role_policy, inline_policy, managed_policy_arns,
permissions_boundary), `aws_iam_role_policy` / `aws_iam_user_policy`, `aws_iam_policy`
with its attachments, and the resource policies of buckets, queues, topics, keys,
repositories and secrets. Modules of the same repository get their variables from the
calling `module` block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.containers.terraform.attachments import attached_policies
from accessdenied.containers.terraform.hcl import Block, Expr
from accessdenied.containers.terraform.resolve import (
    ARN_TEMPLATES,
    Module,
    Resolver,
    Unresolved,
    call_sites,
    evaluable,
    load_module,
    load_state,
    project_root,
    within,
)

_REF = re.compile(r"^(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([a-z_]+)$")

#: resource policy resource type -> (argument naming the resource, its resource type).
RESOURCE_POLICIES: dict[str, tuple[str, str]] = {
    "aws_s3_bucket_policy": ("bucket", "aws_s3_bucket"),
    "aws_sqs_queue_policy": ("queue_url", "aws_sqs_queue"),
    "aws_sns_topic_policy": ("arn", "aws_sns_topic"),
    "aws_kms_key_policy": ("key_id", "aws_kms_key"),
    "aws_ecr_repository_policy": ("repository", "aws_ecr_repository"),
    "aws_secretsmanager_secret_policy": ("secret_arn", "aws_secretsmanager_secret"),
}
#: resources whose own `policy` argument is their resource policy.
SELF_POLICIES = ("aws_kms_key", "aws_sqs_queue", "aws_sns_topic", "aws_s3_bucket")


@dataclass(frozen=True, slots=True)
class Located:
    """One policy document found in a Terraform module."""

    kind: str  # identity | trust | resource | kms | boundary
    targets: tuple[str, ...]
    address: str  # the owning resource's address
    attribute: str  # policy | assume_role_policy | inline_policy.policy
    document: dict[str, Any] | None
    file: Path
    span: tuple[int, int] | None
    embed: str  # terraform-jsonencode | terraform-data | terraform-heredoc | json
    reason: str
    not_editable: str | None
    guess: bool
    #: Literal ARN pattern -> (address, attribute) of the module's resources.
    references: tuple[tuple[str, str, str], ...] = ()
    #: The owning resource's file and 1-based line (for messages).
    owner_file: Path | None = None
    owner_line: int = 0
    #: A customer managed policy ARN the workspace index looks up (attachments.py).
    attached: str | None = None


def _per_instance(module: Module, path: Path, block: Block) -> bool:
    """Whether a counted block's instances differ (it uses count.index / each.*).

    `count = var.create ? 1 : 0` is a create flag: every instance has the same document.
    """
    f = module.files.get(path)
    text = f.text[block.start : block.end] if f is not None else ""
    return re.search(r"\bcount\.index\b|\beach\.(?:key|value)\b", text) is not None


def _statement_blocks(block: Block) -> Iterator[Block]:
    for b in block.blocks:
        if b.type == "statement":
            yield b


def dynamic_statements(block: Block) -> Block | None:
    """A `dynamic "statement"` block of a policy document (None when all are static)."""
    for b in block.blocks:
        if b.type == "dynamic" and b.labels[:1] == ("statement",):
            return b
    return None


def _strs(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        return value
    return value


def statement_of(block: Block, r: Resolver) -> dict[str, Any]:
    """One `statement { ... }` block as an IAM JSON statement (resolved values)."""
    out: dict[str, Any] = {}
    for hcl_name, key in (
        ("sid", "Sid"),
        ("effect", "Effect"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        a = block.attr(hcl_name)
        if a is not None:
            out[key] = r.value(a.value)
    out.setdefault("Effect", "Allow")
    for hcl_name, key in (
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ):
        blocks = block.children(hcl_name)
        if not blocks:
            continue
        principal: dict[str, Any] = {}
        star = False
        for p in blocks:
            t = p.attr("type")
            ids = p.attr("identifiers")
            tv = r.value(t.value) if t else None
            iv = r.value(ids.value) if ids else []
            if tv == "*":
                star = True
                continue
            if isinstance(tv, str):
                principal.setdefault(tv, [])
                principal[tv] += iv if isinstance(iv, list) else [iv]
        out[key] = "*" if star and not principal else principal
    conds = block.children("condition")
    if conds:
        cond: dict[str, Any] = {}
        for c in conds:
            te, ve, vs = c.value("test"), c.value("variable"), c.value("values")
            test = r.value(te) if te is not None else None
            var = r.value(ve) if ve is not None else None
            vals = r.value(vs) if vs is not None else []
            if isinstance(test, str) and isinstance(var, str):
                cond.setdefault(test, {})[var] = vals
            else:
                cond.setdefault(Unresolved("condition").marker(), {})
        out["Condition"] = cond
    return out


def policy_document(block: Block, r: Resolver) -> dict[str, Any]:
    """A `data "aws_iam_policy_document"` block as policy JSON (Terraform's defaults)."""
    doc: dict[str, Any] = {}
    version = block.attr("version")
    doc["Version"] = r.value(version.value) if version else "2012-10-17"
    pid = block.attr("policy_id")
    if pid is not None:
        doc["Id"] = r.value(pid.value)
    statements: list[Any] = []
    for key in ("source_policy_documents", "source_json"):
        a = block.attr(key)
        if a is None:
            continue
        srcs = r.value(a.value)
        for s in srcs if isinstance(srcs, list) else [srcs]:
            statements += _statements_of_json(s)
    statements += [statement_of(b, r) for b in _statement_blocks(block)]
    if dynamic_statements(block) is not None:
        statements.append(Unresolved('dynamic "statement"'))
    for key in ("override_policy_documents", "override_json"):
        a = block.attr(key)
        if a is None:
            continue
        over = r.value(a.value)
        for s in over if isinstance(over, list) else [over]:
            extra = _statements_of_json(s)
            sids = {x.get("Sid") for x in extra if isinstance(x, dict) and x.get("Sid")}
            statements = [
                x
                for x in statements
                if not (isinstance(x, dict) and x.get("Sid") in sids)
            ]
            statements += extra
    doc["Statement"] = statements
    return doc


def _statements_of_json(value: Any) -> list[Any]:
    if isinstance(value, Unresolved):
        return [value]
    if not isinstance(value, str):
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return [Unresolved("policy JSON")]
    st = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(st, dict):
        return [st]
    return list(st) if isinstance(st, list) else []


@dataclass(frozen=True, slots=True)
class _Doc:
    document: dict[str, Any] | None
    file: Path
    span: tuple[int, int] | None
    embed: str
    not_editable: str | None


def _where(module: Module, path: Path, offset: int) -> str:
    f = module.files.get(path)
    line = f.line(offset) if f is not None else 0
    return f"{path.name}:{line}"


def locate_document(
    e: Expr, path: Path, module: Module, r: Resolver, depth: int = 0
) -> _Doc:
    """Where the policy value `e` (in `path`) is written, and its resolved document."""
    where = _where(module, path, e.start)
    why: str | None
    if e.kind == "call" and e.name == "jsonencode" and len(e.items) == 1:
        arg = e.items[0]
        doc = r.value(arg)
        if arg.kind != "object":
            why = f"jsonencode({_short(arg)}) at {where} builds the document from an expression"
            return _Doc(_dict(doc), path, None, "terraform-jsonencode", why)
        st = arg.member("Statement")
        why = None
        if st is not None and st.value.kind not in ("tuple", "object"):
            why = (
                f"the Statement list at {where} is computed ({_short(st.value)}): "
                "statements generated with for/concat/variables cannot be edited safely"
            )
        elif st is not None and st.value.kind == "tuple":
            for item in st.value.items:
                if item.kind != "object":
                    why = (
                        f"a statement at {_where(module, path, item.start)} is computed "
                        f"({_short(item)})"
                    )
                    break
        return _Doc(_dict(doc), path, (arg.start, arg.end), "terraform-jsonencode", why)
    if e.kind == "heredoc":
        body = r.interpolate(str(e.value))
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        why = None
        if doc is None:
            why = f"the heredoc at {where} is not JSON (or uses template directives)"
        if e.trim:
            why = why or None
        return _Doc(_dict(doc), path, e.body, "terraform-heredoc", why)
    if e.kind == "ref" and depth < 4:
        ref = str(e.value)
        m = re.fullmatch(
            r"data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?"
            r"\.(?:minified_)?json",
            ref,
        )
        if m:
            found = module.data("aws_iam_policy_document", m.group(1))
            if found is None:
                return _Doc(
                    None,
                    path,
                    None,
                    "terraform-data",
                    f"{ref} is not declared in this module",
                )
            dpath, block = found
            doc = policy_document(block, r)
            why = None
            dyn = dynamic_statements(block)
            if dyn is not None:
                why = (
                    f'statements of {ref} are generated by dynamic "statement" at '
                    f"{_where(module, dpath, dyn.start)} (for_each over statements)"
                )
            elif (block.attr("for_each") or block.attr("count")) and _per_instance(
                module, dpath, block
            ):
                why = f"{ref} has for_each/count: one document per instance"
            return _Doc(
                _dict(evaluable(doc)),
                dpath,
                (block.start, block.end),
                "terraform-data",
                why,
            )
        m = re.fullmatch(r"local\.([A-Za-z0-9_-]+)", ref)
        if m:
            found_local = module.local(m.group(1))
            if found_local is not None:
                lpath, attr = found_local
                return locate_document(attr.value, lpath, module, r, depth + 1)
    if e.kind == "call" and e.name in ("file", "templatefile") and e.items:
        target = _file_target(e.items[0], module.directory, r)
        if target is not None and not within(target, project_root(module.directory)):
            # Outside the project: the workspace reports it; its content is not read.
            return _Doc(
                None,
                target,
                None,
                "json",
                f"{e.name}() at {where} names a file outside the project",
            )
        if target is None:
            return _Doc(
                None, path, None, "json", f"{e.name}() at {where} names a computed path"
            )
        text = _read_json_text(target)
        doc = None
        if text is not None:
            if e.name == "templatefile" and len(e.items) > 1:
                vars_ = r.value(e.items[1])
                if isinstance(vars_, dict):
                    text = _template(text, vars_)
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
        why = (
            None
            if doc is not None
            else f"{target.name} (from {e.name}() at {where}) is not a JSON policy"
        )
        if e.name == "templatefile" and text is not None and "%{" in text:
            why = f"{target.name} uses template directives"
        embed = "terraform-template" if e.name == "templatefile" else "json"
        return _Doc(_dict(doc), target, None, embed, why)
    return _Doc(
        None,
        path,
        None,
        "terraform-expression",
        f"the policy at {where} is the expression {_short(e)}, known only when Terraform plans",
    )


def _template(text: str, vars_: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        v = vars_.get(m.group(1).strip())
        if isinstance(v, str):
            return json.dumps(v)[1:-1]
        return m.group(0)

    return re.sub(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", sub, text)


def _read_json_text(path: Path) -> str | None:
    # Bounded and FIFO/device-safe (issue 18).
    return safeio.read_text_or_none(path, 2 * 1024 * 1024, errors="strict")


def _file_target(e: Expr, directory: Path, r: Resolver) -> Path | None:
    if e.kind == "string":
        rel = str(e.value)
    elif e.kind == "template":
        parts = []
        for p in e.items:
            if p.kind == "string":
                parts.append(str(p.value))
            elif p.kind == "ref" and str(p.value) in (
                "path.module",
                "path.root",
                "path.cwd",
            ):
                parts.append(".")
            else:
                v = r.value(p)
                if not isinstance(v, str):
                    return None
                parts.append(v)
        rel = "".join(parts)
    else:
        return None
    return (directory / rel).resolve()


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _short(e: Expr) -> str:
    if e.kind == "ref":
        return str(e.value)
    if e.kind == "call":
        return f"{e.name}(...)"
    if e.kind == "for":
        return "a for expression"
    return e.kind


def _name_pattern(value: Any) -> tuple[str, bool]:
    """A principal/resource name pattern from a resolved value (guess when computed)."""
    if isinstance(value, str) and "UNRESOLVED(" not in value:
        return value, False
    return "*", True


class _Owners:
    """Principal and resource ARNs of a module instance."""

    def __init__(self, module: Module, r: Resolver) -> None:
        self.module = module
        self.r = r

    def arn_of(self, rtype: str, block: Block) -> tuple[str, bool]:
        address = f"{rtype}.{block.labels[1]}"
        st = self.r.state.values.get(self.r.prefix + address)
        if st is not None and isinstance(st.get("arn"), str):
            return st["arn"], False
        arn = self.r.derived_arn(rtype, block)
        if arn is None:
            if rtype in ("aws_iam_role", "aws_iam_user") and block.attr("name") is None:
                what = rtype.rsplit("_", 1)[1]
                prefix = "terraform-" if block.attr("name_prefix") is None else ""
                return f"arn:*:iam::*:{what}/{prefix}*", True
            tpl = ARN_TEMPLATES.get(rtype)
            if tpl is None:
                return "*", True
            # The name is computed: the Terraform label is the best guess at it.
            label = re.sub(r"[^A-Za-z0-9+=,.@_-]", "", block.labels[1])
            return tpl[0].format(
                f"*{label}*", partition="*", region="*", account="*", path=""
            ), True
        return arn, "UNRESOLVED(" in arn or self._loose(arn)

    @staticmethod
    def _loose(arn: str) -> bool:
        name = arn.split(":", 5)[-1]
        return "*" in name.removesuffix("-??????")

    def principal(self, e: Expr | None, what: str) -> tuple[str, bool] | None:
        """The ARN of a role/user named by `e` (a reference or a literal name/ARN)."""
        if e is None:
            return None
        target = self._referenced(e, f"aws_iam_{what}")
        if target is not None:
            return self.arn_of(f"aws_iam_{what}", target)
        v = self.r.value(e)
        name, guess = _name_pattern(v)
        if name == "*" and e.kind == "template":
            pattern = self.r.name_pattern(e)
            if pattern:
                name = pattern
        if name == "*":
            # Nothing is known of the name: binding it to every principal would
            # mislead routing, so this owner is not bound at all.
            return None
        if name.startswith("arn:"):
            return name, guess
        return f"arn:*:iam::*:{what}/{name}", guess

    def resource(self, e: Expr | None, rtype: str) -> tuple[str, bool] | None:
        if e is None:
            return None
        target = self._referenced(e, rtype)
        if target is not None:
            return self.arn_of(rtype, target)
        v = self.r.value(e)
        name, guess = _name_pattern(v)
        if name.startswith("arn:"):
            return name, guess
        if rtype == "aws_s3_bucket":
            return f"arn:aws:s3:::{name}", guess
        if rtype == "aws_sqs_queue":
            return f"arn:aws:sqs:*:*:{name.rstrip('/').rsplit('/', 1)[-1]}", guess
        if rtype == "aws_ecr_repository":
            return f"arn:aws:ecr:*:*:repository/{name}", guess
        if rtype == "aws_kms_key":
            return f"arn:aws:kms:*:*:key/{name}", guess
        return name, True

    def _referenced(self, e: Expr, rtype: str) -> Block | None:
        ref = e.value if e.kind == "ref" else None
        if e.kind == "template" and len(e.items) == 1 and e.items[0].kind == "ref":
            ref = e.items[0].value
        m = _REF.match(str(ref)) if ref else None
        if m and m.group(1) == rtype:
            found = self.module.resource(rtype, m.group(2))
            return found[1] if found else None
        return None

    def policies_attached(self, policy_address: str) -> list[tuple[str, bool, str]]:
        """(principal ARN, guess, how) of every attachment of `aws_iam_policy.X`."""
        out: list[tuple[str, bool, str]] = []

        def names(e: Expr | None) -> bool:
            if e is None:
                return False
            texts = [e.value] if e.kind == "ref" else []
            if e.kind == "template":
                texts = [p.value for p in e.items if p.kind == "ref"]
            if e.kind == "tuple":
                texts = [i.value for i in e.items if i.kind == "ref"]
            return any(
                isinstance(t, str)
                and re.sub(r"\[[^\]]*\]", "", t) == f"{policy_address}.arn"
                for t in texts
            )

        for _path, b in self.module.blocks("resource"):
            rtype = b.labels[0] if b.labels else ""
            addr = ".".join(b.labels[:2])
            if rtype in (
                "aws_iam_role_policy_attachment",
                "aws_iam_user_policy_attachment",
            ):
                if not names(b.value("policy_arn")):
                    continue
                what = "user" if "user" in rtype else "role"
                p = self.principal(b.value(what), what)
                if p:
                    out.append((p[0], p[1], f"attached by {addr}"))
            elif rtype == "aws_iam_group_policy_attachment":
                if names(b.value("policy_arn")):
                    for arn, guess in self.group_members(b.value("group")):
                        out.append((arn, guess, f"attached to a group of it by {addr}"))
            elif rtype == "aws_iam_policy_attachment":
                if not names(b.value("policy_arn")):
                    continue
                for what in ("roles", "users", "groups"):
                    a = b.attr(what)
                    if a is None:
                        continue
                    items = a.value.items if a.value.kind == "tuple" else (a.value,)
                    for it in items:
                        if what == "groups":
                            for arn, guess in self.group_members(it):
                                out.append(
                                    (arn, guess, f"attached to a group by {addr}")
                                )
                            continue
                        p = self.principal(it, what[:-1])
                        if p:
                            out.append((p[0], p[1], f"attached by {addr}"))
            elif rtype == "aws_iam_role":
                a = b.attr("managed_policy_arns")
                if a is not None and names(a.value):
                    arn, guess = self.arn_of("aws_iam_role", b)
                    out.append((arn, guess, f"in managed_policy_arns of {addr}"))
            elif rtype == "aws_iam_role_policy_attachments_exclusive":
                a = b.attr("policy_arns")
                if a is not None and names(a.value):
                    p = self.principal(
                        b.value("role_name"),
                        "role",
                    )
                    if p:
                        out.append((p[0], p[1], f"attached by {addr}"))
        return out

    def _group_name(self, e: Expr | None) -> str | None:
        if e is None:
            return None
        target = self._referenced(e, "aws_iam_group")
        if target is not None:
            return self.r.arg_string(target, "name")
        v = self.r.value(e)
        return v if isinstance(v, str) else None

    def group_members(self, group: Expr | None) -> list[tuple[str, bool]]:
        """Users of a group (aws_iam_group_membership, aws_iam_user_group_membership)."""
        name = self._group_name(group)
        if name is None:
            return []
        out: list[tuple[str, bool]] = []
        for _path, b in self.module.blocks("resource"):
            rtype = b.labels[0] if b.labels else ""
            if rtype == "aws_iam_group_membership":
                if self._group_name(b.value("group")) != name:
                    continue
                users = b.value("users")
                for it in (
                    users.items if users is not None and users.kind == "tuple" else ()
                ):
                    p = self.principal(it, "user")
                    if p:
                        out.append(p)
            elif rtype == "aws_iam_user_group_membership":
                groups = b.value("groups")
                items = (
                    groups.items
                    if groups is not None and groups.kind == "tuple"
                    else ()
                )
                if any(self._group_name(g) == name for g in items):
                    p = self.principal(b.value("user"), "user")
                    if p:
                        out.append(p)
        return out


def _instances(
    directory: Path, overrides: Mapping[Path, str] | None = None
) -> list[tuple[Resolver, str]]:
    """One resolver per way the module is used: each call site, else the module itself."""
    module = load_module(directory, overrides)
    out: list[tuple[Resolver, str]] = []
    for site in call_sites(directory):
        caller = Resolver(site.caller, state=load_state(site.caller.directory))
        variables = {}
        for a in site.block.attributes:
            if a.name in (
                "source",
                "version",
                "providers",
                "count",
                "for_each",
                "depends_on",
            ):
                continue
            variables[a.name] = caller.value(a.value)
        out.append(
            (
                Resolver(
                    module,
                    variables,
                    state=caller.state,
                    address_prefix=f"module.{site.name}.",
                ),
                f" (module {site.name} called from {site.path.name})",
            )
        )
    if not out:
        out.append((Resolver(module, state=load_state(directory)), ""))
    return out


def references_of(module: Module, r: Resolver) -> tuple[tuple[str, str, str], ...]:
    """(literal ARN pattern, address, attribute) of every resource with a known ARN."""
    out = []
    for _path, b in module.blocks("resource"):
        if len(b.labels) < 2 or b.labels[0] not in ARN_TEMPLATES:
            continue
        if b.attr("count") or b.attr("for_each"):
            continue
        address = ".".join(b.labels[:2])
        st = r.state.values.get(r.prefix + address)
        arn = st.get("arn") if st else None
        if not isinstance(arn, str):
            arn = r.derived_arn(b.labels[0], b)
        if (
            isinstance(arn, str)
            and "UNRESOLVED(" not in arn
            and arn.split(":", 5)[-1] not in ("*", "")
        ):
            out.append((arn, address, "arn"))
    return tuple(out)


def locate_module(
    path: Path, overrides: Mapping[Path, str] | None = None
) -> list[Located]:
    """Every policy document of the module holding `path` whose text lives in `path`.

    file() targets are reported by the file holding the `file()` call.
    """
    directory = path.parent
    module = load_module(directory, overrides)
    if path not in module.files:
        return []
    key = None
    if not overrides:
        # Every file of a module shares one location pass (keyed by the parsed module).
        key = (
            id(module),
            tuple((str(cs.path), cs.block.start) for cs in call_sites(directory)),
        )
        hit = _LOCATED.get(key)
        if hit is not None and hit[0] is module:
            return [
                loc
                for loc in hit[1]
                if loc.file == path
                or (
                    loc.embed in ("json", "terraform-template")
                    and loc.owner_file == path
                )
            ]
    everything = _locate_all(directory, module, overrides)
    if key is not None:
        if len(_LOCATED) > 256:
            _LOCATED.clear()
        _LOCATED[key] = (module, everything)
    return [
        loc
        for loc in everything
        if loc.file == path
        or (loc.embed in ("json", "terraform-template") and loc.owner_file == path)
    ]


_LOCATED: dict[Any, tuple[Module, list[Located]]] = {}


def _locate_all(
    directory: Path, module: Module, overrides: Mapping[Path, str] | None
) -> list[Located]:
    out: list[Located] = []
    for r, via in _instances(directory, overrides):
        owners = _Owners(module, r)
        refs = references_of(module, r)
        for opath, block in module.blocks("resource"):
            if len(block.labels) < 2:
                continue
            for item in _policies_of(block, owners, module, opath):
                kind, targets, attr_name, e, why, guess = item
                doc = locate_document(e, opath, module, r)
                not_editable = doc.not_editable
                if (block.attr("for_each") or block.attr("count")) and _per_instance(
                    module, opath, block
                ):
                    not_editable = not_editable or (
                        f"{block.address} uses for_each/count: one document per instance"
                    )
                f = module.files[opath]
                out.append(
                    Located(
                        kind=kind,
                        targets=tuple(targets),
                        address=block.address,
                        attribute=attr_name,
                        document=_dict(evaluable(doc.document))
                        if doc.document
                        else None,
                        file=doc.file,
                        span=doc.span,
                        embed=doc.embed,
                        reason=f"{why} in {opath.name}:{f.line(block.start)}{via}",
                        not_editable=not_editable,
                        guess=guess or kind == "kms",
                        references=refs,
                        owner_file=opath,
                        owner_line=f.line(block.start),
                    )
                )
            # Managed policies attached by ARN (AWS managed: evaluated; others linked).
            for extra in attached_policies(block, owners, module, r, opath):
                extra["reason"] += via
                out.append(
                    Located(
                        **extra,
                        file=opath,
                        references=refs,
                        owner_file=opath,
                        owner_line=module.files[opath].line(block.start),
                    )
                )
    return out


def _policies_of(
    block: Block, owners: _Owners, module: Module, path: Path
) -> Iterator[tuple[str, list[str], str, Expr, str, bool]]:
    rtype, name = block.labels[0], block.labels[1]
    address = f"{rtype}.{name}"
    if rtype == "aws_iam_role":
        arn, guess = owners.arn_of(rtype, block)
        a = block.attr("assume_role_policy")
        if a is not None:
            yield (
                "trust",
                [arn],
                "assume_role_policy",
                a.value,
                f"assume_role_policy of {address}",
                guess,
            )
        for ib in block.children("inline_policy"):
            p = ib.attr("policy")
            if p is not None:
                yield (
                    "identity",
                    [arn],
                    "inline_policy.policy",
                    p.value,
                    f"inline_policy of {address}",
                    guess,
                )
        return
    if rtype == "aws_iam_group_policy":
        p = block.attr("policy")
        members = owners.group_members(block.value("group"))
        if p is not None and members:
            yield (
                "identity",
                [m[0] for m in members],
                "policy",
                p.value,
                f"{address} (group policy of {len(members)} user(s))",
                any(m[1] for m in members),
            )
        return
    if rtype in ("aws_iam_role_policy", "aws_iam_user_policy"):
        what = "role" if rtype == "aws_iam_role_policy" else "user"
        owner = owners.principal(block.value(what), what)
        p = block.attr("policy")
        if owner and p is not None:
            yield (
                "identity",
                [owner[0]],
                "policy",
                p.value,
                f"{address} ({what} {owner[0].rsplit('/', 1)[-1]})",
                owner[1],
            )
        return
    if rtype == "aws_iam_policy":
        p = block.attr("policy")
        if p is None:
            return
        attached = owners.policies_attached(address)
        boundary_of = []
        for _pp, rb in module.blocks("resource"):
            if rb.labels[:1] == ("aws_iam_role",):
                pb = rb.attr("permissions_boundary")
                if (
                    pb is not None
                    and pb.value.kind == "ref"
                    and str(pb.value.value) == f"{address}.arn"
                ):
                    boundary_of.append(owners.arn_of("aws_iam_role", rb))
        if attached:
            yield (
                "identity",
                [a[0] for a in attached],
                "policy",
                p.value,
                f"{address} ({'; '.join(sorted({a[2] for a in attached}))})",
                any(a[1] for a in attached),
            )
        if boundary_of:
            yield (
                "boundary",
                [b[0] for b in boundary_of],
                "policy",
                p.value,
                f"{address} (permissions boundary)",
                any(b[1] for b in boundary_of),
            )
        # Found by ARN from other modules and templates (workspace/attachments.py).
        parn, pguess = owners.arn_of(rtype, block)
        if parn != "*":
            yield ("managed", [parn], "policy", p.value, f"{address}", pguess)
        return
    if rtype in RESOURCE_POLICIES:
        arg, target_type = RESOURCE_POLICIES[rtype]
        found = owners.resource(block.value(arg), target_type)
        p = block.attr("policy")
        if found is None or p is None:
            return
        arn, guess = found
        targets = [arn, f"{arn}/*"] if target_type == "aws_s3_bucket" else [arn]
        kind = "kms" if target_type == "aws_kms_key" else "resource"
        yield kind, targets, "policy", p.value, f"{address}", guess
        return
    if rtype in SELF_POLICIES:
        p = block.attr("policy")
        if p is None:
            return
        arn, guess = owners.arn_of(rtype, block)
        targets = [arn, f"{arn}/*"] if rtype == "aws_s3_bucket" else [arn]
        kind = "kms" if rtype == "aws_kms_key" else "resource"
        yield kind, targets, "policy", p.value, f"policy of {address}", guess
