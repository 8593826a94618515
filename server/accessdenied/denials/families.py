"""The detectors: one per message family of `grammars.py`, matches -> `Draft`s.

Each works on a normalized window (reason clauses, encoded messages and rewrap checks
included).
`detect(norm, joins, ix)` runs them all in priority order; overlaps are resolved by the caller.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

from accessdenied.denials import grammars as g
from accessdenied.denials.draft import (
    Draft,
    clean_resource,
    clean_token,
    line_bounds,
    squash,
)
from accessdenied.denials.enrich import WindowIndex
from accessdenied.denials.lookup import known_action

_DENIAL_CODES = re.compile(
    r"(?:^|[.:])(?:AccessDenied(?:Exception)?|UnauthorizedOperation|AuthorizationError"
    r"(?:Exception)?|Forbidden(?:Exception)?|403|UnauthorizedException|"
    r"NotAuthorized(?:Exception)?|AllAccessDisabled)$"
)


def _reasons(d: Draft, norm: str) -> None:
    """Read the reason clause, policy ARN and encoded message after `d.end`."""
    tail = norm[d.end : d.end + 700]
    m = g.REASON_IMPLICIT.match(tail)
    if m:
        d.decision = "implicit"
        d.policy_type = g.POLICY_TYPES.get(squash(m.group("ptype")))  # type: ignore[assignment]
        d.end += m.end()
    else:
        m = g.REASON_EXPLICIT.match(tail)
        if m:
            d.decision = "explicit"
            if m.group("ptype"):
                d.policy_type = g.POLICY_TYPES.get(squash(m.group("ptype")))  # type: ignore[assignment]
            if m.group("transitive"):
                d.notes.append("denied transitively through a service control policy")
            if m.group("parn"):
                d.policy_arn = clean_token(m.group("parn"))
            d.end += m.end()
        else:
            m = g.REASON_S3.match(tail)
            if m:
                d.notes.append("S3 setting, not an IAM policy: " + squash(m.group()))
                d.end += m.end()
    _encoded(d, norm)


def _encoded(d: Draft, norm: str) -> None:
    m = g.ENCODED.match(norm, d.end, d.end + 8000)
    if m:
        d.encoded_message = True
        blob = (m.group("blob") or "").replace("\n", "")
        d.encoded_blob = blob if blob and blob != "..." else None
        d.end = m.end()


def _join_inside(joins: tuple[int, ...], start: int, end: int) -> int | None:
    """The first glued line break strictly inside [start, end), if any."""
    i = bisect.bisect_right(joins, start)
    return joins[i] if i < len(joins) and joins[i] < end else None


def _checked_action(action: str, start: int, joins: tuple[int, ...]) -> str:
    """`action`, or its part before a glued break when only that part is a real action.

    A wrap join is a guess; it stands only if it yields a known action.
    """
    j = _join_inside(joins, start, start + len(action))
    if j is None:
        return action
    head = action[: j - start]
    if known_action(action) is False and known_action(head):
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
        line_s, line_e = line_bounds(norm, m.start(), m.end())
        if g.is_code_line(norm, line_s, line_e):
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
            d.notes.append(f"the message names no resource ({squash(after.group())})")
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
            d.policy_type = g.POLICY_TYPES.get(squash(m.group("ptype")))  # type: ignore[assignment]


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


def _detect_s3_bare(norm: str, out: list[Draft], ix: WindowIndex) -> None:
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
        if msg and g.CREDENTIAL_FAILURE.search(msg):
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


def _detect_js_bodiless(norm: str, out: list[Draft], ix: WindowIndex) -> None:
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
        op = g.JS_OPERATION.search(norm, m.end(), m.end() + 3000)
        if op:
            d.operation = op.group("op") or op.group("op2")
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
        d = Draft(m.start(), m.end(), "js-props")
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
        if g.CREDENTIAL_FAILURE.search(msg):
            # Wrong or expired credentials under an authorization code (Cognito's
            # NotAuthorizedException, SSO's "Session token not found"): no permission
            # is missing. Known denial wordings are found by their own grammars.
            continue
        s = m.start("msg") if msg else m.start()
        e = m.start("msg") + len(msg) if msg else m.end()
        d = Draft(s, e, "envelope")
        d.error_code = code
        d.operation = m.group("operation")
        _encoded(d, norm)
        out.append(d)


def detect(norm: str, joins: tuple[int, ...], ix: WindowIndex) -> list[Draft]:
    """Every family's drafts in `norm`, highest priority first."""
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
    return drafts
