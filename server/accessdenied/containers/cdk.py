"""CDK apps (TypeScript and Python): the synthesised role, edited at its source construct.

`cdk.json` marks an app. Its synthesised templates (`cdk.out/manifest.json` ->
`*.template.json`, read only: cdk.out is never edited) say which roles exist, their
policies (resolved by the CloudFormation container) and, through `aws:cdk:path`
metadata, which construct owns each role. The fix is written in the app's source right
after the statement that creates that construct:
`fn.addToRolePolicy(new iam.PolicyStatement({...}))` for a Function's service role,
`role.addToPolicy(...)` for a Role (`add_to_role_policy` / `add_to_policy` in Python).
Where the source is too dynamic (no variable, computed construct ids, several matches)
the binding is explained: file:line and the exact statement to add.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.containers.base import (
    Binding,
    EditError,
    Grant,
    NotEditable,
    Plan,
    Site,
    TextEdit,
    register,
    register_locator,
)

logger = logging.getLogger(__name__)

EMBEDS = ("cdk-typescript", "cdk-python")
_MAX = 4 * 1024 * 1024
_SKIP_DIRS = {"node_modules", "cdk.out", ".git", ".venv", "venv", "__pycache__", "dist"}

#: Documents of located roles, by binding logical id (the planner has only the text).
_DOCS: dict[str, Mapping[str, Any]] = {}


def _read(path: Path) -> str | None:
    # Bounded and FIFO/device-safe (issue 18).
    return safeio.read_text_or_none(path, _MAX, errors="strict")


def _language(app_dir: Path, cdk_json: Mapping[str, Any]) -> str:
    app = str(cdk_json.get("app") or "")
    if re.search(r"\bpython3?\b|\.py\b", app):
        return "python"
    if re.search(r"\.ts\b|ts-node|tsx", app):
        return "typescript"
    return "python" if (app_dir / "app.py").exists() else "typescript"


def _sources(app_dir: Path, language: str) -> list[Path]:
    ext = ".py" if language == "python" else ".ts"
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
        )
        for n in sorted(filenames):
            if n.endswith(ext) and not n.endswith(".d.ts"):
                out.append(Path(dirpath) / n)
        if len(out) > 500:
            break
    return out


@dataclass(frozen=True, slots=True)
class Construct:
    """Where a construct is created in the source."""

    file: Path
    start: int  # offset of the statement creating it
    end: int  # offset just past that statement
    variable: str | None  # the name it is assigned to (None: not assigned)
    line: int


def _stmt_end(text: str, open_paren: int) -> int:
    """Offset past the statement whose call's `(` is at `open_paren`."""
    depth = 0
    i = open_paren
    n = len(text)
    quote = ""
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                j = i + 1
                while j < n and text[j] in " \t":
                    j += 1
                if j < n and text[j] == ";":
                    j += 1
                return j
        i += 1
    return n


def find_construct(
    sources: Sequence[Path], construct_id: str, language: str
) -> list[Construct] | str:
    """Where `construct_id` is created (a list) or why it cannot be found (a str)."""
    found: list[Construct] = []
    scope = r"(?:this|self|scope|stack)"
    rx = re.compile(
        r"\(\s*" + scope + r"\s*,\s*(['\"])" + re.escape(construct_id) + r"\1", re.M
    )
    for path in sources:
        text = _read(path)
        if text is None or construct_id not in text:
            continue
        for m in rx.finditer(text):
            open_paren = m.start()
            line_start = text.rfind("\n", 0, open_paren) + 1
            head = text[line_start:open_paren]
            if language == "typescript":
                vm = re.match(
                    r"\s*(?:(?:export\s+)?(?:const|let|var)\s+(\w+)|(this\.\w+))"
                    r"(?:\s*:\s*[\w.<>]+)?\s*=\s*new\s+[\w.]+\s*$",
                    head,
                )
            else:
                vm = re.match(
                    r"\s*(?:(self\.\w+)|(\w+))\s*(?::\s*[\w.]+)?\s*=\s*[\w.]+\s*$", head
                )
            variable = None
            if vm:
                variable = next((g for g in vm.groups() if g), None)
            end = _stmt_end(text, open_paren)
            found.append(
                Construct(
                    path,
                    line_start,
                    end,
                    variable,
                    text.count("\n", 0, open_paren) + 1,
                )
            )
    if not found:
        return f"no construct with the literal id {construct_id!r} in the app's sources"
    return found


