"""One named regex per message family (shared/reference/denial-formats.md).

All patterns run on normalized text (see `normalize.py`): escapes undone, ANSI removed,
wrapped tokens rejoined, real line breaks kept as `\\n`. Fixed phrases use `\\s*` between
words because a terminal wrap can glue two words together.

Every quantifier is bounded or over a class that cannot overlap its neighbour, so matching is
linear in the window (tests/unit/denials/test_linear_time.py).
"""

from __future__ import annotations

import re

# Literals at least one of which occurs in every denial family: the prefilter.
PREFILTER_LITERALS: tuple[str, ...] = (
    "uthoriz",  # not authorized / Unauthorized / AuthorizationError
    "enied",  # Access Denied / AccessDenied / is denied / Access denied
    "Forbidden",
    "not allowed",
    "has been disabled",
    "explicitDeny",
    "have access to the model",
    "could not be used to assume",
    "Code: 403",  # bodiless 403 envelopes: Java `Status Code: 403`, Go v2 `StatusCode: 403`
    "UnknownError",  # JS SDK v3 bodiless 403: `403: UnknownError`
)

# Byte patterns that confirm a literal hit is worth parsing: every family contains one, the
# near misses of plain logs ("Authorization: Bearer", "Forbidden path", "not allowed while")
# do not. Hyperscan runs them directly; the stdlib path checks them around literal hits.
# Words may be separated by any short run of non-alphanumerics (wraps, box prefixes).
_SEP = rb"[^A-Za-z0-9]{0,12}"
_CODES = (
    rb"(?:AccessDenied|Unauthorized|NotAuthorized|AuthorizationError|Forbidden|403)"
)
STRONG_PATTERNS: tuple[bytes, ...] = (
    # The IAM sentence and its service variants (perform / access / make / invoke).
    # (`to` may itself be wrapped: "not authorized t\no perform").
    rb"[Nn]ot" + _SEP + rb"[Aa]uthorized" + _SEP + rb"t",
    rb"[Uu]nauthorized" + _SEP + rb"to" + _SEP + rb"perform",
    rb"UnauthorizedOperation",
    rb"(?:UnauthorizedAccess|NotAuthorized[A-Za-z]{0,12})[\\\"]",
    rb"AccessDenied",
    rb"Access[ \t\r\n]Denied",
    rb"Access denied\.",
    rb"Access" + _SEP + rb"to" + _SEP + rb"the" + _SEP + rb"resource",
    rb"access" + _SEP + rb"is" + _SEP + rb"denied",
    # Error codes in envelopes: botocore `(Code)`, Go v1 `Code: \n status code`.
    rb"\((?:Client\.)?" + _CODES + rb"[A-Za-z]{0,20}\)",
    rb"(?:NotAuthorized|Unauthorized|AuthorizationError)[A-Za-z]{0,20}:"
    + _SEP
    + rb"status"
    + _SEP
    + rb"code",
    rb"AuthorizationError",
    rb"Encoded" + _SEP + rb"authorization" + _SEP + rb"failure",
    rb"ForbiddenException",
    rb"403:" + _SEP + rb"UnknownError",  # JS SDK v3, bodiless HEAD 403
    rb"Forbidden(?::"
    + _SEP
    + rb"(?:Forbidden|null|UnknownError)|\\?[\"']|"
    + _SEP
    + rb"\(Service)",
    rb"(?:operation:|api error|Error Code)" + _SEP + rb"Forbidden",
    rb"not"
    + _SEP
    + rb"allowed"
    + _SEP
    + rb"to"
    + _SEP
    + rb"(?:access|be"
    + _SEP
    + rb"used)",
    rb"KMS" + _SEP + rb"is" + _SEP + rb"not" + _SEP + rb"allowed",
    rb"object" + _SEP + rb"has" + _SEP + rb"been" + _SEP + rb"disabled",
    rb"explicitDeny\\?\"",  # the decoded message's JSON key
    rb"have access to the model",
    rb"could not be used to assume",
    # Bodiless 403s: Java `(Service: S3, Status Code: 403`, Go v2 `StatusCode: 403, RequestID`.
    rb"Service:[^;,)\n]{1,60}[;,] ?Status Code: 403",
    rb"StatusCode: 403, RequestID",
    rb"error code 403",  # Kotlin SDK: `Service returned error code 403: Forbidden`
)
STRONG = re.compile(b"|".join(b"(?:" + p + b")" for p in STRONG_PATTERNS))
STRONG_TEXT = re.compile(STRONG.pattern.decode("ascii"))  # the same, on decoded text

