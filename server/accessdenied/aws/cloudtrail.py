"""Pull mode: recent AccessDenied events of a principal from cloudtrail:LookupEvents.

Events become `Denial`s (source "cloudtrail"). The scanner (`accessdenied.denials.
scan_text`) parses the record, one parser for files and pulled events; when it finds no
principal or action there (or fails), a small built-in reader here does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from accessdenied.aws.model import LiveFinding
from accessdenied.aws.principals import entity_of
from accessdenied.aws.session import Clients, attempt
from accessdenied.catalog import load_catalog
from accessdenied.denials.model import Denial, DenialDecision
from accessdenied.denials.scan import scan_text
from accessdenied.text import LineIndex

DENIED_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "Client.UnauthorizedOperation",
        "UnauthorizedOperation",
        "Forbidden",
        "AuthorizationError",
        "AuthorizationErrorException",
    }
)
_ON_RESOURCE = re.compile(r"on resource:\s*\"?([^\s\"]+)\"?")
_PERFORM = re.compile(r"perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)")
_EXPLICIT = re.compile(r"with an explicit deny", re.IGNORECASE)
_IMPLICIT = re.compile(r"because no [a-zA-Z -]+ allows", re.IGNORECASE)


def _action_for(source: str, name: str) -> str:
    prefix = source.split(".", 1)[0]
    try:
        cat = load_catalog()  # a broken snapshot falls back to the event's own names
        found = cat.actions_for_operation(name, source)
        if found:
            return str(found[0])
        prefix = cat.service_prefix(source) or prefix
    except Exception:
        pass
    return f"{prefix}:{name}"


def record_to_denial(
    record: Mapping[str, Any], text: str | None = None
) -> Denial | None:
    """A CloudTrail record (one event's JSON) as a Denial; None if it is not a denial."""
    code = str(record.get("errorCode") or "")
    message = str(record.get("errorMessage") or "")
    if code not in DENIED_ERROR_CODES and "not authorized" not in message.lower():
        return None
    text = text if text is not None else json.dumps(record, separators=(",", ":"))
    try:
        found: list[Denial] = [d for d in scan_text(text) if d.principal or d.action]
        if found:
            return _complete(found[0], record)
    except Exception:
        pass  # the scanner failed: read the record ourselves
    who = record.get("userIdentity") or {}
    principal = who.get("arn") if isinstance(who, Mapping) else None
    source = str(record.get("eventSource") or "")
    name = str(record.get("eventName") or "")
    m = _PERFORM.search(message)
    action = (
        m.group(1) if m else (_action_for(source, name) if source and name else None)
    )
    m = _ON_RESOURCE.search(message)
    resource = m.group(1) if m else None
    if resource is None:
        for res in record.get("resources") or []:
            if isinstance(res, Mapping) and res.get("ARN"):
                resource = str(res["ARN"])
                break
    decision: DenialDecision = (
        "explicit"
        if _EXPLICIT.search(message)
        else "implicit"
        if _IMPLICIT.search(message)
        else "unknown"
    )
    return Denial(
        span=LineIndex(text).span(0, len(text)),
        text=text,
        principal=str(principal) if principal else None,
        action=action,
        resource=resource,
        decision=decision,
        service=action.split(":", 1)[0] if action else None,
        operation=name or None,
        request_id=str(record.get("requestID")) if record.get("requestID") else None,
        error_code=code or None,
        source="cloudtrail",
        action_origin="event",
        notes=tuple(
            n
            for n in (
                f"CloudTrail event {record.get('eventID')} at {record.get('eventTime')}",
            )
            if record.get("eventID")
        ),
    )


def _complete(denial: Denial, record: Mapping[str, Any]) -> Denial:
    """Fill what the message text lacks from the record's structured fields."""
    who = record.get("userIdentity")
    principal = who.get("arn") if isinstance(who, Mapping) else None
    resource = None
    for res in record.get("resources") or []:
        if isinstance(res, Mapping) and res.get("ARN"):
            resource = str(res["ARN"])
            break
    request_id = record.get("requestID")
    return dataclasses.replace(
        denial,
        principal=denial.principal or (str(principal) if principal else None),
        resource=denial.resource or resource,
        request_id=denial.request_id or (str(request_id) if request_id else None),
        source="cloudtrail",
    )


def _belongs_to(record: Mapping[str, Any], principal: str) -> bool:
    who = record.get("userIdentity")
    if not isinstance(who, Mapping):
        return False
    arn = str(who.get("arn") or "")
    if arn == principal:
        return True
    entity = entity_of(principal)
    if entity is None:
        return False
    kind, name = entity
    issuer = (who.get("sessionContext") or {}).get("sessionIssuer") or {}
    if kind == "role":
        if ":assumed-role/" in principal:
            return arn == principal
        return str(issuer.get("arn") or "").endswith(f":role/{name}") or (
            f":assumed-role/{name}/" in arn
        )
    return arn.endswith(f":user/{name}")


def lookup_denials(
    clients: Clients,
    principal: str | None,
    *,
    hours: float = 24.0,
    max_events: int = 500,
    now: dt.datetime | None = None,
) -> tuple[list[Denial], tuple[LiveFinding, ...]]:
    """AccessDenied events of `principal` (all principals when None) in the last `hours`."""
    findings: list[LiveFinding] = []
    end = now or dt.datetime.now(dt.UTC)
    kwargs: dict[str, Any] = {
        "StartTime": end - dt.timedelta(hours=hours),
        "EndTime": end,
        "PaginationConfig": {"MaxItems": max_events, "PageSize": 50},
    }
    entity = entity_of(principal) if principal else None
    if entity is not None and entity[0] == "user":
        kwargs["LookupAttributes"] = [
            {"AttributeKey": "Username", "AttributeValue": entity[1]}
        ]
    trail = clients.client("cloudtrail")

    def pull() -> list[Any]:
        out: list[Any] = []
        for page in trail.get_paginator("lookup_events").paginate(**kwargs):
            out.extend(page.get("Events", []))
        return out

    events = attempt(
        findings,
        "cloudtrail",
        "LookupEvents",
        f"read recent CloudTrail events{' of ' + principal if principal else ''}",
        pull,
    )
    denials: list[Denial] = []
    for event in events or []:
        raw = event.get("CloudTrailEvent")
        if not isinstance(raw, str):
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, Mapping):
            continue
        if principal and not _belongs_to(record, principal):
            continue
        denial = record_to_denial(record, raw)
        if denial is not None:
            denials.append(denial)
    return denials, tuple(findings)
