"""Policies declared in CloudFormation templates and Terraform files.

Extracts `Binding`s: "this document (at this span of this file) is the identity/trust/
resource/KMS policy of that role/user/bucket/queue/topic/key". Intrinsics (`!Ref`,
`!Sub`, `!GetAtt`) are resolved where the value is static; otherwise the name becomes
a wildcard pattern and the binding is labelled a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Span2 = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Binding:
    """One policy document bound to a principal or resource by IaC."""

    kind: str  # identity | trust | resource | kms | boundary
    target: str  # principal or resource ARN pattern (IAM wildcards)
    logical: str  # logical id / terraform address
    document: Mapping[str, Any] | None
    span: Span2 | None  # offsets of the document in `file`
    file: Path  # the file holding the document (a file() reference points elsewhere)
    origin: str  # cloudformation | terraform
    embed: str  # json | cfn-json | cfn-yaml | terraform-heredoc | terraform-jsonencode
    confidence: str  # inferred | guess
    reason: str


# CloudFormation


class _Node:
    __slots__ = ("span", "value")

    def __init__(self, value: Any, span: Span2 | None) -> None:
        self.value = value
        self.span = span


def _yaml_tree(node: yaml.Node) -> Any:
    """Python value of a composed YAML node; dict values keep spans under `__spans__`."""
    tag = node.tag or ""
    if isinstance(node, yaml.ScalarNode):
        value: Any = node.value
    elif isinstance(node, yaml.SequenceNode):
        value = [_yaml_tree(n) for n in node.value]
    else:
        value = {}
        spans: dict[str, Span2] = {}
        for k, v in node.value:
            key = str(k.value)
            value[key] = _yaml_tree(v)
            spans[key] = (v.start_mark.index, v.end_mark.index)
        value["__spans__"] = spans
    if tag.startswith("!"):
        name = tag[1:]
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        fn = "Ref" if name == "Ref" else f"Fn::{name}"
        return {fn: value}
    return value


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "__spans__"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


_INTRINSICS = ("Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::If", "Fn::ImportValue")


def _resolve(value: Any, r: _Resolver) -> Any:
    """Intrinsics replaced by static strings (`*` for what is known only at deploy time)."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _INTRINSICS:
            key = next(iter(value))
            if key == "Fn::Join":
                args = value[key]
                if (
                    isinstance(args, list)
                    and len(args) == 2
                    and isinstance(args[1], list)
                ):
                    parts = [_resolve(v, r) for v in args[1]]
                    if all(isinstance(p, str) for p in parts):
                        return str(args[0]).join(parts)
                return "*"
            return r.string(value) or "*"
        return {k: _resolve(v, r) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, r) for v in value]
    return value


def _load_template(text: str, is_json: bool) -> dict[str, Any] | None:
    try:
        if is_json:
            data = json.loads(text)
            return data if isinstance(data, dict) else None
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (ValueError, yaml.YAMLError):
        return None
    if node is None:
        return None
    tree = _yaml_tree(node)
    return tree if isinstance(tree, dict) else None


def looks_like_cloudformation(text: str) -> bool:
    """Cheap sniff: a template mentions AWSTemplateFormatVersion or AWS:: resource types."""
    return "AWSTemplateFormatVersion" in text or (
        "Resources" in text and re.search(r"AWS::[A-Za-z0-9]+::", text) is not None
    )


