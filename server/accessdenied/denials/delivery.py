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
_SNS = re.compile(
    r"\{[^\n]*?\"topicArn\"\s*:\s*\"(?P<source>" + _ARN + r")\"[^\n]*?"
    r"\"destination\"\s*:\s*\"(?P<dest>" + _ARN + r")\"[^\n]*?"
    r"(?:AccessDenied|is denied|not authorized|\"statusCode\"\s*:\s*403)[^\n]*"
)
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
        for m in _SNS.finditer(text):
            if '"FAILURE"' not in m.group(0) and "403" not in m.group(0):
                continue
            d = _denial(
                text,
                index,
                m.start(),
                m.end(),
                "sns.amazonaws.com",
                m.group("source"),
                m.group("dest"),
                "SNS delivery failure",
            )
            if d is not None:
                out.append(d)
    for m in _EVENTS_CODE.finditer(text):
        # The attributes of one dead-letter message sit within a few lines.
        lo = text.rfind("\n\n", 0, m.start()) + 1
        hi = text.find("\n\n", m.end())
        hi = len(text) if hi == -1 else hi
        block = text[lo:hi]
        rule, target = _RULE.search(block), _TARGET.search(block)
        if rule is None or target is None:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        d = _denial(
            text,
            index,
            line_start,
            len(text) if line_end == -1 else line_end,
            "events.amazonaws.com",
            rule.group("arn"),
            target.group("arn"),
            "EventBridge delivery failure",
        )
        if d is not None:
            out.append(d)
    return out