#: CloudFormation type -> the construct property holding its ARN (TypeScript name).
ARN_PROPERTY = {
    "AWS::DynamoDB::Table": "tableArn",
    "AWS::S3::Bucket": "bucketArn",
    "AWS::SQS::Queue": "queueArn",
    "AWS::SNS::Topic": "topicArn",
    "AWS::Lambda::Function": "functionArn",
    "AWS::SecretsManager::Secret": "secretArn",
    "AWS::KMS::Key": "keyArn",
    "AWS::Kinesis::Stream": "streamArn",
    "AWS::StepFunctions::StateMachine": "stateMachineArn",
    "AWS::Logs::LogGroup": "logGroupArn",
    "AWS::ECR::Repository": "repositoryArn",
    "AWS::IAM::Role": "roleArn",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _wild(pattern: str, value: str) -> bool:
    rx = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.fullmatch(rx, value, re.DOTALL) is not None


def resource_expr(
    language: str, refs: Sequence[Mapping[str, str]], value: str, quote: str
) -> str | None:
    """`table.tableArn`, `bucket.arnForObjects('k')`, ... for a literal ARN (or None)."""
    for r in refs:
        lit, var, prop, rtype = r["literal"], r["variable"], r["property"], r["type"]
        attr = prop if language == "typescript" else _snake(prop)
        if value == lit or ("*" in lit and _wild(lit, value)):
            return f"{var}.{attr}"
        if rtype == "AWS::S3::Bucket" and value.startswith(lit + "/"):
            key = value[len(lit) + 1 :]
            method = "arnForObjects" if language == "typescript" else "arn_for_objects"
            return f"{var}.{method}({quote}{key}{quote})"
        for i, ch in enumerate(value):
            if ch == "/" and (
                ("*" in lit and _wild(lit, value[:i])) or value[:i] == lit
            ):
                rest = value[i:]
                if language == "typescript":
                    return f"`${{{var}.{attr}}}{rest}`"
                return f'f"{{{var}.{attr}}}{rest}"'
    return None


#: Role construct ids that constructs create for themselves -> the owner's method.
ROLE_CHILDREN = {
    "ServiceRole": "addToRolePolicy",  # lambda.Function, and most service constructs
    "Role": "addToRolePolicy",  # codebuild.Project, sfn.StateMachine, ...
    "TaskRole": "addToTaskRolePolicy",  # ecs.TaskDefinition
    "ExecutionRole": "addToExecutionRolePolicy",  # ecs.TaskDefinition
}


def _cdk_path(res: Mapping[str, Any]) -> str | None:
    meta = res.get("Metadata")
    if isinstance(meta, dict) and isinstance(meta.get("aws:cdk:path"), str):
        return str(meta["aws:cdk:path"])
    return None


def _templates(app_dir: Path) -> list[Path]:
    out_dir = app_dir / "cdk.out"
    manifest = _read(out_dir / "manifest.json")
    names: list[str] = []
    if manifest:
        try:
            data = json.loads(manifest)
            for art in (data.get("artifacts") or {}).values():
                if (
                    isinstance(art, dict)
                    and art.get("type") == "aws:cloudformation:stack"
                ):
                    tf = (art.get("properties") or {}).get("templateFile")
                    if isinstance(tf, str):
                        names.append(tf)
        except ValueError:
            names = []
    if not names:
        try:
            names = sorted(
                n for n in os.listdir(out_dir) if n.endswith(".template.json")
            )
        except OSError:
            return []
    return [out_dir / n for n in names if "/" not in n and ".." not in n]


def statement_for(grant: Grant) -> dict[str, Any]:
    """The IAM statement a grant adds (literal values)."""
    from accessdenied.fixes.synthesize import build_statement, make_sid

    return build_statement(
        grant.kind,
        list(grant.actions),
        grant.resource,
        grant.principal,
        make_sid(grant.actions, set()),
    )


def render(
    language: str,
    var: str,
    method: str,
    iam: str,
    grant: Grant,
    indent: str,
    quote: str,
    resource: str | None = None,
) -> str:
    """The source line(s) adding `grant` to the construct's policy."""
    acts = ", ".join(f"{quote}{a}{quote}" for a in grant.actions)
    res = resource or f"{quote}{grant.resource}{quote}"
    if language == "typescript":
        ctor = (
            f"new {iam}PolicyStatement"
            if iam.endswith(".") or not iam
            else f"new {iam}"
        )
        return (
            f"{indent}{var}.{method}({ctor}({{\n"
            f"{indent}  actions: [{acts}],\n"
            f"{indent}  resources: [{res}],\n"
            f"{indent}}}));\n"
        )
    ctor = f"{iam}PolicyStatement" if iam.endswith(".") or not iam else iam
    return (
        f"{indent}{var}.{method}(\n"
        f"{indent}    {ctor}(\n"
        f"{indent}        actions=[{acts}],\n"
        f"{indent}        resources=[{res}],\n"
        f"{indent}    )\n"
        f"{indent})\n"
    )


def _iam_alias(text: str, language: str) -> tuple[str, TextEdit | None]:
    """The prefix to write before PolicyStatement, and an import edit when none exists."""
    if language == "typescript":
        m = re.search(
            r"import\s+\*\s+as\s+(\w+)\s+from\s+['\"]aws-cdk-lib/aws-iam['\"]", text
        )
        if m:
            return m.group(1) + ".", None
        m = re.search(
            r"import\s*\{[^}]*\baws_iam\s+as\s+(\w+)[^}]*\}\s*from\s*['\"]aws-cdk-lib['\"]",
            text,
        )
        if m:
            return m.group(1) + ".", None
        m = re.search(
            r"import\s*\{[^}]*\bPolicyStatement\b[^}]*\}\s*from\s*['\"]aws-cdk-lib/aws-iam['\"]",
            text,
        )
        if m:
            return "", None
        line = "import * as iam from 'aws-cdk-lib/aws-iam';\n"
    else:
        m = re.search(
            r"^from\s+aws_cdk\s+import\s+[^\n]*\baws_iam\s+as\s+(\w+)", text, re.M
        )
        if m:
            return m.group(1) + ".", None
        m = re.search(r"^import\s+aws_cdk\.aws_iam\s+as\s+(\w+)", text, re.M)
        if m:
            return m.group(1) + ".", None
        m = re.search(
            r"^from\s+aws_cdk\.aws_iam\s+import\s+[^\n]*\bPolicyStatement\b", text, re.M
        )
        if m:
            return "", None
        line = "from aws_cdk import aws_iam as iam\n"
    last = None
    for im in re.finditer(r"^(?:import|from)\s[^\n]*\n", text, re.M):
        last = im
    at = last.end() if last else 0
    return "iam.", TextEdit(at, at, line)


class CdkContainer:
    """Adds a statement next to the construct that owns a synthesised role."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """The source edit, and the role's documents before/after as evaluated."""
        language = "python" if site.embed == "cdk-python" else "typescript"
        if site.span is None:
            raise EditError("no construct location for a CDK role")
        if grant.kind != "identity":
            raise NotEditable(
                "CDK resource, key and trust policies are edited where the resource is "
                "defined; add this statement there: " + json.dumps(statement_for(grant))
            )
        info = _DOCS.get(site.logical or "")
        if info is None:
            raise NotEditable("the synthesised role was not located (run cdk synth)")
        var = str(info["variable"])
        method = str(info["method"])
        if language == "python":
            method = re.sub(r"(?<!^)([A-Z])", r"_\1", method).lower()
        start, end = site.span
        stmt_text = str(info.get("statement") or "")
        if stmt_text and text[start:end] != stmt_text and text.count(stmt_text) == 1:
            # Earlier edits (an added import) moved it: the same statement, found again.
            start = text.index(stmt_text)
            end = start + len(stmt_text)
        if end > len(text) or (stmt_text and text[start:end] != stmt_text):
            # An unsaved buffer or an edit since indexing: the offsets no longer point at
            # the construct, so nothing is planned rather than something misplaced.
            raise EditError(
                "the construct's source changed since the workspace was indexed; "
                "save the file (or re-run) and try again"
            )
        line_start = start
        indent = re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]
        quote = (
            "'"
            if text.count("'") >= text.count('"') and language == "typescript"
            else '"'
        )
        iam, import_edit = _iam_alias(text, language)
        at = end
        nl = text.find("\n", end)
        at = len(text) if nl == -1 else nl + 1
        in_scope = [
            r
            for r in info.get("refs", ())
            if r["file"] == info["file"] and int(r["start"]) < at
        ]
        expr = resource_expr(language, in_scope, grant.resource, quote)
        body = render(language, var, method, iam, grant, indent, quote, expr)
        if nl == -1:
            body = "\n" + body
        edits = [TextEdit(at, at, body)]
        if import_edit is not None:
            edits.insert(0, import_edit)
        before = dict(info["document"])
        stmt = statement_for(grant)
        after = json.loads(json.dumps(before))
        st = after.get("Statement")
        after["Statement"] = ([st] if isinstance(st, dict) else list(st or [])) + [stmt]
        how = f"{var}.{method}(...) added after the construct at line {text.count(chr(10), 0, start) + 1}"
        if expr:
            how += f"; {grant.resource} written as {expr}"
        return Plan(
            tuple(edits),
            "insert-statement",
            stmt,
            how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )


