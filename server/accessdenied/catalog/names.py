"""Name normalisation for catalog queries: service hints, operation names, key templates."""

from __future__ import annotations

import re

from accessdenied.catalog.model import ResourceType

TEMPLATE = re.compile(r"\$\{[^}]*\}|<[^>]*>")


_VERSIONED_OP = re.compile(r"^(?P<op>[A-Za-z]+?)(?:20\d{6}(?:v\d+)?)$")


def norm_hint(text: str) -> str:
    """Normalised service hint: lower case, no spaces/dashes/dots, no `.amazonaws.com`."""
    t = text.strip().lower()
    for suffix in (".amazonaws.com.cn", ".amazonaws.com"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return re.sub(r"[\s_\-.]+", "", t)


def template_regex(name: str) -> re.Pattern[str]:
    """`aws:RequestTag/${TagKey}` -> a case-insensitive anchored regex for concrete keys."""
    parts = TEMPLATE.split(name)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z", re.IGNORECASE)


def match_specificity(rt: ResourceType, arn: str) -> int:
    from accessdenied.catalog.model import arn_format_regex, arn_format_specificity

    return max(
        (
            arn_format_specificity(f)
            for f in rt.arn_formats
            if arn_format_regex(f).match(arn)
        ),
        default=-1,
    )


def primary_first(prefix: str, op: str, names: list[str]) -> list[str]:
    """AWS's AuthorizedActions, the same-named action of the service first.

    Same-named actions of other services (`s3-object-lambda:GetObject` for S3's GetObject,
    needed only through an Object Lambda access point) are dropped; other entries
    (`s3:GetObjectVersion`, `iam:PassRole`, ...) are kept in AWS's order.
    """
    own = f"{prefix}:{op}".lower()
    out = [n for n in names if n.lower() == own]
    for n in names:
        svc, _, name = n.partition(":")
        if n.lower() == own or (svc.lower() != prefix.lower() and name.lower() == op):
            continue
        out.append(n)
    return out


def normalise_operation(operation: str) -> str:
    """`getBucketLocation` / `get_bucket_location` / `GetFunction20150331v2` -> lower key."""
    op = operation.strip()
    if "." in op:  # "S3.HeadObject", "s3:GetObject"
        op = op.rsplit(".", 1)[1]
    if ":" in op:
        op = op.rsplit(":", 1)[1]
    op = op.replace("_", "").replace("-", "")
    m = _VERSIONED_OP.match(op)
    if m:
        op = m.group("op")
    return op.lower() if op.isalnum() else ""
