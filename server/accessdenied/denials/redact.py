"""Credential redaction for anything the scanner prints (access keys, secrets, tokens)."""

from __future__ import annotations

import re

REDACTED = "<redacted>"

_ACCESS_KEY = re.compile(
    r"(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"
)
# Key names in every spelling seen in the wild: env vars (AWS_SECRET_ACCESS_KEY=), CLI
# flags (--aws-secret-access-key X), config files (aws_secret_access_key = X), YAML
# (secret-access-key: X), JSON ("SecretAccessKey": "X"), HTTP (X-Amz-Security-Token: X).
_W = r"[-_ ]?"
_ASSIGN = r"[\"']?(?:[ \t]*[:=][ \t]*|[ \t]+)[\"']?"
_SECRET = re.compile(
    rf"(?i)((?:aws{_W})?secret{_W}(?:access{_W})?key{_ASSIGN})([A-Za-z0-9/+=]{{8,}})"
)
_TOKEN = re.compile(
    rf"(?i)((?:aws{_W})?(?:session|security){_W}token{_ASSIGN})([A-Za-z0-9/+=%]{{16,}})"
)
# SigV4 signatures (query string X-Amz-Signature=, Authorization header Signature=).
_SIGNATURE = re.compile(
    rf"(?i)((?:x-amz-)?signature{_ASSIGN}|(?<![A-Za-z0-9-])signature=)([0-9a-f]{{32,}})"
)
# Session tokens have recognisable base64 starts even without a key name.
_BARE_TOKEN = re.compile(
    r"(?<![A-Za-z0-9/+])(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|FQoGZXIvYXdzE)[A-Za-z0-9/+=]{40,}"
)


def redact(text: str) -> str:
    """`text` with AWS access key ids, secret keys, session tokens and signatures masked.

    Key ids keep their 4-letter type prefix (`AKIA<redacted>`) so a reader still sees what
    kind of credential was there. Unique ids (AROA/AIDA) are not secrets and stay.
    """
    if not text:
        return text
    text = _SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SIGNATURE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BARE_TOKEN.sub(REDACTED, text)
    return _ACCESS_KEY.sub(lambda m: m.group(1)[:4] + REDACTED, text)
