"""Delivery failures services log when a resource policy does not admit them.

No IAM sentence is printed when SNS cannot deliver to an SQS queue (or Lambda), or
EventBridge cannot invoke a target: the records say so in their own shapes.
- SNS delivery status logs (CloudWatch Logs `sns/<region>/<account>/<topic>/Failure`):
  `{"notification": {"topicArn": ...}, "delivery": {"destination": ...,
  "providerResponse": "...AccessDenied...", "statusCode": 403}, "status": "FAILURE"}`.
- EventBridge dead-letter messages: attributes `ERROR_CODE` `NO_PERMISSIONS`,
  `RULE_ARN`, `TARGET_ARN`.
Each becomes a Denial of the service principal (`sns.amazonaws.com`,
`events.amazonaws.com`) on the destination, blamed on its resource-based policy; the
source (topic, rule) is named in the text as `Source ARN: ...` for the fixer, which
pins `aws:SourceArn` to it.
"""

from __future__ import annotations

import re

from accessdenied.denials.model import Denial
from accessdenied.text import LineIndex

__all__ = ["scan_delivery"]

_ARN = r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\"\s,}]+"
# Each part is searched for on its own, left to right within one line: one pass over
# the line however many braces or topic ARNs it holds (a lazy `{...?"topicArn"` regex
# retried at every brace was quadratic on one-line CloudTrail files).
_TOPIC = re.compile(r"\"topicArn\"\s*:\s*\"(?P<source>" + _ARN + r")\"")
_DEST = re.compile(r"\"destination\"\s*:\s*\"(?P<dest>" + _ARN + r")\"")
_FAILED = re.compile(r"AccessDenied|is denied|not authorized|\"statusCode\"\s*:\s*403")
#: How far around `NO_PERMISSIONS` the attributes of one dead-letter message are looked
#: for (they sit within a few lines); bounds the work per occurrence.
_WINDOW = 4096
_EVENTS_CODE = re.compile(r"NO_PERMISSIONS")
_RULE = re.compile(
    r"RULE_ARN[\"']?\s*[:=]\s*\{?[^\n]*?(?P<arn>arn:aws[a-z-]*:events:[^\"\s,}]+)"
)
_TARGET = re.compile(r"TARGET_ARN[\"']?\s*[:=]\s*\{?[^\n]*?(?P<arn>" + _ARN + r")")

#: Destination service -> (the action the delivering service performs, its operation).
_DELIVERY_ACTION = {
    "sqs": ("sqs:SendMessage", "SendMessage"),
    "lambda": ("lambda:InvokeFunction", "Invoke"),
    "sns": ("sns:Publish", "Publish"),
    "states": ("states:StartExecution", "StartExecution"),
    "kinesis": ("kinesis:PutRecord", "PutRecord"),
    "firehose": ("firehose:PutRecordBatch", "PutRecordBatch"),
    "logs": ("logs:PutLogEvents", "PutLogEvents"),
}


def _denial(
    text: str,
    index: LineIndex,
    start: int,
    end: int,
    principal: str,
    source: str,
    dest: str,
    what: str,
) -> Denial | None:
    service = dest.split(":", 3)[2]
    if service not in _DELIVERY_ACTION:
        return None
    if service == "lambda":
        dest = ":".join(dest.split(":")[:7])  # no qualifier: the function's policy
    action, operation = _DELIVERY_ACTION[service]
    return Denial(
        span=index.span(start, end),
        text=f"{text[start:end]}\nSource ARN: {source}",
        principal=principal,
        action=action,
        resource=dest,
        decision="implicit",
        policy_type="resource",
        service=service,
        operation=operation,
        error_code="AccessDenied",
        source="delivery",
        action_origin="delivery",
        notes=(f"{what}: {principal} could not deliver from {source} to {dest}",),
    )


def scan_delivery(text: str, index: LineIndex | None = None) -> list[Denial]:
    """Delivery failures in `text` (cheap when the text has none)."""
    if "topicArn" not in text and "NO_PERMISSIONS" not in text:
        return []
    index = index or LineIndex(text)
    out: list[Denial] = []
    if "topicArn" in text:
        for start, end, source, dest in _sns_records(text):
            d = _denial(
                text,
                index,
                start,
                end,
                "sns.amazonaws.com",
                source,
                dest,
                "SNS delivery failure",
            )
            if d is not None:
                out.append(d)
    for m in _EVENTS_CODE.finditer(text):
        # The attributes of one dead-letter message sit within a few lines.
        lo_bound = max(0, m.start() - _WINDOW)
        hi_bound = min(len(text), m.end() + _WINDOW)
        lo = text.rfind("\n\n", lo_bound, m.start())
        lo = lo_bound if lo == -1 else lo + 1
        hi = text.find("\n\n", m.end(), hi_bound)
        hi = hi_bound if hi == -1 else hi
        block = text[lo:hi]
        rule, target = _RULE.search(block), _TARGET.search(block)
        if rule is None or target is None:
            continue
        line_start = text.rfind("\n", lo, m.start()) + 1 or lo
        line_end = text.find("\n", m.end(), hi)
        d = _denial(
            text,
            index,
            line_start,
            hi if line_end == -1 else line_end,
            "events.amazonaws.com",
            rule.group("arn"),
            target.group("arn"),
            "EventBridge delivery failure",
        )
        if d is not None:
            out.append(d)
    return out


def _sns_records(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, topic, destination) of each SNS delivery failure record.

    A record runs from the first brace before `"topicArn"` to the end of its line and
    names a destination and a failure after the topic; each such line is read once.
    """
    out: list[tuple[int, int, str, str]] = []
    pos = 0
    while (i := text.find('"topicArn"', pos)) != -1:
        line_start = text.rfind("\n", 0, i) + 1
        line_end = text.find("\n", i)
        line_end = len(text) if line_end == -1 else line_end
        pos = line_end + 1
        brace = text.find("{", line_start, i)
        topic = _TOPIC.search(text, i, line_end) if brace != -1 else None
        dest = _DEST.search(text, topic.end(), line_end) if topic else None
        if topic is None or dest is None:
            continue
        if not _FAILED.search(text, dest.end(), line_end):
            continue
        record = text[brace:line_end]
        if '"FAILURE"' in record or "403" in record:
            out.append((brace, line_end, topic.group("source"), dest.group("dest")))
    return out
