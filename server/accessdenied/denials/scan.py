"""`scan_text(text) -> list[Denial]`: find AWS access denials in arbitrary text.

Pipeline: a literal prefilter finds hits; windows of a few KB around the hits are normalized
(`normalize.py`); the family grammars (`grammars.py`) run only there; each match is enriched
from its envelope (botocore, Go/Java SDK, CloudTrail record) and mapped back to an exact span
in the original text.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from accessdenied.denials import grammars as g
from accessdenied.denials.cloudtrail import merge_cloudtrail
from accessdenied.denials.draft import Draft, clean_resource, clean_token
from accessdenied.denials.model import Denial
from accessdenied.denials.normalize import Normalized, normalize
from accessdenied.denials.redact import redact
from accessdenied.text import LineIndex

# Context kept on either side of a prefilter hit.
WINDOW_CONTEXT = 4000
# Texts up to this size are normalized whole (one window).
SMALL_TEXT = 64_000

_DENIAL_CODES = re.compile(
    r"(?:^|[.:])(?:AccessDenied(?:Exception)?|UnauthorizedOperation|AuthorizationError"
    r"(?:Exception)?|Forbidden(?:Exception)?|403|UnauthorizedException|"
    r"NotAuthorized(?:Exception)?|AllAccessDisabled)$"
)

# Service names as SDKs print them, for when the catalog cannot resolve a hint.
_SERVICE_HINTS = {
    "amazon s3": "s3",
    "amazons3": "s3",
    "s3": "s3",
    "amazonsqs": "sqs",
    "amazon sqs": "sqs",
    "sqs": "sqs",
    "amazonsns": "sns",
    "sns": "sns",
    "awssecuritytokenservice": "sts",
    "sts": "sts",
    "iam": "iam",
    "amazonidentitymanagement": "iam",
    "efs": "elasticfilesystem",
    "athena": "athena",
    "cloudwatch logs": "logs",
    "ec2": "ec2",
    "amazonec2": "ec2",
    "kms": "kms",
    "awskms": "kms",
    "dynamodb": "dynamodb",
    "amazondynamodbv2": "dynamodb",
    "lambda": "lambda",
    "awslambda": "lambda",
    "secrets manager": "secretsmanager",
    "secretsmanager": "secretsmanager",
    "ssm": "ssm",
    "bedrock": "bedrock",
    "bedrock runtime": "bedrock",
    "schemas": "schemas",
    "cloudformation": "cloudformation",
    "amazoncloudformation": "cloudformation",
}


@functools.cache
def _catalog() -> Any:
    """The IAM catalog, or None while it is not available (never a fake mapping)."""
    try:
        from accessdenied.catalog import load_catalog

        return load_catalog()
    except Exception:
        return None


@functools.lru_cache(maxsize=4096)
def _service_from_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    hint = hint.strip()
    cat = _catalog()
    if cat is not None:
        try:
            prefix = cat.service_prefix(hint)
        except Exception:
            prefix = None
        if prefix:
            return str(prefix)
    return _SERVICE_HINTS.get(hint.lower())


@functools.lru_cache(maxsize=4096)
def _canonical_action(action: str) -> str:
    prefix, _, name = action.partition(":")
    cat = _catalog()
    if cat is not None:
        try:
            found = cat.action(action)
        except Exception:
            found = None
        if found is not None:
            return str(found.full_name)
    return f"{prefix.lower()}:{name}"


@functools.lru_cache(maxsize=4096)
def _action_for_operation(operation: str, hint: str | None) -> str | None:
    cat = _catalog()
    if cat is None:
        return None
    try:
        actions = cat.actions_for_operation(operation, hint)
        if not actions and hint:
            actions = cat.actions_for_operation(operation, None)
    except Exception:
        return None
    return str(actions[0]) if actions else None


def _upper_camel(op: str) -> str:
    return op[:1].upper() + op[1:]


def _line_bounds(text: str, start: int, end: int, reach: int = 300) -> tuple[int, int]:
    """The line around [start, end), but at most `reach` characters either side."""
    lo = max(0, start - reach)
    hi = min(len(text), end + reach)
    ls = text.rfind("\n", lo, start) + 1 or lo
    le = text.find("\n", end, hi)
    return max(ls, lo), hi if le == -1 else le


# ------------------------------------------------------------------------------- detectors


def _reasons(d: Draft, norm: str) -> None:
    """Read the reason clause, policy ARN and encoded message after `d.end`."""
    tail = norm[d.end : d.end + 700]
    m = g.REASON_IMPLICIT.match(tail)
    if m:
        d.decision = "implicit"
        d.policy_type = g.POLICY_TYPES.get(_squash(m.group("ptype")))  # type: ignore[assignment]
        d.end += m.end()
    else:
        m = g.REASON_EXPLICIT.match(tail)
        if m:
            d.decision = "explicit"
            if m.group("ptype"):
                d.policy_type = g.POLICY_TYPES.get(_squash(m.group("ptype")))  # type: ignore[assignment]
            if m.group("transitive"):
                d.notes.append("denied transitively through a service control policy")
            if m.group("parn"):
                d.policy_arn = clean_token(m.group("parn"))
            d.end += m.end()
        else:
            m = g.REASON_S3.match(tail)
            if m:
                d.notes.append("S3 setting, not an IAM policy: " + _squash(m.group()))
                d.end += m.end()
    _encoded(d, norm)


def _encoded(d: Draft, norm: str) -> None:
    m = g.ENCODED.match(norm, d.end, d.end + 8000)
    if m:
        d.encoded_message = True
        blob = (m.group("blob") or "").replace("\n", "")
        d.encoded_blob = blob if blob and blob != "..." else None
        d.end = m.end()


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def _join_inside(joins: tuple[int, ...], start: int, end: int) -> int | None:
    """The first glued line break strictly inside [start, end), if any."""
    i = bisect.bisect_right(joins, start)
    return joins[i] if i < len(joins) and joins[i] < end else None


@functools.lru_cache(maxsize=4096)
def _known_action(action: str) -> bool | None:
    """Whether the catalog knows `action`; None when the catalog is unavailable."""
    cat = _catalog()
    if cat is None:
        return None
    try:
        return cat.action(action) is not None
    except Exception:
        return None


def _checked_action(action: str, start: int, joins: tuple[int, ...]) -> str:
    """`action`, or its part before a glued break when only that part is a real action.

    A wrap join is a guess; it stands only if it yields a known action.
    """
    j = _join_inside(joins, start, start + len(action))
    if j is None:
        return action
    head = action[: j - start]
    if _known_action(action) is False and _known_action(head):
        return head
    return action


def _detect_core(norm: str, out: list[Draft], joins: tuple[int, ...] = ()) -> None:
    for m in g.CORE_ANCHOR.finditer(norm):
        after = g.CORE_AFTER.match(norm, m.end(), m.end() + 1500)
        if after is None:
            continue
        start = m.start()
        principal = None
        lo = max(0, start - 500)
        before = g.CORE_BEFORE.search(norm, lo, start)
        if before is not None:
            start = before.start()
            principal = before.group("principal") or before.group("bare")
        line_s, line_e = _line_bounds(norm, m.start(), m.end())
        if g.CODE_LINE.search(norm, line_s, line_e):
            continue
        d = Draft(start, after.end(), "iam")
        d.principal = clean_token(principal)
        action = after.group("action")
        if action is None:
            if not principal:
                continue
            d.service = after.group("service")
            d.notes.append("message truncated before the action")
        elif action.lower() != "null":
            d.action = _checked_action(action, after.start("action"), joins)
            d.action_origin = "text"
        if after.group("more"):
            d.extra_actions = tuple(
                a.strip() for a in after.group("more").split(",") if a.strip()
            )
        d.resource = clean_resource(after.group("resource2") or after.group("resource"))
        cont = g.ARN_CONTINUATION.match(norm, after.end())
        if (
            cont
            and d.resource
            and d.resource.startswith("arn:")
            and after.group("resource2")
        ):
            # An ARN broken by an author's wrap: its tail sits right before the clause.
            d.resource = clean_token(d.resource + cont.group("cont"))
            d.end = cont.end()
        if d.resource is not None:
            d.resource = re.sub(r"\s+", " ", d.resource)
        elif after.group("resource"):
            d.notes.append(f"the message names no resource ({_squash(after.group())})")
        # EC2's combined message: the sentence follows "You are not authorized ... operation."
        ec2 = None
        for e in g.EC2_MESSAGE.finditer(norm, max(0, d.start - 120), d.start):
            if not norm[e.end() : d.start].strip():
                ec2 = e
        if ec2 is not None:
            d.start = ec2.start()
            d.family = "ec2+iam"
        _reasons(d, norm)
        out.append(d)


def _simple(
    pattern: re.Pattern[str],
    family: str,
    setup: Callable[[Draft, re.Match[str]], None],
    needles: tuple[str, ...],
) -> Callable[[str, list[Draft]], None]:
    """A detector for `pattern`, run only when one of `needles` occurs in the window.

    Needles are words every match of the pattern contains, whatever the spacing.
    """

    def detect(norm: str, out: list[Draft]) -> None:
        if not any(n in norm for n in needles):
            return
        for m in pattern.finditer(norm):
            d = Draft(m.start(), m.end(), family)
            setup(d, m)
            _encoded(d, norm)
            out.append(d)

    return detect


def _set(**kw: Any) -> Callable[[Draft, re.Match[str]], None]:
    def setup(d: Draft, m: re.Match[str]) -> None:
        for k, v in kw.items():
            if k != "resource_is_endpoint":
                setattr(d, k, v)
        gd = m.groupdict()
        if gd.get("resource"):
            if kw.get("resource_is_endpoint"):
                # An endpoint URL or a related ARN, not the resource the request was for.
                d.notes.append(f"named in the message: {gd['resource']}")
            else:
                d.resource = clean_token(gd["resource"])
        if gd.get("operation"):
            d.operation = gd["operation"]
        if gd.get("service"):
            d.service_hint = gd["service"]

    return setup


def _setup_marketplace(d: Draft, m: re.Match[str]) -> None:
    acts = [a.strip() for a in m.group("actions").split(",") if a.strip()]
    if acts:
        d.action, d.extra_actions = acts[0], tuple(acts[1:])
        d.action_origin = "text"
    d.notes.append("AWS Marketplace subscription needed, not only an IAM permission")


def _setup_apigw(d: Draft, m: re.Match[str]) -> None:
    d.service = "execute-api"
    d.principal = clean_token(m.group("principal"))
    if m.group("explicit"):
        d.decision = "explicit"
        if m.group("ptype"):
            d.policy_type = g.POLICY_TYPES.get(_squash(m.group("ptype")))  # type: ignore[assignment]


def _setup_forbidden(d: Draft, m: re.Match[str]) -> None:
    if m.group("msg"):
        d.start = m.start("msg")


# A queue URL names the queue (`https://sqs.<region>.amazonaws.com/<account>/<name>`); a bare
# endpoint (`https://sqs.us-east-1.amazonaws.com/`) names no resource.
_QUEUE_URL = re.compile(r"https?://[^/\s]+/[^/\s]{1,64}/[^/\s]{1,80}/?\Z")


def _setup_sqs(d: Draft, m: re.Match[str]) -> None:
    d.service = "sqs"
    url = m.group("resource").rstrip(".")
    if _QUEUE_URL.match(url):
        d.resource = url.rstrip("/")
    else:
        d.notes.append(f"named in the message: {url}")


def _setup_efs_csi(d: Draft, m: re.Match[str]) -> None:
    _set()(d, m)
    if not m.group("operation"):
        d.service = "elasticfilesystem"


def _setup_cdk_assume(d: Draft, m: re.Match[str]) -> None:
    _set()(d, m)
    d.action = "sts:AssumeRole"
    d.action_origin = "text"
    d.notes.append(
        "CDK could not assume its bootstrap role; it continued with the caller"
    )


def _setup_bedrock(d: Draft, m: re.Match[str]) -> None:
    d.service = "bedrock"
    d.notes.append("model access, not an IAM policy")


_SIMPLE_DETECTORS: tuple[Callable[[str, list[Draft]], None], ...] = (
    _simple(g.MARKETPLACE, "marketplace", _setup_marketplace, ("Marketplace",)),
    _simple(g.APIGW, "apigw", _setup_apigw, ("authorized",)),
    _simple(g.MAKE_CALL, "makecall", _set(), ("authorized",)),
    _simple(g.LOGS_TAGS, "logs-tags", _set(service="logs"), ("accountId",)),
    _simple(g.EFS, "efs", _set(service="elasticfilesystem"), ("authorized",)),
    _simple(g.EFS_CSI, "efs-csi", _setup_efs_csi, ("Unauthorized", "Denied")),
    _simple(g.CDK_ASSUME, "cdk-assume", _setup_cdk_assume, ("assume",)),
    _simple(g.BEDROCK, "bedrock", _setup_bedrock, ("model", "invoke")),
    _simple(g.SQS, "sqs", _setup_sqs, ("denied",)),
    _simple(g.KMS_CIPHERTEXT, "kms", _set(service="kms"), ("ciphertext",)),
    _simple(g.KMS_NOT_ALLOWED, "kms", _set(service="secretsmanager"), ("KMS",)),
    _simple(
        g.LOGS_KMS,
        "logs-kms",
        _set(service="logs", resource_is_endpoint=True),
        ("KMS",),
    ),
    _simple(g.S3_DISABLED, "s3-disabled", _set(service="s3"), ("disabled",)),
    _simple(g.CT_TRUST, "ct-trust", _set(service="cloudtrail"), ("trust",)),
    _simple(g.EC2_MESSAGE, "ec2", _set(service="ec2"), ("authorized",)),
    _simple(g.FORBIDDEN, "forbidden", _setup_forbidden, ("Forbidden",)),
)


def _detect_s3_bare(norm: str, out: list[Draft], ix: _Index) -> None:
    for m in g.S3_BARE.finditer(norm):
        if not ix.aws_near(m.start() - 1500, m.end() + 1500):
            continue
        out.append(Draft(m.start(), m.end(), "s3-bare", service="s3"))


def _detect_decoded(norm: str, out: list[Draft]) -> None:
    for m in g.DECODED.finditer(norm):
        d = Draft(m.start(), m.end(), "decoded", source="decoded")
        d.decision = "explicit" if m.group("ex") == "true" else "implicit"
        hi = min(len(norm), m.end() + 20000)
        p = g.DECODED_PRINCIPAL.search(norm, m.end(), hi)
        if p:
            d.principal = p.group("v")
            d.end = max(d.end, p.end())
        a = g.DECODED_ACTION.search(norm, m.end(), hi)
        if a:
            action, resource = a.group("v"), a.group("r")
            d.resource = resource or None
            if ":" not in action and resource.startswith("arn:"):
                parts = resource.split(":")
                if len(parts) > 2 and parts[2]:
                    action = f"{parts[2]}:{action}"
            if ":" in action:
                d.action = action
                d.action_origin = "text"
            else:
                d.operation = action
            d.end = max(d.end, a.end())
        out.append(d)


def _bodiless(status: str | None, msg: str | None) -> bool:
    """A 403 whose body said nothing (HEAD requests): an authorization failure."""
    return status == "403" and (msg or "").strip().lower() in g.BODILESS_MESSAGES


def _detect_java_fallback(norm: str, out: list[Draft]) -> None:
    for m in g.JAVA_FALLBACK.finditer(norm):
        code = m.group("code") or ""
        cls = m.group("cls")
        msg = m.group("msg").rstrip()
        if not (
            _DENIAL_CODES.search(code.replace(" ", ""))
            or _DENIAL_CODES.search(cls.rsplit(".", 1)[-1])
            or _bodiless(m.group("status"), msg)
        ):
            continue
        if msg:
            d = Draft(m.start("msg"), m.start("msg") + len(msg), "java")
        else:
            # No message at all: the exception and its envelope are the denial text.
            d = Draft(m.start("cls"), m.end(), "java")
            d.request_id = m.group("request_id") or None
        d.service_hint = m.group("service")
        d.error_code = code or cls
        out.append(d)


def _detect_kotlin(norm: str, out: list[Draft]) -> None:
    """Kotlin SDK: `S3Exception: Service returned error code 403: Forbidden, ...`."""
    if "returned" not in norm:
        return
    for m in g.KOTLIN.finditer(norm):
        code, msg = m.group("code"), m.group("msg")
        if not (
            _DENIAL_CODES.search(code)
            or _bodiless(m.group("status"), msg)
            or (code == "403" and _bodiless("403", msg))
        ):
            continue
        if msg and g.CREDENTIAL_FAILURE.search(msg):
            continue
        d = Draft(m.start("cls"), m.end(), "kotlin")
        d.error_code = code
        d.request_id = m.group("request_id")
        out.append(d)


def _detect_js_bodiless(norm: str, out: list[Draft], ix: _Index) -> None:
    """JS SDK v2 `Forbidden: null` and its `code: 'Forbidden', statusCode: 403` props."""
    last_header = -10_000
    found: list[Draft] = []
    for m in g.JS_BODILESS.finditer(norm):
        if not ix.aws_near(m.start() - 1500, m.end() + 3000):
            continue
        d = Draft(m.start(), m.end(), "js-bodiless")
        d.error_code = m.group("code")
        d.request_id = _js_request_id(norm, m.end())
        svc = g.JS_SERVICE.search(norm, m.end(), m.end() + 3000)
        d.service_hint = svc.group("service") if svc else None
        found.append(d)
    headers = [d.start for d in found]
    for m in g.JS_PROPS.finditer(norm):
        if m.group("status") not in ("403", "400", "401"):
            continue
        i = bisect.bisect_right(headers, m.start()) - 1
        if i >= 0 and m.start() - headers[i] < 6000:
            continue  # the props of an error already reported by its header line
        if m.start() - last_header < 600 or not ix.aws_near(
            m.start() - 600, m.end() + 600
        ):
            continue
        last_header = m.start()
        d = Draft(m.start(), m.end(), "js-bodiless")
        d.error_code = m.group("code")
        d.request_id = _js_request_id(norm, max(0, m.start() - 600))
        found.append(d)
    out.extend(found)


def _js_request_id(norm: str, pos: int) -> str | None:
    rid = g.JS_REQUEST_ID.search(norm, pos, pos + 1500)
    value = rid.group("request_id") if rid else None
    return None if value in (None, "null", "undefined") else value


def _detect_go_v1_empty(norm: str, out: list[Draft]) -> None:
    for m in g.GO_V1_EMPTY.finditer(norm):
        d = Draft(m.start(), m.end(), "go-v1-empty")
        d.error_code = m.group("code")
        d.request_id = m.group("request_id") or None
        if m.group("host"):
            d.service_hint = "s3"  # only S3 returns a host id
        out.append(d)


def _detect_go_v2(norm: str, out: list[Draft]) -> None:
    """Go SDK v2 envelopes whose message no grammar knows (or that have none: HEAD 403)."""
    for m in g.GO_V2.finditer(norm):
        code = m.group("code")
        if code:
            if not _DENIAL_CODES.search(code):
                continue
        elif m.group("status") != "403":
            continue
        end = m.end()
        eol = norm.find("\n", end, end + 400)
        msg_end = end + 400 if eol == -1 else eol
        msg = norm[end:msg_end].rstrip()
        # The message (if any) belongs to the draft, so a grammar that reads it wins.
        e = end + len(msg) if msg else end
        while e > m.start() and norm[e - 1] in " ,\t":
            e -= 1
        d = Draft(m.start(), e, "go-v2")
        d.error_code = code or m.group("status")
        d.operation = m.group("operation")
        d.service_hint = m.group("service")
        d.request_id = m.group("request_id") or None
        out.append(d)


def _detect_botocore_fallback(norm: str, out: list[Draft]) -> None:
    for m in g.BOTOCORE_ANY.finditer(norm):
        code = m.group("code")
        if not _DENIAL_CODES.search(code):
            continue
        msg = m.group("msg").rstrip()
        if not msg:
            continue  # a message on the next line is found by its own grammar
        if "NotAuthorized" in code and g.CREDENTIAL_FAILURE.search(msg):
            continue  # Cognito: wrong credentials, not a missing permission
        s = m.start("msg") if msg else m.start()
        e = m.start("msg") + len(msg) if msg else m.end()
        d = Draft(s, e, "envelope")
        d.error_code = code
        d.operation = m.group("operation")
        _encoded(d, norm)
        out.append(d)


# ------------------------------------------------------------------------------- enrichment


_ENVELOPES: dict[str, re.Pattern[str]] = {
    "botocore": g.BOTOCORE,
    "go_v2": g.GO_V2,
    "java_old": g.JAVA_V1_OLD,
    "code": g.CODE_PREFIX,
}


class _Index:
    """Envelope matches and context-word positions of one window, found once (linear)."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self._env: dict[str, tuple[list[int], list[re.Match[str]]]] = {}
        self._aws: list[int] | None = None
        self._neg: list[int] | None = None

    def before(self, name: str, start: int, reach: int) -> re.Match[str] | None:
        """The `name` envelope ending right before `start` (only blanks between)."""
        if name not in self._env:
            ms = list(_ENVELOPES[name].finditer(self.norm))
            self._env[name] = ([m.end() for m in ms], ms)
        ends, ms = self._env[name]
        i = bisect.bisect_right(ends, start) - 1
        while i >= 0:
            m = ms[i]
            if m.start() < start - reach:
                return None
            if not self.norm[m.end() : start].strip(" \t\n:"):
                return m
            if m.end() < start - 2:
                return None
            i -= 1
        return None

    @staticmethod
    def _any(positions: list[int], lo: int, hi: int) -> bool:
        i = bisect.bisect_left(positions, lo)
        return i < len(positions) and positions[i] < hi

    def aws_near(self, lo: int, hi: int) -> bool:
        if self._aws is None:
            self._aws = [m.start() for m in g.AWS_CONTEXT.finditer(self.norm)]
        return self._any(self._aws, lo, hi)

    def negative_near(self, lo: int, hi: int) -> bool:
        if self._neg is None:
            self._neg = [m.start() for m in g.NEGATIVE_CONTEXT.finditer(self.norm)]
        return self._any(self._neg, lo, hi)


