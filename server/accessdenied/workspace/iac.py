"""Policies declared in infrastructure-as-code files: Terraform here, the rest in containers.

Extracts `Binding`s: "this document (at this span of this file) is the identity/trust/
resource/KMS policy of that role/user/bucket/queue/topic/key". CloudFormation, SAM and
Serverless live in `accessdenied.containers` (found through `containers.locate`);
Terraform references by address are resolved here where the value is static.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessdenied import safeio
from accessdenied.containers import Binding, Span2, locate
from accessdenied.containers.cloudformation import (
    cloudformation_bindings,
    looks_like_cloudformation,
)

__all__ = [
    "Binding",
    "cloudformation_bindings",
    "iac_bindings",
    "looks_like_cloudformation",
    "terraform_bindings",
]


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
                # Bounded and FIFO/device-safe; the index drops targets outside root.
                doc = json.loads(safeio.read_text(target))
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
    if path.suffix.lower() == ".tf":
        yield from terraform_bindings(path, text)
        return
    yield from locate(path, text)