# A token of a principal/resource: no whitespace or quotes; `<account id>`-style
# placeholders (which may contain a space) count as one token part.
_TOK = (
    r"(?:<(?!/)[^<>\n\"`]{0,40}>|\[[^\[\]\n\"`]{1,40}\](?=[:/])|(?<=:)\"[^\"\n:]{1,40}\"(?=:)"
    r"|[^\s\"'`<>\)\]\[,;]"
    # A stray space before an ARN's colon, as redaction leaves it (`xxxx :user/bob`).
    r"|(?<=[\w*\]>}])[ ](?=:[a-z][\w-]{0,40}/))"
)
# An opening or closing quote mark around a token (markdown code, quoted values).
_Q = r"[`'\"]?"

WS = r"[ \t\n]*"

POLICY_TYPES = {
    "identity-based policy": "identity",
    "identity-based policies": "identity",
    "resource-based policy": "resource",
    "resource-based policies": "resource",
    "service control policy": "scp",
    "service control policies": "scp",
    "resource control policy": "rcp",
    "resource control policies": "rcp",
    "vpc endpoint policy": "vpc_endpoint",
    "vpc endpoint policies": "vpc_endpoint",
    "permissions boundary": "permissions_boundary",
    "permissions boundaries": "permissions_boundary",
    "permission boundary": "permissions_boundary",
    "session policy": "session",
    "sessions policy": "session",
    "session policies": "session",
    "role trust policy": "resource",
    "trust policy": "resource",
}
# Words that start the clause after a resource, never part of its name.
_CLAUSE = r"(?:because|with|due|for|and|after|when|while)\b"
_PTYPE = (
    r"(?:identity-based\s*polic(?:y|ies)|resource-based\s*polic(?:y|ies)|"
    r"service\s*control\s*polic(?:y|ies)|resource\s*control\s*polic(?:y|ies)|"
    r"VPC\s*endpoint\s*polic(?:y|ies)|permissions?\s*boundar(?:y|ies)|"
    r"sessions?\s*polic(?:y|ies)|(?:role\s*)?trust\s*policy)"
)