def _enrich(d: Draft, norm: str, ix: _Index) -> None:
    m = ix.before("botocore", d.start, 700)
    if m:
        d.error_code = d.error_code or m.group("code")
        d.operation = d.operation or m.group("operation")
    else:
        m2 = ix.before("go_v2", d.start, 700)
        if m2:
            d.operation = d.operation or m2.group("operation")
            d.service_hint = d.service_hint or m2.group("service")
            d.request_id = d.request_id or (m2.group("request_id") or None)
            d.error_code = d.error_code or m2.group("code")
        m3 = ix.before("java_old", d.start, 700)
        if m3:
            d.service_hint = d.service_hint or m3.group("service")
            d.request_id = d.request_id or m3.group("request_id")
            d.error_code = d.error_code or m3.group("code")
    if d.error_code is None:
        m4 = ix.before("code", d.start, 200)
        if m4:
            d.error_code = m4.group("code")
    if d.service_hint is None:
        ls, _ = _line_bounds(norm, d.start, d.start)
        classes = list(g.SERVICE_CLASS.finditer(norm, ls, d.start))
        cls = classes[-1] if classes else None
        if cls is not None:
            d.service_hint = next(v for v in cls.groups() if v)
    if d.operation is None:
        ls, _ = _line_bounds(norm, d.start, d.start)
        m5 = g.CDK_CALL.search(norm, ls, d.start)
        if m5:
            d.operation = _upper_camel(m5.group("operation"))
    sfx = g.JAVA_SUFFIX.match(norm, d.end, d.end + 400)
    if sfx:
        d.service_hint = d.service_hint or sfx.group("service")
        d.request_id = d.request_id or sfx.group("request_id") or None
        d.error_code = d.error_code or sfx.group("code")
    else:
        sfx2 = g.GO_V1_SUFFIX.match(norm, d.end, d.end + 400)
        if sfx2:
            d.request_id = d.request_id or sfx2.group("request_id") or None
            if sfx2.group("host") and d.service is None:
                d.service_hint = d.service_hint or "s3"
    if d.family == "efs" and d.service_hint:
        d.service_hint = None  # "Service:Efs" is already reflected in service
    if d.request_id is not None and d.request_id in ("...", ""):
        d.request_id = None


