"""The snapshot file format shared by `make catalog` and `accessdenied catalog update`.

A gzip file of JSON lines, so start-up parses only a small header and each service's
details are parsed when the service is first used:

    line 0      header: {"format": 3, "source", "data_date", "version",
                 "dependent_actions_*", "services": [[prefix, name, "Action1 Action2 ...",
                 n_resource_types, n_condition_keys]], "arn_services": {"<ARN service
                 field>": [prefixes]}, "dependent_actions": {prefix: {Action: [deps]}},
                 "global_condition_keys": [[key, type, description]],
                 "condition_patterns": {prefix: {regex: template}},
                 "hints": {normalised service hint: prefix},
                 "operations": {prefix: {Operation: [actions]}},           (curated)
                 "reference_operations": {prefix: {Operation: [actions]}}, (AWS reference)
                 "lazy": ["api_operations"]}
    lines 1..N  one per service, in header order: [actions, resource_types, condition_keys]
    then        one line per "lazy" field, in order ({prefix: "Op1 Op2 ..."} ...)

Compact service shapes: action = [name, description, access level, [[resource type,
required 0/1, [condition keys]]], [condition keys]]; resource type = [name, [ARN
formats], [condition keys]]; condition key = [name, type, description].
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any

FORMAT = 3
LAZY_FIELDS = ("api_operations",)

# prefix -> (service name, actions, resource types, condition keys) in compact shapes.
ServiceData = tuple[str, list[list[Any]], list[list[Any]], list[list[Any]]]


def arn_service_field(arn_format: str) -> str:
    """The service field of an ARN format (`arn:${Partition}:s3:::...` -> `s3`)."""
    parts = arn_format.split(":", 3)
    return parts[2] if len(parts) > 2 else ""


def encode(services: Mapping[str, ServiceData], fields: Mapping[str, Any]) -> bytes:
    """A deterministic snapshot (sorted keys, gzip mtime 0)."""

    def dumps(value: Any) -> str:
        return json.dumps(
            value, separators=(",", ":"), sort_keys=True, ensure_ascii=False
        )

    rows = []
    bodies = []
    arn_services: dict[str, list[str]] = {}
    for prefix in sorted(services):
        name, actions, rtypes, ckeys = services[prefix]
        actions = sorted(actions, key=lambda a: str(a[0]))
        rtypes = sorted(rtypes, key=lambda r: str(r[0]))
        ckeys = sorted(ckeys, key=lambda c: str(c[0]))
        bodies.append(dumps([actions, rtypes, ckeys]))
        names = " ".join(str(a[0]) for a in actions)
        rows.append([prefix, name, names, len(rtypes), len(ckeys)])
        for r in rtypes:
            for f in r[1]:
                field = arn_service_field(f)
                if field and prefix not in arn_services.setdefault(field, []):
                    arn_services[field].append(prefix)
    header = {k: v for k, v in fields.items() if k not in LAZY_FIELDS}
    header["format"] = FORMAT
    header["services"] = rows
    header["arn_services"] = {k: sorted(v) for k, v in sorted(arn_services.items())}
    header["lazy"] = list(LAZY_FIELDS)
    lines = [dumps(header), *bodies, *(dumps(fields.get(k, {})) for k in LAZY_FIELDS)]
    return gzip.compress("\n".join(lines).encode(), compresslevel=9, mtime=0)


def decode(raw: bytes) -> dict[str, Any]:
    """Parse a snapshot's header; ValueError when it is not one.

    Each `services` row gets its unparsed body (bytes) appended as a sixth element;
    lazy fields stay unparsed under "_lazy" (see `lazy_field`).
    """
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"corrupt gzip data: {exc}") from exc
    lines = raw.split(b"\n")
    try:
        data = json.loads(lines[0])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("services"), list)
    ):
        raise ValueError(f"not an accessdenied catalog snapshot (format {FORMAT})")
    rows = data["services"]
    lazy = list(data.get("lazy", []))
    if len(lines) != 1 + len(rows) + len(lazy):
        raise ValueError("truncated catalog snapshot")
    for i, row in enumerate(rows):
        row.append(lines[1 + i])
    data["_lazy"] = {k: lines[1 + len(rows) + i] for i, k in enumerate(lazy)}
    return data


def lazy_field(data: Mapping[str, Any], name: str) -> Any:
    """A lazily stored header field, parsed now (an empty dict when absent)."""
    raw = data.get("_lazy", {}).get(name)
    if raw is None:
        return data.get(name, {})
    return json.loads(raw)


def fields_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a decoded snapshot except the structural ones (lazy ones parsed)."""
    out = {
        k: v
        for k, v in data.items()
        if k not in ("services", "arn_services", "format", "lazy", "_lazy")
    }
    for k in data.get("lazy", []):
        out[k] = lazy_field(data, k)
    return out


def decode_services(data: Mapping[str, Any]) -> dict[str, ServiceData]:
    """Every service of a decoded snapshot in compact shapes (parses every body)."""
    out: dict[str, ServiceData] = {}
    for prefix, name, _names, _nrt, _nck, body in data["services"]:
        actions, rtypes, ckeys = json.loads(body)
        out[prefix] = (name, actions, rtypes, ckeys)
    return out