# --- the core IAM sentence ---------------------------------------------------------------
# `User: <p> is not authorized to perform: <a> on resource: <r> <reason>[: <policy-arn>]`
# Found by its anchor; the principal is read backwards, the rest forwards.
CORE_ANCHOR = re.compile(r"(?:is\s*)?not\s*authorized\s*to\s*perform:?", re.IGNORECASE)
CORE_BEFORE = re.compile(
    r"(?:User(?:(?::[ \t\n]*|[ \t]+(?="
    + _Q
    + r"arn:))"
    + _Q
    + r"(?P<principal>"
    + _TOK
    + r"{1,400}?)"
    + _Q
    + r"|[ \t\n]+(?:with\s*accountId:"
    r"\s*[^\s]{1,40}\s*)?|)|(?P<you>You\s*are)|(?P<role>service\s*role)"
    # The principal ARN first, without `User:` ("Role arn:... is not authorized").
    r"|(?<![\w:/.-])"
    + _Q
    + r"(?P<bare>arn:[A-Za-z0-9-]{1,20}:[A-Za-z0-9-]{1,40}:"
    + _TOK
    + r"{1,400}?)"
    + _Q
    + r")[ \t\n]*\Z"
)
CORE_AFTER = re.compile(
    r"[ \t]*\n?[ \t]*"
    + _Q
    + r"(?:(?P<action>(?:[A-Za-z][A-Za-z0-9-]{0,40}:[A-Za-z0-9*]{1,80})|null(?![\w-]))"
    r"|(?P<service>[a-z][a-z0-9-]{1,40})(?=[ \t]*\(truncated))"
    + _Q
    + r"(?:,[ \t]*(?P<more>(?:[A-Za-z][A-Za-z0-9-]{0,40}:[A-Za-z0-9*]{1,80}[ \t]*,?[ \t]*)"
    r"{1,10}))?"
    r"(?:[ \t\n]*on[ \t\n]*(?P<resource>(?:this|the\s*specified|the)\s*resource(?![\w:-])|"
    r"(?:(?:the\s*)?resource:?[ \t]*\n?[ \t]*)?"
    r"(?P<resource2>\"[^\"\n]{1,600}\"|`[^`\n]{1,600}`|'[^'\n]{1,600}'|"
    # IAM names some resources by type and name: `role x`, `access key AKIA...`.
    r"(?:(?!"
    + _CLAUSE
    + r")[a-z][a-z-]{1,25}[ \t](?=[\w-])(?!"
    + _CLAUSE
    + r")){0,3}"
    + _TOK
    + r"{1,600}?))"
    r"(?=because[ \t\n]|with\s*an\s*explicit|\.\s|\.$|\.\Z|[\s\"'`\)\]\[,;]|[!?](?:\s|\Z)"
    r"|</|\Z))?",
)
# The rest of an ARN on the next line, right before the reason clause.
ARN_CONTINUATION = re.compile(
    r"\n(?P<cont>[^\s\"'`<>,;]{1,300}?)[.,;]?(?=[ \t]+(?:because\s|with\s+an\s+explicit))"
)
# Reason clauses right after the sentence (searched in the few hundred characters after it).
REASON_IMPLICIT = re.compile(
    r"[ \t\n.]*because\s*(?:no|the)\s*(?P<ptype>" + _PTYPE + r")\s*allows?"
    r"(?:\s*the\s*(?P<raction>[A-Za-z][A-Za-z0-9-]{0,40}:[A-Za-z0-9*]{1,80})\s*action)?",
    re.IGNORECASE,
)
REASON_EXPLICIT = re.compile(
    r"[ \t\n.]*(?:with|due\s*to)\s*an\s*explicit\s*deny"
    r"(?:\s*in\s*(?:a|an|the)\s*(?P<ptype>" + _PTYPE + r"))?"
    r"(?P<transitive>\s*transitively\s*through\s*an?\s*service\s*control\s*policy)?"
    r"(?:[ \t]*:[ \t\n]*(?P<parn>(?:arn:[A-Za-z0-9-]{1,20}:[A-Za-z0-9-]{1,40}:|\.\.\./)"
    + _TOK
    + r"{1,300}?)(?=\.?(?:[\s\"'`\)\],;]|\Z)))?",
    re.IGNORECASE,
)
REASON_S3 = re.compile(
    r"[ \t\n.]*because\s*(?:public\s*(?:ACLs|policies)\s*are\s*prevented\s*by\s*the\s*"
    r"\w{1,30}\s*setting\s*in\s*S3\s*Block\s*Public\s*Access|this\s*bucket\s*has\s*blocked"
    r"[^.\n]{1,200})\.?",
    re.IGNORECASE,
)