def _finish(d: Draft) -> None:
    """Action, service and canonical names from what the text carries plus the catalog."""
    if d.action:
        d.action = _canonical_action(d.action)
    d.extra_actions = tuple(_canonical_action(a) for a in d.extra_actions if ":" in a)
    if d.operation:
        d.operation = _upper_camel(d.operation)
    hint_service = _service_from_hint(d.service_hint)
    if d.service is None and not d.action:
        if hint_service:
            d.service = hint_service
        elif d.error_code and "UnauthorizedOperation" in d.error_code:
            d.service = "ec2"
    if d.action is None and d.operation:
        derived = _action_for_operation(d.operation, d.service or hint_service)
        if derived:
            d.action = derived
            d.action_origin = "operation"
            d.notes.append(f"action {derived} derived from the {d.operation} operation")
    if d.action:
        d.service = d.action.split(":", 1)[0]
    elif d.service is None and d.operation and hint_service:
        d.service = hint_service


# ------------------------------------------------------------------------------- driver


def _claim(drafts: list[Draft]) -> list[Draft]:
    """Drop drafts overlapping an earlier (higher-priority) one."""
    starts: list[int] = []
    kept: list[Draft] = []  # sorted by start, pairwise disjoint
    for d in drafts:
        if d.end <= d.start:
            continue
        i = bisect.bisect_left(starts, d.end)
        if i > 0 and kept[i - 1].end > d.start:
            continue
        starts.insert(i, d.start)
        kept.insert(i, d)
    return kept


