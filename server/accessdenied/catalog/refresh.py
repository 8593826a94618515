"""Merge AWS's service reference JSON into a catalog snapshot (no network here).

`accessdenied catalog update` (cli/catalog.py) downloads the official, machine-readable
service reference (https://servicereference.us-east-1.amazonaws.com/: a service list and
one JSON per service) and hands the parsed documents to `merge_reference`, which writes a
snapshot in the bundled format:

- actions, resource types (ARN formats), condition keys (types) and the
  Operations -> AuthorizedActions map come from AWS;
- what the reference does not carry is kept from the bundled snapshot: descriptions,
  the per-resource "required" flag and condition keys, dependent actions (frozen overlay),
  service names, service hints, curated operation overrides;
- services the reference does not list stay as bundled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accessdenied.catalog import snapshot

REFERENCE_URL = "https://servicereference.us-east-1.amazonaws.com/"


class ReferenceError(ValueError):
    """A service reference document has an unexpected shape."""


def parse_service_list(doc: Any) -> list[tuple[str, str]]:
    """[(prefix, url)] from the service list document."""
    if not isinstance(doc, list):
        raise ReferenceError("service list is not a JSON array")
    out = []
    for item in doc:
        if (
            isinstance(item, dict)
            and isinstance(item.get("service"), str)
            and isinstance(item.get("url"), str)
        ):
            out.append((item["service"], item["url"]))
    if not out:
        raise ReferenceError("service list names no services")
    return out


def access_level(action: Mapping[str, Any]) -> str:
    """Access level from the reference's annotation flags (AWS's documented order)."""
    annotations = action.get("Annotations")
    props = annotations.get("Properties") if isinstance(annotations, Mapping) else None
    if not isinstance(props, Mapping):
        props = {}
    if props.get("IsPermissionManagement"):
        return "Permissions management"
    if props.get("IsTaggingOnly"):
        return "Tagging"
    if props.get("IsWrite"):
        return "Write"
    if props.get("IsList"):
        return "List"
    return "Read"


def _old_service(
    bundled: Mapping[str, snapshot.ServiceData], prefix: str
) -> snapshot.ServiceData:
    return bundled.get(prefix, (prefix, [], [], []))


def convert_service(
    prefix: str, doc: Mapping[str, Any], bundled: Mapping[str, snapshot.ServiceData]
) -> tuple[snapshot.ServiceData, dict[str, list[str]]]:
    """One service reference document -> (compact service data, operations map)."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("Actions"), list):
        raise ReferenceError(f"{prefix}: no Actions array")
    name, old_actions, old_rtypes, old_ckeys = _old_service(bundled, prefix)
    old_a = {str(a[0]).lower(): a for a in old_actions}
    old_r = {str(r[0]).lower(): r for r in old_rtypes}
    old_c = {str(c[0]).lower(): c for c in old_ckeys}

    rtypes = []
    for r in doc.get("Resources", []) or []:
        if not isinstance(r, Mapping) or not isinstance(r.get("Name"), str):
            continue
        prev = old_r.get(r["Name"].lower())
        arns = [str(f) for f in r.get("ARNFormats", []) or []]
        keys = r.get("ConditionKeys")
        if not isinstance(keys, list):
            keys = list(prev[2]) if prev else []
        rtypes.append([r["Name"], arns or (list(prev[1]) if prev else []), keys])

    ckeys = []
    for c in doc.get("ConditionKeys", []) or []:
        if not isinstance(c, Mapping) or not isinstance(c.get("Name"), str):
            continue
        prev = old_c.get(c["Name"].lower())
        types = c.get("Types") or []
        ktype = str(types[0]) if types else (prev[1] if prev else "String")
        ckeys.append([c["Name"], ktype, prev[2] if prev else ""])

    actions = []
    for a in doc["Actions"]:
        if not isinstance(a, Mapping) or not isinstance(a.get("Name"), str):
            continue
        prev = old_a.get(a["Name"].lower())
        prev_res = {str(r[0]).lower(): r for r in prev[3]} if prev else {}
        res = []
        for r in a.get("Resources", []) or []:
            if not isinstance(r, Mapping) or not isinstance(r.get("Name"), str):
                continue
            p = prev_res.get(r["Name"].lower())
            res.append([r["Name"], p[1] if p else 0, list(p[2]) if p else []])
        keys = a.get("ActionConditionKeys")
        actions.append(
            [
                a["Name"],
                prev[1] if prev else "",
                access_level(a),
                res,
                list(keys)
                if isinstance(keys, list)
                else (list(prev[4]) if prev else []),
            ]
        )

    ops: dict[str, list[str]] = {}
    for op in doc.get("Operations", []) or []:
        if not isinstance(op, Mapping) or not isinstance(op.get("Name"), str):
            continue
        names = []
        for aa in op.get("AuthorizedActions", []) or []:
            if isinstance(aa, Mapping) and aa.get("Name") and aa.get("Service"):
                full = f"{aa['Service']}:{aa['Name']}"
                if full not in names:
                    names.append(full)
        if names:
            ops[op["Name"]] = names
    return (name, actions, rtypes, ckeys), ops


Converted = tuple[snapshot.ServiceData, dict[str, list[str]]]


def merge_reference(
    bundled: Mapping[str, Any],
    documents: Mapping[str, Any],
    fetched_date: str,
    source_url: str = REFERENCE_URL,
) -> tuple[bytes, dict[str, int]]:
    """A snapshot (gzip bytes) merging service reference documents into `bundled`.

    `documents` maps IAM prefix -> parsed per-service JSON. Returns the snapshot and
    counts (services refreshed/added/kept, actions, operations).
    """
    old = snapshot.decode_services(bundled)
    converted = {p: convert_service(p, doc, old) for p, doc in documents.items()}
    return merge_converted(bundled, old, converted, fetched_date, source_url)


def merge_converted(
    bundled: Mapping[str, Any],
    old: Mapping[str, snapshot.ServiceData],
    converted: Mapping[str, Converted],
    fetched_date: str,
    source_url: str = REFERENCE_URL,
) -> tuple[bytes, dict[str, int]]:
    """Like `merge_reference`, for services already passed through `convert_service`.

    (`catalog update` converts each document as it arrives, so the large raw JSON of
    ~450 services is never held at once.)
    """
    merged: dict[str, snapshot.ServiceData] = dict(old)
    ref_ops: dict[str, dict[str, list[str]]] = {}
    stats = {"refreshed": 0, "added": 0, "kept": 0, "actions": 0, "operations": 0}
    for prefix, (data, ops) in sorted(converted.items()):
        stats["added" if prefix not in old else "refreshed"] += 1
        merged[prefix] = data
        if ops:
            ref_ops[prefix] = ops
    stats["kept"] = len(set(old) - set(converted))
    stats["actions"] = sum(len(s[1]) for s in merged.values())
    stats["operations"] = sum(len(v) for v in ref_ops.values())
    fields = snapshot.fields_of(bundled)
    fields.update(
        source=(
            f"AWS service reference ({source_url}) fetched {fetched_date}; "
            f"descriptions and required flags from the bundled "
            f"{bundled.get('source', 'snapshot')}"
        ),
        data_date=fetched_date,
        bundled_data_date=str(bundled.get("data_date", "")),
        reference_operations=ref_ops,
    )
    return snapshot.encode(merged, fields), stats


def load_json_bytes(raw: bytes, what: str) -> Any:
    """Parse a downloaded document; ReferenceError with `what` when it is not JSON."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceError(f"{what}: not JSON ({exc.__class__.__name__})") from exc