# --- service-specific wordings -------------------------------------------------------------
EC2_MESSAGE = re.compile(
    r"You\s*are\s*not\s*authorized\s*to\s*perform\s*this\s*operation\.?"
)
ENCODED = re.compile(
    r"[ \t\n.]*Encoded\s*authorization\s*failure\s*message:[ \t]*"
    r"(?P<blob>[A-Za-z0-9_\-]{1,6000}(?:\n[A-Za-z0-9_\-]{20,6000}){0,30}|\.\.\.|)"
)
S3_BARE = re.compile(r"(?<![\w-])Access[ \t\n]Denied(?![\w-])(?!\.\s*Check the trust)")
FORBIDDEN = re.compile(
    r"(?:\((?:403|Forbidden)\)\s*when\s*calling\s*the\s*\w{1,80}\s*operation:\s*"
    r"|api\s*error\s*Forbidden:\s*|(?<![\w.])Forbidden:\s*)"
    r"(?P<msg>Forbidden)(?![\w-])"
    r"|(?P<net>Error\s*making\s*request\s*with\s*Error\s*Code\s*Forbidden\s*and\s*Http"
    r"\s*Status\s*Code\s*Forbidden\.?)"
)
SQS = re.compile(
    r"Access\s*to\s*the\s*resource\s*(?P<resource>https?://[^\s\"']{1,200}?)\s*is\s*denied\.?"
)
KMS_CIPHERTEXT = re.compile(
    r"The\s*ciphertext\s*refers\s*to\s*a\s*customer\s*master\s*key\s*that\s*does\s*not\s*"
    r"exist,\s*does\s*not\s*exist\s*in\s*this\s*region,\s*or\s*you\s*are\s*not\s*allowed"
    r"\s*to\s*access\.?"
)
KMS_NOT_ALLOWED = re.compile(r"Access\s*to\s*KMS\s*is\s*not\s*allowed\.?")
LOGS_KMS = re.compile(
    r"The\s*specified\s*KMS\s*key\s*does\s*not\s*exist\s*or\s*is\s*not\s*allowed\s*to\s*be"
    r"\s*used\s*with\s*(?:Arn|ARN)\s*'(?P<resource>[^'\n]{1,400})'"
)
LOGS_TAGS = re.compile(
    r"User\s*with\s*accountId:\s*(?P<account>[^\s]{1,40})\s*is\s*not\s*authorized\s*to\s*"
    r"perform\s*(?P<operation>\w{1,80})(?:\s*with\s*Tags)?"
)
EFS = re.compile(
    r"User\s*is\s*not\s*authorized\s*to\s*perform\s*that\s*action\s*on\s*the\s*specified"
    r"\s*resource(?:\s*Service:\s*(?P<service>\w{1,40}))?"
)
EFS_CSI = re.compile(
    r"(?<![\w])Unauthorized\s*to\s*perform\s*operation\s*(?P<operation>\w{1,80})\.?"
    r"|Access\s*Denied\.\s*Please\s*ensure\s*you\s*have\s*the\s*right\s*AWS\s*permissions"
)
BEDROCK = re.compile(
    r"You\s*don't\s*have\s*access\s*to\s*the\s*model\s*with\s*the\s*specified\s*model\s*ID\.?"
    r"|Your\s*account\s*is\s*not\s*authorized\s*to\s*invoke\s*this\s*API\s*operation\.?"
)
MARKETPLACE = re.compile(
    r"Model\s*access\s*is\s*denied\s*due\s*to\s*IAM\s*user\s*or\s*service\s*role\s*is\s*not"
    r"\s*authorized\s*to\s*perform\s*the\s*required\s*AWS\s*Marketplace\s*actions\s*"
    r"\((?P<actions>[^)\n]{1,400})\)"
)
APIGW = re.compile(
    r"User(?::[ \t]*" + _Q + r"(?P<principal>" + _TOK + r"{1,400}?)" + _Q + r"[ \t]+)?"
    r"\s*is\s*not\s*authorized\s*to\s*access\s*this\s*resource"
    r"(?P<explicit>\s*with\s*an\s*explicit\s*deny(?:\s*in\s*an?\s*(?P<ptype>"
    + _PTYPE
    + r"))?)?"
)
MAKE_CALL = re.compile(r"User\s*is\s*not\s*authorized\s*to\s*make\s*this\s*call\.?")
S3_DISABLED = re.compile(r"All\s*access\s*to\s*this\s*object\s*has\s*been\s*disabled")
CT_TRUST = re.compile(
    r"Access\s*denied\.\s*Check\s*the\s*trust\s*relationships\s*for\s*your\s*role\.?"
)
DECODED = re.compile(
    r"\"allowed\"\s*:\s*false\s*,\s*\"explicitDeny\"\s*:\s*(?P<ex>true|false)"
)
DECODED_PRINCIPAL = re.compile(
    r"\"context\"\s*:\s*\{\s*\"principal\"\s*:\s*\{[^{}]{0,400}?\"arn\"\s*:\s*\"(?P<v>[^\"]{1,400})\""
)
DECODED_ACTION = re.compile(
    r"\"action\"\s*:\s*\"(?P<v>[^\"]{1,200})\"\s*,\s*\"resource\"\s*:\s*\"(?P<r>[^\"]{0,800})\""
)