def _scan_normalized(norm: str, joins: tuple[int, ...] = ()) -> list[Draft]:
    ix = _Index(norm)
    drafts: list[Draft] = []
    _detect_core(norm, drafts, joins)
    _detect_decoded(norm, drafts)
    for det in _SIMPLE_DETECTORS:
        det(norm, drafts)
    _detect_s3_bare(norm, drafts, ix)
    _detect_botocore_fallback(norm, drafts)
    _detect_java_fallback(norm, drafts)
    _detect_kotlin(norm, drafts)
    _detect_js_bodiless(norm, drafts, ix)
    _detect_go_v1_empty(norm, drafts)
    _detect_go_v2(norm, drafts)
    kept = _claim(drafts)
    # An envelope whose message continues on the next line belongs to that message.
    filtered: list[Draft] = []
    for i, d in enumerate(kept):
        nxt = kept[i + 1] if i + 1 < len(kept) else None
        if (
            d.family == "envelope"
            and nxt is not None
            and not norm[d.end : nxt.start].strip()
        ):
            continue
        filtered.append(d)
    out: list[Draft] = []
    for d in filtered:
        if _negative(d, ix):
            continue
        _enrich(d, norm, ix)
        out.append(d)
    out = merge_cloudtrail(norm, out)
    for d in out:
        _finish(d)
    out.sort(key=lambda d: d.start)
    return out