class _Resolver:
    def __init__(self, resources: Mapping[str, Any]) -> None:
        self.resources = resources

    def physical(self, logical: str) -> str | None:
        res = self.resources.get(logical)
        if not isinstance(res, dict):
            return None
        props = res.get("Properties") or {}
        for key in (
            "RoleName",
            "UserName",
            "BucketName",
            "QueueName",
            "TopicName",
            "ManagedPolicyName",
            "PolicyName",
        ):
            if key in props:
                return self.string(props[key])
        return None

    def string(self, value: Any) -> str | None:
        """A static string, `*` in place of what is only known at deploy time."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            if "Ref" in value:
                ref = value["Ref"]
                if ref in ("AWS::AccountId", "AWS::Region", "AWS::StackName"):
                    return "*"
                if ref == "AWS::Partition":
                    return "aws"
                return self.physical(str(ref)) or "*"
            if "Fn::Sub" in value:
                sub = value["Fn::Sub"]
                template = sub[0] if isinstance(sub, list) and sub else sub
                if not isinstance(template, str):
                    return None
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: (
                        "aws"
                        if m.group(1) == "AWS::Partition"
                        else (self.physical(m.group(1)) or "*")
                    ),
                    template,
                )
            if "Fn::GetAtt" in value:
                return "*"
        return None

    def refs(self, value: Any) -> list[str]:
        """Logical ids referenced by a Ref/GetAtt list or value."""
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if isinstance(item, dict):
                if "Ref" in item:
                    out.append(str(item["Ref"]))
                elif "Fn::GetAtt" in item:
                    att = item["Fn::GetAtt"]
                    out.append(str(att[0] if isinstance(att, list) else att))
            elif isinstance(item, str):
                out.append("=" + item)  # a literal physical name
        return out


def _role_pattern(logical: str, res: Mapping[str, Any], r: _Resolver, kind: str) -> str:
    props = res.get("Properties") or {}
    path = props.get("Path") if isinstance(props.get("Path"), str) else None
    name = r.physical(logical)
    what = "role" if kind == "AWS::IAM::Role" else "user"
    if name is None:
        # CloudFormation names it <stack>-<LogicalId>-<suffix>.
        name = f"*-{logical}-*"
    prefix = (path or "/").strip("/")
    middle = f"{prefix}/" if prefix else ""
    return f"arn:*:iam::*:{what}/{middle}{name}"


def cloudformation_bindings(path: Path, text: str) -> list[Binding]:
    """Bindings declared in a CloudFormation template (JSON or YAML)."""
    is_json = text.lstrip().startswith("{")
    data = _load_template(text, is_json)
    if not data or not isinstance(data.get("Resources"), dict):
        return []
    resources = data["Resources"]
    r = _Resolver(resources)
    embed = "cfn-json" if is_json else "cfn-yaml"
    spans_of = _json_spans(text) if is_json else None
    out: list[Binding] = []

    def span(logical: str, *keys: Any) -> Span2 | None:
        if spans_of is not None:
            found: Span2 | None = spans_of(("Resources", logical, "Properties", *keys))
            return found
        node: Any = resources.get(logical, {}).get("Properties", {})
        for key in keys[:-1]:
            node = node[key] if isinstance(node, dict | list) else None
            if node is None:
                return None
        if isinstance(node, dict):
            spans = node.get("__spans__")
            if isinstance(spans, dict):
                found = spans.get(keys[-1])
                if isinstance(found, tuple):
                    return (int(found[0]), int(found[1]))
        return None

    def add(
        kind: str, target: str, logical: str, doc: Any, sp: Span2 | None, why: str
    ) -> None:
        guess = kind == "kms" or "*" in target.removesuffix("/*").split(":", 5)[-1]
        out.append(
            Binding(
                kind=kind,
                target=target,
                logical=logical,
                document=_resolve(_strip(doc), r) if isinstance(doc, dict) else None,
                span=sp,
                file=path,
                origin="cloudformation",
                embed=embed,
                confidence="guess" if guess else "inferred",
                reason=why,
            )
        )

    principals: dict[str, str] = {}
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical == "__spans__":
            continue
        rtype = res.get("Type")
        if rtype in ("AWS::IAM::Role", "AWS::IAM::User"):
            principals[logical] = _role_pattern(logical, res, r, rtype)
    for logical, res in resources.items():
        if not isinstance(res, dict) or logical == "__spans__":
            continue
        rtype = res.get("Type")
        props = res.get("Properties") or {}
        if not isinstance(props, dict):
            continue
        if rtype in ("AWS::IAM::Role", "AWS::IAM::User"):
            target = principals[logical]
            for i, pol in enumerate(props.get("Policies") or []):
                if isinstance(pol, dict):
                    add(
                        "identity",
                        target,
                        logical,
                        pol.get("PolicyDocument"),
                        span(logical, "Policies", i, "PolicyDocument"),
                        f"inline policy {r.string(pol.get('PolicyName'))!s} of {rtype} "
                        f"{logical} in {path.name}",
                    )
            if "AssumeRolePolicyDocument" in props:
                add(
                    "trust",
                    target,
                    logical,
                    props["AssumeRolePolicyDocument"],
                    span(logical, "AssumeRolePolicyDocument"),
                    f"trust policy of {rtype} {logical} in {path.name}",
                )
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for key in ("Roles", "Users"):
                for ref in r.refs(props.get(key) or []):
                    owner = principals.get(ref)
                    if owner is None and ref.startswith("="):
                        what = "role" if key == "Roles" else "user"
                        owner = f"arn:*:iam::*:{what}/{ref[1:]}"
                    if owner:
                        add(
                            "identity",
                            owner,
                            logical,
                            props.get("PolicyDocument"),
                            span(logical, "PolicyDocument"),
                            f"{rtype} {logical} attached to {ref.lstrip('=')} in {path.name}",
                        )
        elif rtype in (
            "AWS::S3::BucketPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        ):
            targets: list[str] = []
            if rtype == "AWS::S3::BucketPolicy":
                for ref in r.refs(props.get("Bucket")):
                    bucket = ref[1:] if ref.startswith("=") else r.physical(ref)
                    name = bucket or "*"
                    targets += [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
            elif rtype == "AWS::SQS::QueuePolicy":
                for ref in r.refs(props.get("Queues") or []):
                    name = r.physical(ref.lstrip("=")) or "*"
                    targets.append(f"arn:aws:sqs:*:*:{name}")
            else:
                for ref in r.refs(props.get("Topics") or []):
                    name = r.physical(ref.lstrip("=")) or "*"
                    targets.append(f"arn:aws:sns:*:*:{name}")
            for target in targets:
                add(
                    "resource",
                    target,
                    logical,
                    props.get("PolicyDocument"),
                    span(logical, "PolicyDocument"),
                    f"{rtype} {logical} in {path.name}",
                )
        elif rtype == "AWS::KMS::Key" and "KeyPolicy" in props:
            add(
                "kms",
                "arn:aws:kms:*:*:key/*",
                logical,
                props["KeyPolicy"],
                span(logical, "KeyPolicy"),
                f"key policy of AWS::KMS::Key {logical} in {path.name} (key id unknown "
                "until deployed)",
            )
    return out


def _json_spans(text: str) -> Any:
    """A lookup from a key path to the offsets of that value, via policy.parse_json."""
    try:
        from accessdenied.policy import parse_json  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - the policy package is a hard dependency
        return lambda _keys: None
    root = parse_json(text).root

    def lookup(keys: tuple[Any, ...]) -> Span2 | None:
        node: Any = root
        for key in keys:
            if node is None:
                return None
            if isinstance(key, int):
                items = getattr(node, "items", None)
                node = items[key] if items is not None and key < len(items) else None
            else:
                get = getattr(node, "get", None)
                node = get(key) if get is not None else None
        if node is None:
            return None
        return (node.span.start, node.span.end)

    return lookup


# Terraform

_TF_BLOCK = re.compile(
    r'^\s*resource\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"\s*\{', re.M
)
_TF_ATTR = re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*", re.M)
_TF_INLINE = re.compile(r"^\s*inline_policy\s*\{", re.M)
_TF_REF = re.compile(r"^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)$")


def _match_brace(text: str, start: int, open_ch: str = "{", close_ch: str = "}") -> int:
    """Offset just past the bracket matching text[start] (strings and heredocs skipped)."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "<" and text.startswith("<<", i):
            m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n", text[i:])
            if m:
                end = re.compile(rf"^[ \t]*{m.group(1)}[ \t]*$", re.M).search(
                    text, i + m.end()
                )
                i = end.end() if end else n
                continue
        elif ch == "#" or text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl == -1 else nl
            continue
        elif ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