CDK_ASSUME = re.compile(
    r"current\s*credentials\s*could\s*not\s*be\s*used\s*to\s*assume\s*'(?P<resource>"
    r"arn:[^'\s]{1,300})'"
)
# A Java SDK exception whose message is not a known wording: the suffix says it is a denial.
JAVA_FALLBACK = re.compile(
    # Starts only at a word start, so each word is tried once (linear).
    r"(?<![\w$])(?P<cls>\w{0,71}Exception):[ \t]*(?P<msg>[^\n(]{0,400}?)[ \t]*\(Service:\s*"
    r"(?P<service>[^;,)\n]{1,60})[;,]\s*Status\s*Code:\s*(?P<status>\d{3})[;,]\s*"
    r"(?:Error\s*Code:\s*(?P<code>(?:\d{3}[ \t])?[\w.]{1,80})[;,]\s*)?Request\s*ID:"
    r"\s*(?P<request_id>[^;,)\s]{0,80})"
)
# What an SDK prints as the message of an error response without a body (HEAD requests).
BODILESS_MESSAGES = frozenset(
    {"", "null", "forbidden", "403 forbidden", "none", "undefined"}
)
# JS SDK v2: `Forbidden: null` (or `[Forbidden: null]`), then the error's util.inspect props.
JS_BODILESS = re.compile(
    r"(?<![\w.$])\[?(?P<code>Forbidden|403|AccessDenied(?:Exception)?|UnauthorizedOperation"
    r"|AuthorizationError):[ \t]*(?:null|UnknownError)\]?(?![\w-])"
)
# JS SDK v3 names the operation only in its deserializer's stack frame.
JS_OPERATION = re.compile(
    r"deserializeAws_(?:restXml|restJson1|json1_0|json1_1|awsQuery|query|ec2)"
    r"(?P<op>[A-Z][A-Za-z0-9]{1,80}?)CommandError|\bde_(?P<op2>[A-Z][A-Za-z0-9]{1,80}?)"
    r"Command(?:Error)?\b"
)
JS_PROPS = re.compile(
    r"(?<![\w$])code:[ \t]*'(?P<code>Forbidden|AccessDenied(?:Exception)?|"
    r"UnauthorizedOperation|AuthorizationError|AccessDeniedException)',"
    r"[^{}]{0,600}?statusCode:[ \t]*(?P<status>\d{3})"
)
JS_REQUEST_ID = re.compile(r"requestId:[ \t]*'(?P<request_id>[^'\n]{1,80})'")
JS_SERVICE = re.compile(
    r"(?:aws-sdk/(?:lib|clients)/services?/|@aws-sdk/client-)(?P<service>[a-z0-9-]{2,40})"
)
# Go SDK v1 with an empty message: `AccessDeniedException: \n\tstatus code: 403, ...`.
GO_V1_EMPTY = re.compile(
    r"(?<![\w.])(?P<code>AccessDenied(?:Exception)?|UnauthorizedOperation|"
    r"AuthorizationError(?:Exception)?|Forbidden(?:Exception)?|UnauthorizedException|"
    r"NotAuthorized(?:Exception)?):[ \t]*\n?[ \t]*status\s*code:\s*(?P<status>\d{3}),"
    r"\s*request\s*id:\s*(?P<request_id>[^\s,\"\\]{0,80})"
    r"(?:,\s*host\s*id:\s*(?P<host>[^\s,\"]{1,200}))?"
)
# SDK exception classes that name their service.
SERVICE_CLASS = re.compile(
    r"Amazon\.(?P<a>\w{2,40})\.Amazon\w{0,40}Exception|Amazon(?P<b>S3|SQS|SNS|EC2|KMS|"
    r"DynamoDB|Athena)\w{0,20}Exception|A[Ww][Ss]::(?P<c>\w{2,40})::Errors|"
    r"services\.(?P<d>\w{2,40})\.model\."
)

