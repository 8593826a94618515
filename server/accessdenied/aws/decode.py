"""Encoded authorization failure messages: parse `DecodedMessage` into plain data and a Denial.

`parse_decoded_message` is pure (no boto3); `decode_blob` calls sts:DecodeAuthorizationMessage.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from accessdenied.aws.model import DecodedAuthorization, LiveFinding, MatchedStatement
from accessdenied.aws.session import Clients, attempt
from accessdenied.catalog import load_catalog
from accessdenied.denials.model import Denial
from accessdenied.text import LineIndex

_ARN_SERVICE = re.compile(r"^arn:[^:]*:([a-z0-9-]+):")


def _items(value: Any) -> list[Any]:
    """AWS's `{"items": [...]}` wrappers, a bare list, or nothing."""
    if isinstance(value, Mapping):
        value = value.get("items", [])
    return list(value) if isinstance(value, list) else []


def _values(value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for item in _items(value):
        if isinstance(item, Mapping):
            v = item.get("value")
            if v is not None:
                out.append(str(v))
        elif item is not None:
            out.append(str(item))
    return tuple(out)


def _conditions(value: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for item in _items(value):
        if isinstance(item, Mapping) and item.get("key") is not None:
            out[str(item["key"])] = _values(item.get("values"))
    return out


def _prefixed(
    action: str | None,
    resource: str | None,
    conditions: Mapping[str, tuple[str, ...]],
    matched: tuple[MatchedStatement, ...],
) -> str | None:
    """The action with its service prefix; decoded messages often omit it (`RunInstances`)."""
    if not action or ":" in action:
        return action
    prefix: str | None = None
    for key, values in conditions.items():
        if key.lower() == "aws:service" and values:
            prefix = values[0]
            break
    if prefix is None:
        for st in matched:
            for a in st.actions:
                head, _, tail = a.partition(":")
                if tail and tail.lower() == action.lower():
                    prefix = head
                    break
            if prefix:
                break
    if prefix is None and resource:
        m = _ARN_SERVICE.match(resource)
        if m:
            prefix = m.group(1)
    if prefix is None:
        for key in conditions:
            head, sep, _ = key.partition(":")
            if sep and head.lower() != "aws":
                prefix = head
                break
    if prefix is None:
        return action
    return _canonical(f"{prefix.lower()}:{action}")


def _canonical(action: str) -> str:
    """Catalog casing when the catalog knows the action, else as given."""
    try:
        found = load_catalog().action(action)
    except Exception:  # a broken catalog snapshot: keep the decoded spelling
        return action
    return str(found.full_name) if found is not None else action


def parse_decoded_message(text: str | Mapping[str, Any]) -> DecodedAuthorization:
    """Parse a `DecodedMessage` (JSON text or already-parsed value); ValueError if it is not one."""
    data: Any = json.loads(text) if isinstance(text, str) else text
    if isinstance(data, Mapping) and "DecodedMessage" in data:
        inner = data["DecodedMessage"]
        data = json.loads(inner) if isinstance(inner, str) else inner
    if not isinstance(data, Mapping):
        raise ValueError("a decoded authorization message is a JSON object")
    context = data.get("context") if isinstance(data.get("context"), Mapping) else {}
    assert isinstance(context, Mapping)
    principal = (
        context.get("principal")
        if isinstance(context.get("principal"), Mapping)
        else {}
    )
    assert isinstance(principal, Mapping)
    matched = tuple(
        MatchedStatement(
            statement_id=_opt(st.get("statementId")),
            effect=_opt(st.get("effect")),
            actions=_values(st.get("actions")),
            resources=_values(st.get("resources")),
            principals=_values(st.get("principals")),
            conditions=_conditions(st.get("conditions")),
        )
        for st in _items(data.get("matchedStatements"))
        if isinstance(st, Mapping)
    )
    conditions = _conditions(context.get("conditions"))
    raw_action = _opt(context.get("action"))
    resource = _opt(context.get("resource"))
    return DecodedAuthorization(
        allowed=bool(data.get("allowed", False)),
        explicit_deny=bool(data.get("explicitDeny", False)),
        principal=_opt(principal.get("arn")),
        principal_id=_opt(principal.get("id")),
        action=_prefixed(raw_action, resource, conditions, matched),
        raw_action=raw_action,
        resource=resource,
        conditions=conditions,
        matched_statements=matched,
        raw=data,
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def decoded_denial(
    decoded: DecodedAuthorization, original: Denial | None = None
) -> Denial:
    """A Denial carrying the decoded (exact) principal, action and resource."""
    service = (
        decoded.action.split(":", 1)[0]
        if decoded.action and ":" in decoded.action
        else None
    )
    notes = tuple(
        f"matched {st.effect or '?'} statement {st.statement_id or '(no Sid)'}"
        for st in decoded.matched_statements
    )
    if original is None:
        text = json.dumps(dict(decoded.raw), separators=(",", ":"))
        return Denial(
            span=LineIndex(text).span(0, len(text)),
            text=text,
            principal=decoded.principal,
            action=decoded.action,
            resource=decoded.resource,
            decision=decoded.decision,
            service=service,
            encoded_message=True,
            source="decoded",
            action_origin="text",
            notes=notes,
        )
    return dataclasses.replace(
        original,
        principal=decoded.principal or original.principal,
        action=decoded.action or original.action,
        resource=decoded.resource or original.resource,
        decision=decoded.decision,
        service=service or original.service,
        encoded_message=True,
        source="decoded",
        action_origin="text",
        notes=(*original.notes, *notes),
    )


def decode_blob(
    clients: Clients, blob: str
) -> tuple[DecodedAuthorization | None, tuple[LiveFinding, ...]]:
    """Call sts:DecodeAuthorizationMessage and parse the result."""
    findings: list[LiveFinding] = []
    out = attempt(
        findings,
        "sts",
        "DecodeAuthorizationMessage",
        "decode the authorization message",
        lambda: clients.client("sts").decode_authorization_message(EncodedMessage=blob),
    )
    if out is None:
        return None, tuple(findings)
    try:
        return parse_decoded_message(str(out.get("DecodedMessage", ""))), ()
    except (ValueError, TypeError) as exc:
        return None, (
            LiveFinding(
                "live-error",
                "warning",
                f"live mode could not parse the decoded authorization message: {exc}",
                "sts:DecodeAuthorizationMessage",
            ),
        )