@dataclass(frozen=True, slots=True)
class _TfValue:
    raw: str
    start: int
    end: int
    heredoc: Span2 | None = None  # span of the heredoc body


def _tf_attrs(text: str, body_start: int, body_end: int) -> dict[str, _TfValue]:
    out: dict[str, _TfValue] = {}
    pos = body_start
    while True:
        m = _TF_ATTR.search(text, pos, body_end)
        if m is None:
            break
        vstart = m.end()
        rest = text[vstart:body_end]
        heredoc = None
        hm = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n", rest)
        if hm:
            body = vstart + hm.end()
            endm = re.compile(rf"^[ \t]*{hm.group(1)}[ \t]*$", re.M).search(
                text, body, body_end
            )
            vend = endm.end() if endm else body_end
            heredoc = (body, endm.start() if endm else body_end)
        elif rest.startswith(("jsonencode(", "{", "[")):
            open_at = (
                vstart + rest.index("(") if rest.startswith("jsonencode(") else vstart
            )
            open_ch = text[open_at]
            close_ch = {"(": ")", "{": "}", "[": "]"}[open_ch]
            vend = _match_brace(text, open_at, open_ch, close_ch)
        else:
            nl = text.find("\n", vstart, body_end)
            vend = body_end if nl == -1 else nl
        out.setdefault(
            m.group(1), _TfValue(text[vstart:vend].strip(), vstart, vend, heredoc)
        )
        pos = max(vend, m.end() + 1)
    return out