def cdk_bindings(path: Path, text: str) -> list[Binding]:
    """Bindings of a CDK app (`cdk.json`): each synthesised role at its source construct."""
    if path.name != "cdk.json":
        return []
    try:
        cdk_json = json.loads(text)
    except ValueError:
        return []
    if not isinstance(cdk_json, dict):
        return []
    app_dir = path.parent.resolve()
    language = _language(app_dir, cdk_json)
    sources = _sources(app_dir, language)
    embed = f"cdk-{language}"
    from accessdenied.containers.cloudformation import cloudformation_bindings

    out: list[Binding] = []
    for tpl in _templates(app_dir):
        ttext = _read(tpl)
        if ttext is None:
            continue
        try:
            template = json.loads(ttext)
        except ValueError:
            continue
        resources = template.get("Resources") if isinstance(template, dict) else None
        if not isinstance(resources, dict):
            continue
        cfn = cloudformation_bindings(tpl, ttext)
        refs: list[dict[str, str]] = []
        for ref in cfn[0].references if cfn else ():
            rres = resources.get(ref.logical) or {}
            prop = ARN_PROPERTY.get(str(rres.get("Type")))
            rpath = _cdk_path(rres)
            if prop is None or rpath is None or ref.attribute != "Arn":
                continue
            rparts = rpath.split("/")
            rid = (
                rparts[-2]
                if rparts[-1] == "Resource" and len(rparts) > 1
                else rparts[-1]
            )
            rfound = find_construct(sources, rid, language)
            if isinstance(rfound, list) and len(rfound) == 1 and rfound[0].variable:
                refs.append(
                    {
                        "literal": ref.literal,
                        "variable": rfound[0].variable,
                        "property": prop,
                        "type": str(rres.get("Type")),
                        "file": str(rfound[0].file),
                        "start": str(rfound[0].start),
                    }
                )
        trust = {b.logical: b for b in cfn if b.kind == "trust"}
        docs: dict[str, list[Binding]] = {}
        for b in cfn:
            if b.kind != "identity":
                continue
            res = resources.get(b.logical) or {}
            roles = (res.get("Properties") or {}).get("Roles") or []
            for r in roles:
                if isinstance(r, dict) and isinstance(r.get("Ref"), str):
                    docs.setdefault(r["Ref"], []).append(b)
        for logical, res in resources.items():
            if not isinstance(res, dict) or res.get("Type") != "AWS::IAM::Role":
                continue
            cdk_path = _cdk_path(res)
            t = trust.get(logical)
            if cdk_path is None or t is None:
                continue
            parts = cdk_path.split("/")
            if parts and parts[-1] == "Resource":
                parts = parts[:-1]
            owner_id, method = parts[-1], "addToPolicy"
            child = ROLE_CHILDREN.get(parts[-1]) if len(parts) >= 3 else None
            if child is not None and (
                parts[-1] != "Role"
                or isinstance(find_construct(sources, parts[-2], language), list)
            ):
                # A construct's own role (Function ServiceRole, TaskDefinition TaskRole,
                # Project Role, ...): the fix goes through the owning construct.
                owner_id, method = parts[-2], child
            stmts: list[Any] = []
            for b in docs.get(logical, []):
                st = (b.document or {}).get("Statement")
                stmts += [st] if isinstance(st, dict) else list(st or [])
            document = {"Version": "2012-10-17", "Statement": stmts}
            key = f"{tpl.name}:{cdk_path}"
            found = find_construct(sources, owner_id, language)
            not_editable = None
            span = None
            file = path
            if isinstance(found, str):
                not_editable = f"{found} (role {cdk_path})"
            elif len(found) > 1:
                where = ", ".join(f"{c.file.name}:{c.line}" for c in found[:4])
                not_editable = (
                    f"construct id {owner_id!r} is created in several places ({where})"
                )
                file = found[0].file
            elif found[0].variable is None:
                c = found[0]
                file = c.file
                not_editable = (
                    f"{c.file.name}:{c.line} creates {owner_id!r} without keeping it in a "
                    f"variable: assign it and call .{method}(new iam.PolicyStatement(...))"
                )
            else:
                c = found[0]
                file, span = c.file, (c.start, c.end)
                _DOCS[key] = {
                    "document": document,
                    "variable": c.variable,
                    "method": method,
                    "refs": refs,
                    "file": str(c.file),
                    "statement": (_read(c.file) or "")[c.start : c.end],
                }
            out.append(
                Binding(
                    kind="identity",
                    target=t.target,
                    logical=key,
                    document=document,
                    span=span,
                    file=file,
                    origin="cdk",
                    embed=embed,
                    confidence=t.confidence,
                    reason=f"role {cdk_path} synthesised in cdk.out/{tpl.name}, owned by "
                    f"construct {owner_id!r} ({language} source)",
                    not_editable=not_editable,
                )
            )
    return out


def _locator(path: Path, text: str) -> Iterator[Binding]:
    yield from cdk_bindings(path, text)


register(EMBEDS, CdkContainer())
register_locator("cdk", _locator)
