"""Our finding codes against IAM Access Analyzer's policy check reference.

`AWS_CHECKS` maps every code we report (checks, schema and parser codes) to the
Access Analyzer finding type and the check names it covers ("" when the check is our
own, with no Access Analyzer counterpart). `NOT_COVERED` lists the Access Analyzer
checks no code of ours reports yet. Both feed docs/checks.md
(scripts/gen_checks_doc.py); a test keeps them in step with the registry.
Names are the headings of "Access Analyzer policy check reference"
(docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AWS_CHECKS",
    "NON_CHECK_CODES",
    "NOT_COVERED",
    "RETIRED",
    "render_markdown",
]

E, SW, W, S = "ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"

# Codes produced by the parsers and the schema rather than by a check function:
# (severity, what).
NON_CHECK_CODES: Mapping[str, tuple[str, str]] = {
    "json-syntax": ("error", "the text is not valid JSON"),
    "yaml-syntax": ("error", "the template is not valid YAML"),
    "hcl-syntax": ("warning", "the Terraform expression could not be read"),
    "policy-not-object": ("error", "the policy document is not a JSON object"),
    "missing-resource": ("error", "a statement without Resource/NotResource"),
    "missing-action": ("error", "a statement without Action/NotAction"),
    "trust-policy-element": (
        "error",
        "Resource, NotResource or NotPrincipal in a role trust policy",
    ),
    "conflicting-elements": (
        "error",
        "Action with NotAction, Resource with NotResource, Principal with NotPrincipal",
    ),
    "missing-element": ("error", "a required element (Statement, Effect) is missing"),
    "unknown-element": ("error", "an element the policy grammar does not have"),
    "invalid-type": ("error", "an element of the wrong JSON type"),
    "invalid-value": ("error", "an element value the grammar does not allow"),
    "schema-violation": ("error", "any other violation of the policy grammar"),
}

AWS_CHECKS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "json-syntax": (E, ("Json syntax error",)),
    "yaml-syntax": ("", ()),
    "hcl-syntax": ("", ()),
    "policy-not-object": (E, ("Json syntax error",)),
    "missing-resource": (E, ("Missing resource",)),
    "missing-action": (E, ("Missing action",)),
    "trust-policy-element": (
        E,
        (
            "Role trust policy syntax error resource",
            "Role trust policy syntax error notprincipal",
        ),
    ),
    "conflicting-elements": (E, ("Unsupported element combination",)),
    "missing-element": (E, ("Missing effect", "Missing statement")),
    "unknown-element": (E, ("Invalid policy element",)),
    "invalid-type": (E, ("Invalid policy element",)),
    "invalid-value": (E, ("Invalid policy element",)),
    "schema-violation": (E, ("Invalid policy element",)),
    "missing-version": (W, ("Missing version",)),
    "invalid-version": (E, ("Invalid version",)),
    "variable-unsupported-version": (E, ("Variable unsupported in version",)),
    "duplicate-key": ("", ()),
    "duplicate-sid": (E, ("Unique Sids required", "Unique Sids recommended")),
    "invalid-effect": (E, ("Invalid effect",)),
    "empty-array": (
        S,
        (
            "Empty array action",
            "Empty array resource",
            "Empty array principal",
            "Empty array condition",
            "Empty object condition",
            "Empty object principal",
            "Empty array condition ForAllValues",
            "Empty array condition ForAnyValue",
            "Empty array condition IfExists",
        ),
    ),
    "redundant-value": (
        S,
        ("Redundant action", "Redundant resource", "Redundant condition value num"),
    ),
    "invalid-action-format": (E, ("Invalid action",)),
    "unknown-service": (E, ("Invalid service in action", "Invalid service")),
    "unknown-action": (E, ("Invalid action",)),
    "wildcard-matches-nothing": (E, ("Invalid action",)),
    "malformed-arn": (E, ("Missing ARN field", "Invalid ARN resource")),
    "arn-invalid-partition": (E, ("Invalid partition", "Invalid ARN prefix")),
    "arn-invalid-service": (E, ("Invalid ARN service case",)),
    "arn-invalid-region": (E, ("Invalid ARN Region",)),
    "arn-invalid-account": (E, ("Invalid ARN account",)),
    "action-resource-mismatch": (E, ("Unsupported resource ARN in policy",)),
    "invalid-condition-operator": (
        E,
        ("Invalid condition operator", "Null with if exists"),
    ),
    "unknown-condition-key": (
        E,
        (
            "Invalid condition key format",
            "Invalid global condition key",
            "Invalid service condition key",
        ),
    ),
    "condition-value-type": (
        E,
        ("Data type mismatch", "Invalid condition data type", "Invalid date value"),
    ),
    "condition-operator-mismatch": (
        W,
        (
            "Type mismatch",
            "Type mismatch Boolean",
            "Type mismatch date",
            "Type mismatch IP range",
            "Type mismatch number",
            "Type mismatch string",
        ),
    ),
    "principal-forbidden": (E, ("SCP syntax error principal", "Unsupported principal")),
    "missing-principal": (E, ("Missing principal",)),
    "malformed-principal": (
        E,
        ("Invalid principal format", "Unsupported wildcard in principal"),
    ),
    "rcp-unsupported": (
        E,
        ("RCP syntax error (Allow, NotAction, NotPrincipal, unsupported service)",),
    ),
    "passrole-wildcard": (
        SW,
        (
            "Pass role with star in resource",
            "Pass role with star in action and resource",
            "Pass role with NotResource",
            "Pass role with NotAction and NotResource",
            "Pass role with star in resource and NotAction",
            "Pass role with star in action and NotResource",
        ),
    ),
    "allow-not-action": ("", ()),
    "allow-not-resource": ("", ()),
    "allow-not-principal": (SW, ("Allow with NotPrincipal",)),
    "full-access": ("", ()),
    "privilege-escalation": ("", ()),
    "cross-account-trust-without-condition": (
        E,
        ("Role trust policy unsupported wildcard in principal",),
    ),
    "oidc-trust-without-subject": (
        SW,
        (
            "Missing github repo condition key",
            "Missing condition key for oidc principal",
        ),
    ),
    "empty-statement": (E, ("Missing statement",)),
    "policy-size-quota": (
        E,
        (
            "Policy size exceeds SCP quota",
            "Policy size exceeds identity policy quota",
            "Policy size exceeds resource policy quota",
            "Policy size exceeds role trust policy quota",
        ),
    ),
    "invalid-sid": (E, ("Unsupported Sid",)),
    "mismatched-action-for-principal": (E, ("Mismatched action for principal",)),
    "set-operator-single-valued": (SW, ("ForAllValues with single valued key",)),
    "private-ip-source": (
        E,
        (
            "Private IP address",
            "Private NotIpAddress",
            "Private IP address subset",
            "Private NotIpAddress subset",
        ),
    ),
    "invalid-variable": (
        E,
        (
            "Missing brace in variable",
            "Unsupported symbol in variable",
            "Empty variable",
            "Unsupported space in variable",
            "Missing quote in variable",
        ),
    ),
    "condition-key-unsupported-action": (
        E,
        ("Unsupported action for condition key", "Missing action for condition key"),
    ),
    "bucket-policy-resource": ("", ()),
    "bucket-policy-action": (E, ("Unsupported action in policy",)),
    "wildcard-without-like": (W, ("Wildcard without like operator",)),
    "service-principal-without-source": (SW, ("Restrict access to service principal",)),
    "create-slr-wildcard": (
        W,
        (
            "Create SLR with star in resource",
            "Create SLR with star in action and resource",
            "Create SLR with NotResource",
            "Create SLR with star in action and NotResource",
            "Create SLR with NotAction and NotResource",
            "Create SLR with star in resource and NotAction",
        ),
    ),
    "old-version": ("", ()),
    "bool-multiple-values": (E, ("Invalid condition multiple Boolean",)),
    "federated-principal-not-supported": (E, ("Federated principal not supported",)),
    "arn-missing-region": (E, ("Missing ARN Region",)),
    "invalid-vpc-format": (E, ("Invalid vpc format", "Invalid vpce format")),
    "missing-tag-key": (E, ("Missing tag key in condition",)),
    "roles-anywhere-trust-actions": (
        E,
        ("Missing action for roles anywhere trust policy",),
    ),
    "empty-sid": (S, ("Empty Sid value",)),
    "missing-qualifier": (E, ("Missing qualifier",)),
    "variable-unsupported-element": (E, ("Variable unsupported in element",)),
    "invalid-principal-key": (E, ("Invalid principal key",)),
    "invalid-federated-principal": (
        E,
        ("Invalid federated principal syntax in role trust policy",),
    ),
    "redundant-trust-principal": (S, ("Redundant principal in role trust policy",)),
    "null-with-qualifier": (S, ("Null with qualifier",)),
    "arn-field-not-allowed": (E, ("ARN Region not allowed", "ARN account not allowed")),
    "github-subject-wildcard": (W, ("Specific github repo and branch recommended",)),
    "improve-ip-range": (S, ("Improve IP range",)),
    "redundant-statement": (S, ("Redundant statement",)),
    "invalid-variable-for-operator": (E, ("Invalid variable for operator",)),
    "tag-key-unsupported-service": (
        SW,
        (
            "Deny with unsupported tag condition key for service",
            "Deny NotAction with unsupported tag condition key for service",
            "Allow with unsupported tag condition key for service (suggestion)",
            "Allow NotAction with unsupported tag condition key for service "
            "(suggestion)",
        ),
    ),
    "unsupported-global-condition-key": (
        E,
        (
            "Unsupported global condition key",
            "Deprecated global condition key (warning)",
        ),
    ),
    "missing-paired-condition-key": (SW, ("Missing paired condition keys",)),
    "unsupported-condition-key-service-principal": (
        E,
        ("Unsupported condition key for service principal",),
    ),
    "recommended-condition-key-service-principal": (
        S,
        ("Recommended condition key for service principal",),
    ),
    "irrelevant-condition-key": (S, ("Irrelevant condition key in policy",)),
    "confirm-audience-claim": (S, ("Confirm audience claim type",)),
    "invalid-service-principal-format": (E, ("Invalid service principal format",)),
    "principal-unique-id": (W, ("Invalid role reference", "Invalid user reference")),
    "wildcard-in-service-name": (S, ("Wildcard in service name",)),
    "condition-key-case-duplicate": (E, ("Duplicate keys with different case",)),
    "invalid-region-value": (E, ("Invalid Region",)),
}

# Access Analyzer checks (June 2023 reference plus later additions) that no code of
# ours reports yet: (finding type, name).
NOT_COVERED: tuple[tuple[str, str], ...] = ()

# Access Analyzer checks of the June 2023 reference that describe a rule AWS has
# since lifted, so reporting them would flag valid policies: (finding type, name,
# why). AWS Organizations SCPs support the full IAM policy language since September
# 2025 (Organizations user guide, "SCP syntax"; AWS security blog "AWS Organizations
# service control policy now supports full IAM language"): conditions, resource ARNs
# and NotAction in Allow statements, NotResource, wildcards anywhere in actions.
RETIRED: tuple[tuple[str, str, str], ...] = tuple(
    (E, name, "SCPs take the full IAM policy language since September 2025")
    for name in (
        "SCP syntax error action wildcard",
        "SCP syntax error allow condition",
        "SCP syntax error allow NotAction",
        "SCP syntax error allow resource",
        "SCP syntax error NotResource",
    )
)


_TYPE_LABEL = {E: "Error", SW: "Security warning", W: "Warning", S: "Suggestion"}


def render_markdown() -> str:
    """docs/checks.md: every code with severity, meaning and Access Analyzer names."""
    from accessdenied.policy.checks import CHECKS

    rows: list[tuple[str, str, str, str]] = []
    for code, (severity, what) in NON_CHECK_CODES.items():
        rows.append((code, severity, what, _aws(code)))
    for code, chk in CHECKS.items():
        rows.append((code, chk.severity, chk.description, _aws(code)))
    out = [
        "# Policy checks",
        "",
        "<!-- Generated by scripts/gen_checks_doc.py from the check registry",
        "     (server/accessdenied/policy/checks/); do not edit by hand. -->",
        "",
        "`accessdenied check` and the editor diagnostics report these codes. Severity",
        "is the default; some checks raise or lower it for a case (a likely typo is an",
        "error, a finding that depends on the policy type says so in its message).",
        'The last column names the IAM Access Analyzer policy checks ("Access Analyzer',
        'policy check reference") a code covers, with their finding type; "ours"',
        "marks a check Access Analyzer does not have.",
        "",
        "| Code | Severity | What | Access Analyzer check |",
        "|---|---|---|---|",
    ]
    out.extend(
        f"| `{code}` | {sev} | {_cell(what)} | {_cell(aws)} |"
        for code, sev, what, aws in rows
    )
    out += [
        "",
        "## Access Analyzer checks not covered yet",
        "",
        "| Finding type | Check |",
        "|---|---|",
    ]
    out.extend(f"| {_TYPE_LABEL[t]} | {name} |" for t, name in NOT_COVERED)
    if not NOT_COVERED:
        out.append("| | (none) |")
    out += [
        "",
        "## Access Analyzer checks not reported on purpose",
        "",
        "These checks of the 2023 reference describe rules AWS has since lifted;",
        "reporting them would flag valid policies.",
        "",
        "| Finding type | Check | Why |",
        "|---|---|---|",
    ]
    out.extend(f"| {_TYPE_LABEL[t]} | {name} | {why} |" for t, name, why in RETIRED)
    out.append("")
    return "\n".join(out)


def _aws(code: str) -> str:
    kind, names = AWS_CHECKS.get(code, ("", ()))
    if not names:
        return "ours"
    return f"{_TYPE_LABEL[kind]}: " + "; ".join(names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