# Every family but the IAM sentence (which checks its own line) and decoded messages.
_CODE_SENSITIVE = frozenset(
    {
        "s3-bare",
        "forbidden",
        "envelope",
        "java",
        "kotlin",
        "ec2",
        "sqs",
        "s3-disabled",
        "js-bodiless",
        "go-v1-empty",
        "go-v2",
        "kms",
        "logs-kms",
        "ct-trust",
        "efs",
        "efs-csi",
        "apigw",
        "makecall",
        "bedrock",
    }
)


def _negative(d: Draft, ix: _Index) -> bool:
    """Other clouds and systems, or source code: the same words, not an AWS denial."""
    if d.family == "forbidden" and not ix.aws_near(d.start - 1500, d.end + 1500):
        return True  # a bare "Forbidden: Forbidden" from some other HTTP client
    if d.family in _CODE_SENSITIVE:
        ls, le = _line_bounds(ix.norm, d.start, d.end)
        if g.CODE_LINE.search(ix.norm, ls, le):
            return True
    span = 300 if d.family in ("iam", "ec2+iam") and d.action and d.principal else 1500
    return ix.negative_near(d.start - span, d.end + span)


def _prefilter_hits(text: str) -> list[int]:
    hits: list[int] = []
    for lit in g.PREFILTER_LITERALS:
        i = text.find(lit)
        while i != -1:
            hits.append(i)
            i = text.find(lit, i + WINDOW_CONTEXT)
    hits.sort()
    return hits


