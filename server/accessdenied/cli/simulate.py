"""`accessdenied simulate`: evaluate one request against policy files, or a JSONL of scenarios.

    accessdenied simulate --policy app.json --action s3:GetObject \\
        --resource arn:aws:s3:::bucket/key [--principal ARN] [--context KEY=VALUE...]
    accessdenied simulate --scenarios cases.jsonl      # iam-simulate harness input format

JSON output: {"decision": "allowed|implicit_deny|explicit_deny",
              "reasons": [{"file", "line", "sid", "effect", ...}]}.
Exit status: 0 allowed, 1 denied (or any scenario failed to parse), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DEFAULT_ACCOUNT = "123456789012"


def add_parser(sub: Any) -> None:
    """Register the `simulate` subcommand."""
    p = sub.add_parser(
        "simulate",
        help="evaluate a request against IAM policies (AWS policy evaluation logic)",
        description="Decide allowed / implicit_deny / explicit_deny for one request, "
        "or for each line of a scenarios JSONL file, and say which statements decided.",
    )
    p.add_argument(
        "--policy",
        nargs="+",
        action="extend",
        default=[],
        metavar="F",
        help="identity-based policy files (JSON)",
    )
    p.add_argument("--resource-policy", metavar="F", help="resource-based policy file")
    p.add_argument(
        "--scp",
        nargs="+",
        action="append",
        default=[],
        metavar="F",
        help="SCP files; each --scp is one organisation level (root first)",
    )
    p.add_argument(
        "--rcp",
        nargs="+",
        action="append",
        default=[],
        metavar="F",
        help="RCP files; each --rcp is one organisation level",
    )
    p.add_argument("--boundary", metavar="F", help="permissions boundary policy file")
    p.add_argument("--session-policy", metavar="F", help="session policy file")
    p.add_argument(
        "--vpc-endpoint-policy",
        nargs="+",
        action="extend",
        default=[],
        metavar="F",
        help="VPC endpoint policy files",
    )
    p.add_argument("--action", help="the action, e.g. s3:GetObject")
    p.add_argument("--resource", help="the resource ARN ('*' for none)")
    p.add_argument(
        "--resource-account",
        help="account that owns the resource "
        "(default: from the ARN, else the principal's)",
    )
    p.add_argument(
        "--principal",
        help="caller ARN, service principal or 'anonymous' "
        "(default: arn:aws:iam::<account>:user/simulated)",
    )
    p.add_argument(
        "--context",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="request context; repeat a key for a list",
    )
    p.add_argument(
        "--derive-context",
        action="store_true",
        help="add aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and "
        "aws:username from --principal (explicit --context wins)",
    )
    p.add_argument(
        "--management-account",
        help="org management account id (SCPs/RCPs do not apply to it)",
    )
    p.add_argument(
        "--scenarios",
        metavar="FILE.jsonl",
        help="evaluate each line (iam-simulate harness input format); '-' = stdin",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default=None,
        help="default: text for one request, json lines for --scenarios",
    )
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    sys.stderr.write(f"accessdenied simulate: {message}\n")
    return 2


def _parse_context(items: list[str]) -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--context expects KEY=VALUE, got {item!r}")
        key = key.strip()
        if key in ctx:
            prev = ctx[key]
            ctx[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            ctx[key] = value
    return ctx


def _decision_json(decision: Any) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reasons": [r.to_json() for r in decision.reasons],
        "per_type": dict(decision.per_type),
        "blocked_by": list(decision.blocked_by),
        "notes": list(decision.notes),
    }


def _run_scenarios(args: argparse.Namespace) -> int:
    from accessdenied.evaluate import evaluate
    from accessdenied.evaluate.scenario import ScenarioError, parse_scenario

    try:
        stream = (
            sys.stdin
            if args.scenarios == "-"
            else open(  # noqa: SIM115
                args.scenarios, encoding="utf-8"
            )
        )
    except OSError as exc:
        return _fail(f"cannot read {args.scenarios}: {exc}")
    catalog = _catalog()
    status = 0
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            out: dict[str, Any]
            obj: Any = None
            try:
                obj = json.loads(line)
                scenario = parse_scenario(obj, catalog=catalog)
                d = evaluate(scenario.request, scenario.policy_set)
                out = {"id": scenario.id, **_decision_json(d)}
            except (json.JSONDecodeError, ScenarioError) as exc:
                status = 1
                ident = obj.get("id") if isinstance(obj, dict) else None
                out = {
                    "id": ident,
                    "decision": "error",
                    "reasons": [],
                    "error": f"line {number}: {exc}",
                }
            if args.format != "text":
                sys.stdout.write(json.dumps(out) + "\n")
            else:
                sys.stdout.write(f"{out['id']}\t{out['decision']}\n")
            sys.stdout.flush()
    return status


def _catalog() -> Any:
    try:
        from accessdenied.catalog import load_catalog

        return load_catalog()
    except Exception:  # simulation works without the catalog (no key filtering)
        return None


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; 0 allowed, 1 denied, 2 bad input."""
    if args.scenarios:
        return _run_scenarios(args)
    from accessdenied.evaluate import PolicySet, Request, evaluate
    from accessdenied.evaluate.files import PolicyFileError, load_policy
    from accessdenied.evaluate.request import parse_arn

    if not args.action or not args.resource:
        return _fail("--action and --resource are required (or use --scenarios)")
    if ":" not in args.action and args.action != "*":
        return _fail(f"--action {args.action!r} is not service:Action")
    try:
        context = _parse_context(args.context)
        identity = tuple(load_policy(f) for f in args.policy)
        scps = tuple(tuple(load_policy(f) for f in level) for level in args.scp)
        rcps = tuple(tuple(load_policy(f) for f in level) for level in args.rcp)
        resource = load_policy(args.resource_policy) if args.resource_policy else None
        boundary = load_policy(args.boundary) if args.boundary else None
        session = load_policy(args.session_policy) if args.session_policy else None
        vpce = tuple(load_policy(f) for f in args.vpc_endpoint_policy)
    except (PolicyFileError, ValueError) as exc:
        return _fail(str(exc))
    principal = args.principal
    if not principal:
        arn = parse_arn(args.resource)
        account = args.resource_account or (
            arn.account
            if arn is not None and arn.account.isdigit()
            else DEFAULT_ACCOUNT
        )
        principal = f"arn:aws:iam::{account}:user/simulated"
    if args.derive_context:
        from accessdenied.evaluate.request import principal_context

        context = {**principal_context(principal), **context}
    request = Request(
        principal=principal,
        action=args.action,
        resource=args.resource,
        resource_account=args.resource_account,
        context=context,
    )
    policy_set = PolicySet(
        identity=identity,
        resource=resource,
        scps=scps,
        rcps=rcps,
        boundary=boundary,
        session=session,
        vpc_endpoint=vpce,
        management_account=args.management_account,
    )
    decision = evaluate(request, policy_set)
    if args.format == "json":
        sys.stdout.write(json.dumps(_decision_json(decision)) + "\n")
    else:
        sys.stdout.write(
            f"{decision.decision}: {principal} {args.action} {args.resource}\n"
        )
        sys.stdout.write(decision.explain() + "\n")
    return 0 if decision.allowed else 1