# --- envelopes (context around a message) ----------------------------------------------------
# Each "before" pattern must end right where the message starts.
BOTOCORE = re.compile(
    r"(?:An\s*error|A\s*client\s*error)\s*(?:occurred\s*)?\((?P<code>[\w.]{1,80})\)\s*"
    r"(?:occurred\s*)?when\s*calling\s*the\s*(?P<operation>\w{1,80})\s*operation"
    r"(?:\s*\(reached\s*max\s*retries:\s*\d+\))?:[ \t\n]*"
)
BOTOCORE_ANY = re.compile(
    r"(?:An\s*error|A\s*client\s*error)\s*(?:occurred\s*)?\((?P<code>[\w.]{1,80})\)\s*"
    r"(?:occurred\s*)?when\s*calling\s*the\s*(?P<operation>\w{1,80})\s*operation"
    r"(?:\s*\(reached\s*max\s*retries:\s*\d+\))?:[ \t]*(?P<msg>[^\n]{0,400})"
)
GO_V2 = re.compile(
    r"operation\s*error\s*(?P<service>[A-Za-z0-9 .-]{1,60}):\s*(?P<operation>\w{1,80}),\s*"
    r"(?:exceeded\s*maximum\s*number\s*of\s*attempts,\s*\d+,\s*)?"
    r"https\s*response\s*error\s*StatusCode:\s*(?P<status>\d{3}),\s*"
    r"(?:RequestID:\s*(?P<request_id>[^,\s]{0,80}),\s*)?(?:HostID:\s*[^,\s]{0,200},\s*)?"
    r"(?:api\s*error\s*(?P<code>[\w.]{1,80}):[ \t]*)?"
)
CODE_PREFIX = re.compile(
    r"(?<![\w])(?P<code>(?:AccessDenied(?:Exception)?|"
    r"UnauthorizedOperation|AuthorizationError(?:Exception)?|ForbiddenException|"
    r"Forbidden|UnauthorizedException|NotAuthorizedException))"
    r"(?:\s*\(client\))?:?[ \t]*"
)
JAVA_V1_OLD = re.compile(
    r"Status\s*Code:\s*(?P<status>\d{3}),\s*AWS\s*Service:\s*(?P<service>[^,\n]{1,60}),\s*"
    r"AWS\s*Request\s*ID:\s*(?P<request_id>[^,\s]{1,80}),\s*AWS\s*Error\s*Code:\s*"
    r"(?P<code>[\w.]{1,80}),\s*AWS\s*Error\s*Message:\s*"
)
CDK_CALL = re.compile(r"Call\s*failed:\s*(?P<operation>[a-z]\w{1,80})\(")
# Suffixes right after the message.
JAVA_SUFFIX = re.compile(
    r"[ \t\n.]*\(Service:\s*(?P<service>[^;,)\n]{1,60})[;,]\s*Status\s*Code:\s*"
    r"(?P<status>\d{3})[;,]\s*(?:Error\s*Code:\s*(?P<code>(?:\d{3}[ \t])?[\w.]{1,80})"
    r"[;,]\s*)?"
    r"Request\s*ID:\s*(?P<request_id>[^;,)\s]{0,80})"
)
GO_V1_SUFFIX = re.compile(
    r"[ \t\n.]*status\s*code:\s*(?P<status>\d{3}),\s*request\s*id:\s*"
    r"(?P<request_id>[^\s,\"\\]{0,80})(?:,\s*host\s*id:\s*(?P<host>[^\s,\"]{1,200}))?"
)
REQUEST_ID_NEAR = re.compile(
    r"(?:requestId|RequestId|request_id|aws_request_id|x-amz-request-id|<RequestId>)"
    r"[\"']?\s*[:=>]?\s*[\"']?(?P<request_id>[A-Za-z0-9-]{8,80})"
)
SERVICE_PROP = re.compile(r"Service:\s*(?P<service>[A-Za-z0-9]{2,40})")

# --- CloudTrail ------------------------------------------------------------------------------
CT_ERROR_CODE = re.compile(
    r"\"errorCode\"\s*:\s*\"(?P<code>(?:Client\.)?(?:AccessDenied(?:Exception)?|"
    r"UnauthorizedOperation|AuthorizationError|Forbidden|UnauthorizedAccess|"
    r"AccessDeniedException|NotAuthorized(?:Exception)?))\""
)
CT_FIELD = re.compile(
    r"\"(?P<k>errorMessage|eventSource|eventName|requestID|awsRegion)\"\s*:\s*\"(?P<v>(?:[^\"\\\n]|\\.){0,4000})\""
)
CT_USER_ARN = re.compile(
    r"\"userIdentity\"\s*:\s*\{[^{}]{0,800}?\"arn\"\s*:\s*\"(?P<v>[^\"]{1,400})\""
)
CT_EVENT_VERSION = re.compile(r"\"eventVersion\"")

