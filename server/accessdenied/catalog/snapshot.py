"""The snapshot file format shared by `make catalog` and `accessdenied catalog update`.

One gzip JSON document. To keep start-up cheap, each service's details are stored as an
embedded JSON string that the loader parses only when the service is first used:

    {"format": 2, "source", "data_date", "version", "dependent_actions_*",
     "services": [[prefix, name, "Action1 Action2 ...", n_resource_types,
                   n_condition_keys, "<JSON [actions, resource_types, condition_keys]>"]],
     "arn_services": {"<service field of ARNs>": [IAM prefixes whose ARN formats use it]},
     "dependent_actions": {prefix: {Action: [deps]}},
     "global_condition_keys": [[key, type, description]],
     "condition_patterns": {prefix: {regex: template}},
     "hints": {normalised service hint: prefix},
     "operations": {prefix: {Operation: [actions]}},            # curated overrides
     "reference_operations": {prefix: {Operation: [actions]}},  # AWS service reference
     "api_operations": {prefix: "Op1 Op2 ..."}}

Compact service shapes: action = [name, description, access level, [[resource type,
required 0/1, [condition keys]]], [condition keys]]; resource type = [name, [ARN
formats], [condition keys]]; condition key = [name, type, description].
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any

FORMAT = 2

# prefix -> (service name, actions, resource types, condition keys) in compact shapes.
ServiceData = tuple[str, list[list[Any]], list[list[Any]], list[list[Any]]]


def arn_service_field(arn_format: str) -> str:
    """The service field of an ARN format (`arn:${Partition}:s3:::...` -> `s3`)."""
    parts = arn_format.split(":", 3)
    return parts[2] if len(parts) > 2 else ""


def encode(services: Mapping[str, ServiceData], fields: Mapping[str, Any]) -> bytes:
    """A deterministic gzip snapshot (sorted keys, gzip mtime 0)."""
    rows = []
    arn_services: dict[str, list[str]] = {}
    for prefix in sorted(services):
        name, actions, rtypes, ckeys = services[prefix]
        actions = sorted(actions, key=lambda a: str(a[0]))
        rtypes = sorted(rtypes, key=lambda r: str(r[0]))
        ckeys = sorted(ckeys, key=lambda c: str(c[0]))
        body = json.dumps(
            [actions, rtypes, ckeys], separators=(",", ":"), ensure_ascii=False
        )
        names = " ".join(str(a[0]) for a in actions)
        rows.append([prefix, name, names, len(rtypes), len(ckeys), body])
        for r in rtypes:
            for f in r[1]:
                field = arn_service_field(f)
                if field and prefix not in arn_services.setdefault(field, []):
                    arn_services[field].append(prefix)
    doc = dict(fields)
    doc["format"] = FORMAT
    doc["services"] = rows
    doc["arn_services"] = {k: sorted(v) for k, v in sorted(arn_services.items())}
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return gzip.compress(raw.encode(), compresslevel=9, mtime=0)


def decode(raw: bytes) -> dict[str, Any]:
    """Parse a snapshot (gzip or plain JSON); ValueError when it is not one."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"corrupt gzip data: {exc}") from exc
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("services"), list)
    ):
        raise ValueError("not an accessdenied catalog snapshot (format 2)")
    return data


def decode_services(data: Mapping[str, Any]) -> dict[str, ServiceData]:
    """Every service of a decoded snapshot in compact shapes (parses every body)."""
    out: dict[str, ServiceData] = {}
    for prefix, name, _names, _nrt, _nck, body in data["services"]:
        actions, rtypes, ckeys = json.loads(body)
        out[prefix] = (name, actions, rtypes, ckeys)
    return out