def _tf_string(value: _TfValue | None) -> str | None:
    if value is None:
        return None
    raw = value.raw
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', raw)
    if m:
        return re.sub(r"\$\{[^}]*\}", "*", m.group(1))
    return None


def terraform_bindings(path: Path, text: str) -> list[Binding]:
    """Bindings declared in a Terraform file (one file; references by address)."""
    blocks: dict[str, tuple[str, str, dict[str, _TfValue]]] = {}
    inline: dict[str, list[_TfValue]] = {}
    for m in _TF_BLOCK.finditer(text):
        rtype, name = m.group(1), m.group(2)
        end = _match_brace(text, m.end() - 1)
        blocks[f"{rtype}.{name}"] = (rtype, name, _tf_attrs(text, m.end(), end - 1))
        for im in _TF_INLINE.finditer(text, m.end(), end - 1):
            iend = _match_brace(text, im.end() - 1)
            pol = _tf_attrs(text, im.end(), iend - 1).get("policy")
            if pol is not None:
                inline.setdefault(f"{rtype}.{name}", []).append(pol)
    out: list[Binding] = []

    def ref_name(value: _TfValue | None, wanted: str) -> str | None:
        """A literal name, or the name of the referenced block of type `wanted`."""
        literal = _tf_string(value)
        if literal is not None:
            return literal
        if value is None:
            return None
        rm = _TF_REF.match(value.raw)
        if rm and rm.group(1) == wanted:
            block = blocks.get(f"{rm.group(1)}.{rm.group(2)}")
            if block is not None:
                return (
                    _tf_string(block[2].get("name"))
                    or _tf_string(block[2].get("bucket"))
                    or f"*{rm.group(2)}*"
                )
        return None

    def document(value: _TfValue | None) -> tuple[Any, Span2 | None, Path, str]:
        if value is None:
            return None, None, path, "terraform-jsonencode"
        if value.heredoc is not None:
            body = text[value.heredoc[0] : value.heredoc[1]]
            try:
                doc = json.loads(body) if "${" not in body else None
            except ValueError:
                doc = None
            return doc, value.heredoc, path, "terraform-heredoc"
        fm = re.fullmatch(r'file\(\s*"([^"]+)"\s*\)', value.raw)
        if fm:
            rel = re.sub(r"\$\{path\.(module|root|cwd)\}/?", "", fm.group(1))
            target = (path.parent / rel).resolve()
            try:
                doc = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                doc = None
            return doc, None, target, "json"
        return None, (value.start, value.end), path, "terraform-jsonencode"

    def add(
        kind: str, target: str, address: str, value: _TfValue | None, why: str
    ) -> None:
        doc, sp, file, embed = document(value)
        out.append(
            Binding(
                kind=kind,
                target=target,
                logical=address,
                document=doc if isinstance(doc, dict) else None,
                span=sp,
                file=file,
                origin="terraform",
                embed=embed,
                confidence=(
                    "guess"
                    if kind == "kms"
                    or "*" in target.removesuffix("/*").split(":", 5)[-1]
                    else "inferred"
                ),
                reason=why,
            )
        )

    policies: dict[str, _TfValue | None] = {
        addr: attrs.get("policy")
        for addr, (t, _n, attrs) in blocks.items()
        if t == "aws_iam_policy"
    }
    for address, (rtype, name, attrs) in blocks.items():
        if rtype == "aws_iam_role":
            role = _tf_string(attrs.get("name")) or f"*{name}*"
            add(
                "trust",
                f"arn:*:iam::*:role/{role}",
                address,
                attrs.get("assume_role_policy"),
                f"assume_role_policy of {address} in {path.name}",
            )
            for pol in inline.get(address, ()):
                add(
                    "identity",
                    f"arn:*:iam::*:role/{role}",
                    address,
                    pol,
                    f"inline_policy of {address} in {path.name}",
                )
        elif rtype in ("aws_iam_role_policy", "aws_iam_user_policy"):
            what = "role" if rtype == "aws_iam_role_policy" else "user"
            owner = ref_name(attrs.get(what), f"aws_iam_{what}")
            if owner:
                add(
                    "identity",
                    f"arn:*:iam::*:{what}/{owner}",
                    address,
                    attrs.get("policy"),
                    f"{address} ({what} {owner}) in {path.name}",
                )
        elif rtype in (
            "aws_iam_role_policy_attachment",
            "aws_iam_user_policy_attachment",
            "aws_iam_policy_attachment",
        ):
            what = "user" if "user" in rtype else "role"
            arn = attrs.get("policy_arn")
            rm = _TF_REF.match(arn.raw) if arn else None
            if not rm or f"{rm.group(1)}.{rm.group(2)}" not in policies:
                continue
            pol_addr = f"{rm.group(1)}.{rm.group(2)}"
            owners: list[str] = []
            if rtype == "aws_iam_policy_attachment":
                roles = attrs.get("roles")
                if roles:
                    for item in re.findall(r"[A-Za-z0-9_.\"-]+", roles.raw.strip("[]")):
                        v = _TfValue(item, 0, 0)
                        owner = ref_name(v, "aws_iam_role")
                        if owner:
                            owners.append(owner)
            else:
                owner = ref_name(attrs.get(what), f"aws_iam_{what}")
                if owner:
                    owners.append(owner)
            for owner in owners:
                add(
                    "identity",
                    f"arn:*:iam::*:{what}/{owner}",
                    pol_addr,
                    policies[pol_addr],
                    f"{pol_addr} attached by {address} to {what} {owner} in {path.name}",
                )
        elif rtype in (
            "aws_s3_bucket_policy",
            "aws_sqs_queue_policy",
            "aws_sns_topic_policy",
        ):
            if rtype == "aws_s3_bucket_policy":
                bucket = ref_name(attrs.get("bucket"), "aws_s3_bucket") or "*"
                targets = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
            elif rtype == "aws_sqs_queue_policy":
                q = ref_name(attrs.get("queue_url"), "aws_sqs_queue") or "*"
                targets = [f"arn:aws:sqs:*:*:{q}"]
            else:
                t = ref_name(attrs.get("arn"), "aws_sns_topic") or "*"
                targets = [f"arn:aws:sns:*:*:{t}"]
            for target in targets:
                add(
                    "resource",
                    target,
                    address,
                    attrs.get("policy"),
                    f"{address} in {path.name}",
                )
        elif rtype == "aws_kms_key" and "policy" in attrs:
            add(
                "kms",
                "arn:aws:kms:*:*:key/*",
                address,
                attrs.get("policy"),
                f"policy of {address} in {path.name} (key id unknown until applied)",
            )
    return out


def iac_bindings(path: Path, text: str) -> Iterator[Binding]:
    """Every binding in one file (nothing for files that are not templates)."""
    suffix = path.suffix.lower()
    if suffix == ".tf":
        yield from terraform_bindings(path, text)
    elif suffix in (
        ".yaml",
        ".yml",
        ".template",
        ".json",
    ) and looks_like_cloudformation(text):
        yield from cloudformation_bindings(path, text)