# --- hard negatives: other clouds and systems -----------------------------------------------
NEGATIVE_CONTEXT = re.compile(
    r"gserviceaccount\.com|storage\.googleapis|storage\.objects\.|googleapis\.com|"
    r"AuthorizationFailed|Forbidden\.RAM|aliyun|x-amzn-ErrorType|E_ACCESSDENIED|"
    r"UnauthorizedAccessException|pull access denied|api\.github\.com|"
    r"system:serviceaccount|is forbidden: User|\.blob\.core\.windows\.net"
)
AWS_CONTEXT = re.compile(
    r"aws|AWS|Amazon|amazon|\bS3\b|s3:|s3\.|botocore|boto3|AccessDenied|request id|"
    r"Request ID|RequestId|status code|Status Code|HostId|host id|Aws::|when calling the|"
    r"operation error|https response error|extendedRequestId|retryDelay|cfId:|\$metadata|"
    r"httpStatusCode"
)
# Source code and docs that merely mention the grammar (a regex, an except clause).
CODE_LINE = re.compile(
    r"except\s|catch\s*\(|instanceof|errorRegex|/User:\(|\(\.\*\)|\bimport\b|"
    r"\bclass\s+\w+|==\s*['\"]|case\s+['\"]|throw\s+new\b|new\s+\w{0,60}Exception\(|"
    r"raise\s+\w{0,60}\(|assert\w{0,20}\(|expect\(|\.(?:error|warn|info|debug)\(\s*['\"]"
)
# Test tables and error-code constants: `("AccessDenied", "Access Denied", 403),`,
# `ErrCodeX = "AccessDenied"`, and rows `    ("User: ... is not authorized ...", "x"),`.
CODE_TABLE = re.compile(
    r"\(\s*['\"][A-Za-z.]{3,60}['\"]\s*,\s*['\"]|"
    r"^[ \t]*[\[({][ \t]*[rbfu]?[\"'][^\"'\n]{8,}[\"'][ \t]*,[^\n]*[\])}][ \t]*,?[ \t]*$",
    re.MULTILINE,
)
# Assignments of a literal in code: `ACCESS_DENIED = 'AccessDenied'`, `msg = "User: ..."`,
# `err := "..."`.
CODE_ASSIGN = re.compile(
    r"\b[A-Za-z_]\w{0,60}\s*:?=\s*['\"][A-Za-z.]{3,60}['\"]\s*[,;)]?\s*$|"
    r"\w[ \t]+=[ \t]+[rbfu]?[\"'](?=[^\"'\n]{0,40}(?:User|not\s*authorized|Access))|"
    r":=[ \t]*[\"'`]",
    re.MULTILINE,
)
# Docs of error codes: `| AccessDenied | Access Denied | 403 Forbidden |`.
CODE_DOC_TABLE = re.compile(
    r"(?:^|\|)[ \t]*[A-Z][A-Za-z.]{2,60}[ \t]*\|[^|\n]{0,300}\|\s*(?:HTTP\s*)?\d{3}\b"
    r"[^|\n]{0,30}\|",
    re.MULTILINE,
)


def is_code_line(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] (one line) is source code or an error-code doc, not output.

    The costlier patterns run only when the character they need is on the line.
    """
    if CODE_LINE.search(text, start, end):
        return True
    line = text[start:end]
    if ("(" in line or "[" in line or "{" in line) and CODE_TABLE.search(
        text, start, end
    ):
        return True
    if "=" in line and CODE_ASSIGN.search(text, start, end):
        return True
    return line.count("|") >= 3 and bool(CODE_DOC_TABLE.search(text, start, end))


# Authentication failures that reuse an authorization code (Cognito NotAuthorizedException):
# wrong credentials, not a missing permission.
CREDENTIAL_FAILURE = re.compile(
    r"(?i)password|token|expired|credential|signature|not\s*confirmed|unauthenticated|"
    r"user\s*is\s*disabled|login"
)
KOTLIN = re.compile(
    r"(?<![\w$])(?P<cls>\w{0,71}Exception):[ \t]*Service\s*returned\s*error\s*code\s*"
    r"(?P<code>[\w.]{1,80})(?::[ \t]*(?P<msg>[^,\n]{0,200}))?,\s*Error\s*type:[^,\n]{0,40},"
    r"\s*Protocol\s*response:\s*\(?HTTP\s*(?P<status>\d{3})[^,\n]{0,40}"
    r"(?:,\s*Request\s*ID:\s*(?P<request_id>[^,\s]{1,80}))?"
)
