"""Credential redaction for anything the scanner prints (access keys, secrets, tokens)."""

from __future__ import annotations

import re

REDACTED = "<redacted>"

_ACCESS_KEY = re.compile(
    r"(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"
)
_SECRET = re.compile(
    r"(?i)((?:aws_?)?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)
_TOKEN = re.compile(
    r"(?i)((?:aws_?)?(?:session|security)_?token[\"']?\s*[:=]\s*[\"']?|x-amz-security-token[=:]\s*)"
    r"([A-Za-z0-9/+=%]{40,})"
)
# Session tokens have recognisable base64 starts even without a key name.
_BARE_TOKEN = re.compile(
    r"(?<![A-Za-z0-9/+])(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|FQoGZXIvYXdzE)[A-Za-z0-9/+=]{40,}"
)


def redact(text: str) -> str:
    """`text` with AWS access key ids (AKIA/ASIA...), secret keys and session tokens masked.

    Key ids keep their 4-letter type prefix (`AKIA<redacted>`) so a reader still sees what
    kind of credential was there. Unique ids (AROA/AIDA) are not secrets and stay.
    """
    if not text:
        return text
    text = _SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BARE_TOKEN.sub(REDACTED, text)
    return _ACCESS_KEY.sub(lambda m: m.group(1)[:4] + REDACTED, text)