def _windows(text: str) -> list[tuple[int, int]]:
    hits = _prefilter_hits(text)
    if not hits:
        return []
    if len(text) <= SMALL_TEXT:
        return [(0, len(text))]
    wins: list[tuple[int, int]] = []
    for h in hits:
        s = text.rfind("\n", 0, max(0, h - WINDOW_CONTEXT)) + 1
        e = text.find("\n", min(len(text), h + WINDOW_CONTEXT))
        e = len(text) if e == -1 else e
        if wins and s <= wins[-1][1]:
            wins[-1] = (wins[-1][0], max(wins[-1][1], e))
        else:
            wins.append((s, e))
    return wins


def _to_denial(
    d: Draft, nz: Normalized, base: int, text: str, index: LineIndex
) -> Denial:
    s = base + nz.orig_start(d.start)
    e = base + nz.orig_end(d.end)
    # Trim whitespace the normalizer folded into the ends.
    while e > s and text[e - 1] in " \t\r\n":
        e -= 1
    while s < e and text[s] in " \t\r\n":
        s += 1
    return Denial(
        span=index.span(s, e),
        text=redact(text[s:e]),
        principal=d.principal,
        action=d.action,
        resource=d.resource,
        decision=d.decision,
        policy_type=d.policy_type,
        policy_arn=d.policy_arn,
        service=d.service,
        operation=d.operation,
        encoded_message=d.encoded_message,
        encoded_blob=d.encoded_blob,
        request_id=d.request_id,
        error_code=d.error_code,
        extra_actions=d.extra_actions,
        source=d.source,
        action_origin=d.action_origin,
        notes=tuple(d.notes),
    )


def scan_text(text: str, index: LineIndex | None = None) -> list[Denial]:
    """Every AWS access denial in `text`, in order; spans relative to `text`."""
    from accessdenied.denials.delivery import scan_delivery

    delivered = scan_delivery(text, index)
    wins = _windows(text)
    if not wins:
        return delivered
    index = index or LineIndex(text)
    found: list[Denial] = []
    for ws, we in wins:
        nz = normalize(text[ws:we])
        for d in _scan_normalized(nz.text, nz.joins):
            found.append(_to_denial(d, nz, ws, text, index))
    if delivered:
        # Delivery failures (no IAM sentence) merged in text order.
        # A message inside a delivery record (its provider response) is that record.
        found = [
            d
            for d in found
            if not any(
                x.span.start <= d.span.start and d.span.end <= x.span.end
                for x in delivered
            )
        ]
        found += delivered
        found.sort(key=lambda d: d.span.start)
    return found


def with_span(denial: Denial, **changes: Any) -> Denial:
    """A copy of `denial` with fields replaced (a frozen-dataclass helper for callers)."""
    return replace(denial, **changes)
