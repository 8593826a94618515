"""CloudTrail records -> denials: single records, `{"Records": [...]}` files, JSON lines.

Fields are read by regex from the record's text (pretty, compact, `-- snip --`-edited or
wrapped records all work); a message draft found inside `errorMessage` is merged into the
record, which adds `eventName` (operation), `eventSource` (service) and the principal from
`userIdentity.arn`. Without an IAM sentence the action is eventSource + eventName
(denial-formats.md §8; `action_origin="event"`, a heuristic noted on the denial).
"""

from __future__ import annotations

import re

from accessdenied.denials import grammars as g
from accessdenied.denials.draft import Draft

_CT_MESSAGE = re.compile(
    r"\"errorMessage\"\s*:\s*\"(?P<v>[^\n]{0,4000}?)\"(?=\s*[,}\n]|\Z)"
)


def merge_cloudtrail(norm: str, drafts: list[Draft]) -> list[Draft]:
    """Merge message drafts into the CloudTrail records that carry them."""
    codes = list(g.CT_ERROR_CODE.finditer(norm))
    if not codes:
        return drafts
    result = list(drafts)
    prev_end = 0
    for i, m in enumerate(codes):
        lo = max(prev_end, m.start() - 6000)
        starts = [e.start() for e in g.CT_EVENT_VERSION.finditer(norm, lo, m.start())]
        rs = starts[-1] if starts else lo
        nxt_code = codes[i + 1].start() if i + 1 < len(codes) else len(norm)
        ev = g.CT_EVENT_VERSION.search(norm, m.end(), min(nxt_code, m.end() + 6000))
        re_ = ev.start() if ev else min(nxt_code, m.end() + 6000)
        prev_end = m.end()
        fields: dict[str, str] = {}
        for f in g.CT_FIELD.finditer(norm, rs, re_):
            fields.setdefault(f.group("k"), f.group("v"))
        msg = _CT_MESSAGE.search(norm, rs, re_)
        user = g.CT_USER_ARN.search(norm, rs, re_)
        d = Draft(m.start("code"), m.end("code"), "cloudtrail", source="cloudtrail")
        d.error_code = m.group("code")
        inner: Draft | None = None
        if msg:
            d.start, d.end = msg.start("v"), msg.end("v")
            for x in result:
                if d.start <= x.start < d.end:
                    inner = x
                    break
        if inner is not None:
            result.remove(inner)
            for k in (
                "principal",
                "action",
                "resource",
                "decision",
                "policy_type",
                "policy_arn",
                "extra_actions",
                "encoded_message",
                "encoded_blob",
                "action_origin",
            ):
                setattr(d, k, getattr(inner, k))
            if inner.service:
                d.service = inner.service
        if d.principal is None and user:
            d.principal = user.group("v")
        source = fields.get("eventSource", "")
        name = fields.get("eventName")
        if name:
            # Lambda's CloudTrail names carry the API version: UpdateFunctionCode20150331v2.
            name = re.sub(r"\d{8}(?:v\d+)?$", "", name) or name
            d.operation = name
        if source:
            d.service_hint = source
            prefix = source.split(".", 1)[0]
            if d.action is None and name:
                d.action = f"{prefix}:{name}"
                d.action_origin = "event"
                d.notes.append(
                    "action from eventSource + eventName; the IAM action can differ"
                )
            if d.service is None and d.action is None:
                d.service = prefix
        d.request_id = fields.get("requestID")
        if d.resource is None and d.service == "s3":
            pass
        result.append(d)
    return result
