"""`accessdenied trail`: the access denials of every principal in a CloudTrail trail.

    accessdenied trail (--local DIR | --athena TABLE --workgroup W | --lake EVENT_DATA_STORE)
                       [--since T] [--until T] [--account ID] [--region R] [--principal ARN]
                       [--print-sql] [--fix [--write] [--root DIR]]
                       [--format text|json|sarif]

DuckDB reads a local copy of the trail; Athena and CloudTrail Lake run the same query
(live mode: boto3). Exit 0 no denial found, 1 denials found (with --fix: 1 when some
group got no verified edit), 2 usage or configuration errors (no credentials, no output
location, missing table, a projection that does not match, unreadable files), 3 when the
query failed, timed out or was cancelled; 130 after Ctrl-C (the remote query is cancelled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accessdenied.trail import TrailFilter, TrailResult
    from accessdenied.trail.fix import FixPlan

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_QUERY = 0, 1, 2, 3
#: Athena and Lake bill by data scanned: without --since they look back this far.
DEFAULT_REMOTE_WINDOW = dt.timedelta(days=7)
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")


def add_parser(sub: Any) -> None:
    """Register the `trail` subcommand."""
    p = sub.add_parser(
        "trail",
        help="org-wide access denials from CloudTrail (DuckDB, Athena or CloudTrail Lake)",
        description=(
            "Find the access denials of every principal in a CloudTrail trail, grouped by "
            "principal x action x resource. --local reads a copy of the trail's S3 layout "
            "with DuckDB; --athena and --lake run the same query in AWS (live mode). "
            "Exit status: 0 no denial found, 1 denials found (with --fix: some group got "
            "no verified edit), 2 usage or configuration error (no credentials, no output "
            "location, missing table, projection mismatch, unreadable files), 3 the query "
            "failed, timed out or was cancelled, 130 after Ctrl-C (the query is stopped)."
        ),
    )
    _add_engines(p)
    _add_filters(p)
    p.add_argument(
        "--print-sql",
        action="store_true",
        help="print the query (and for Athena the table DDL) instead of running it",
    )
    p.add_argument(
        "--fix", action="store_true", help="propose one verified edit per document"
    )
    p.add_argument("--write", action="store_true", help="with --fix: write the edits")
    p.add_argument(
        "--root", metavar="DIR", help="with --fix: workspace root (default: cwd)"
    )
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    _add_engine_options(p)
    p.set_defaults(func=run)


def _add_engines(p: argparse.ArgumentParser) -> None:
    engine = p.add_mutually_exclusive_group(required=True)
    engine.add_argument(
        "--local", metavar="DIR", help="a local copy of the trail (aws s3 sync)"
    )
    engine.add_argument("--athena", metavar="TABLE", help="Athena table ([db.]table)")
    engine.add_argument(
        "--lake",
        metavar="EVENT_DATA_STORE",
        help="CloudTrail Lake event data store id or ARN",
    )
    p.add_argument(
        "--workgroup", metavar="W", help="Athena workgroup (required with --athena)"
    )


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="T", help="ISO time/date or 30m, 24h, 7d, 2w ago")
    p.add_argument(
        "--until", metavar="T", help="ISO time/date or relative (default: now)"
    )
    p.add_argument(
        "--account",
        metavar="ID",
        action="append",
        default=[],
        help="account id(s), repeatable",
    )
    p.add_argument(
        "--region",
        metavar="R",
        action="append",
        default=[],
        help="region(s), repeatable",
    )
    p.add_argument(
        "--principal",
        metavar="ARN",
        help="only this user/role (role ARN: all sessions)",
    )


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    local = p.add_argument_group("DuckDB (--local)")
    local.add_argument(
        "--memory-limit", default="1GB", help="DuckDB memory limit (default 1GB)"
    )
    local.add_argument(
        "--threads", type=int, help="DuckDB threads (default: every core)"
    )
    remote = p.add_argument_group("Athena / CloudTrail Lake (live mode)")
    remote.add_argument(
        "--output-location", metavar="S3URI", help="Athena query result location"
    )
    remote.add_argument(
        "--catalog", default="AwsDataCatalog", help="Athena data catalog"
    )
    remote.add_argument("--database", default="default", help="Athena database")
    remote.add_argument(
        "--s3-location",
        metavar="S3URI",
        help="trail prefix for the table DDL: s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]",
    )
    remote.add_argument(
        "--create-table", action="store_true", help="run the table DDL in Athena first"
    )
    remote.add_argument(
        "--timeout", type=float, default=900.0, help="seconds (default 900)"
    )
    remote.add_argument("--profile", help="AWS profile")
    remote.add_argument("--aws-region", help="region of the Athena/Lake endpoint")
    remote.add_argument(
        "--endpoint-url", help="AWS endpoint (tests, private endpoints)"
    )


def _err(msg: str) -> None:
    sys.stderr.write(msg.rstrip("\n") + "\n")


def parse_time(text: str, now: dt.datetime) -> dt.datetime:
    """An ISO date/time (UTC unless it says otherwise) or `<n>m|h|d|w` before `now`."""
    value = text.strip()
    if value.lower() == "now":
        return now
    m = _RELATIVE.match(value)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {
            "m": dt.timedelta(minutes=n),
            "h": dt.timedelta(hours=n),
            "d": dt.timedelta(days=n),
            "w": dt.timedelta(weeks=n),
        }[unit]
        return now - delta
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (2026-11-30, 2026-11-30T10:00:00Z, 24h, 7d)"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _split(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(dict.fromkeys(out))


def build_filter(
    args: argparse.Namespace, now: dt.datetime, remote: bool
) -> TrailFilter:
    """The TrailFilter of the command line (raises ValueError with a usage message)."""
    from accessdenied.trail import TrailFilter

    since = parse_time(args.since, now) if args.since else None
    until = parse_time(args.until, now) if args.until else None
    if remote:
        until = until or now
        since = since or until - DEFAULT_REMOTE_WINDOW
    if since and until and since > until:
        raise ValueError("--since is after --until")
    accounts = _split(args.account)
    for a in accounts:
        if not re.fullmatch(r"\d{12}", a):
            raise ValueError(f"--account {a!r}: an account id has 12 digits")
    regions = _split(args.region)
    for r in regions:
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", r):
            raise ValueError(f"--region {r!r}: not a region name (e.g. us-east-1)")
    if args.principal and not args.principal.startswith("arn:"):
        raise ValueError(f"--principal {args.principal!r}: give the principal's ARN")
    return TrailFilter(
        since=since,
        until=until,
        accounts=accounts,
        regions=regions,
        principal=args.principal or None,
    )


def _print_sql(args: argparse.Namespace, flt: TrailFilter) -> int:
    from accessdenied.trail.local import local_sql
    from accessdenied.trail.query import athena_ddl, denial_query, render_query

    out = sys.stdout
    if args.local:
        out.write(
            "-- DuckDB (transpiled from the Trino query) over the view cloudtrail_logs\n"
        )
        out.write(local_sql(flt) + ";\n")
        return EXIT_OK
    if args.lake:
        out.write("-- CloudTrail Lake (StartQuery)\n")
        out.write(render_query(denial_query(flt, "lake"), "lake", args.lake) + "\n")
        return EXIT_OK
    table = _table_name(args)
    location = args.s3_location or "s3://amzn-s3-demo-bucket/AWSLogs/"
    accounts = flt.accounts or ("111122223333",)
    regions = flt.regions or ("us-east-1",)
    start = (flt.since or dt.datetime.now(dt.UTC)).date()
    out.write(
        "-- Athena table with partition projection (run once; --create-table runs it)\n"
    )
    if not (args.s3_location and flt.accounts and flt.regions):
        out.write(
            "-- placeholders: give --s3-location, --account and --region for the real "
            "trail's values\n"
        )
    out.write(athena_ddl(table, location, accounts, regions, start) + ";\n\n")
    out.write("-- the denial query (partition pruning on account, region, timestamp)\n")
    out.write(render_query(denial_query(flt, "athena", table), "athena") + ";\n")
    return EXIT_OK


def _table_name(args: argparse.Namespace) -> str:
    table = str(args.athena)
    return table if "." in table else f"{args.database}.{table}"


def _redacted_record(rec: dict[str, Any]) -> dict[str, Any]:
    from accessdenied.denials import redact

    for key in ("text", "principal", "resource", "policy_arn", "user_agent"):
        if isinstance(rec.get(key), str):
            rec[key] = redact(rec[key])
    rec["notes"] = [redact(n) for n in rec.get("notes", [])]
    return rec


def _json(
    result: TrailResult, plan: FixPlan | None, diffs: list[dict[str, str]]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "denials": [_redacted_record(td.to_json()) for td in result.denials],
        "groups": [g.to_json() for g in result.groups],
        "summary": result.summary(),
    }
    if plan is not None:
        out["fixes"] = [
            {
                "principal": o.group.principal,
                "action": o.group.action,
                "resource": o.group.resource,
                "fixed": o.fixed,
                "file": o.path,
                "title": o.title,
                "reason": o.reason,
            }
            for o in plan.outcomes
        ]
        out["edits"] = list(diffs)
    return out


def _text(result: TrailResult, color: bool) -> str:
    from accessdenied.cli.output import Painter
    from accessdenied.cli.scan import why
    from accessdenied.denials import redact

    p = Painter(color)
    lines: list[str] = []
    first: dict[tuple[str | None, str | None, str | None], Any] = {}
    for td in result.denials:
        d = td.denial
        first.setdefault((d.principal, d.action, d.resource), td)
    for g in result.groups:
        td = first[(g.principal, g.action, g.resource)]
        head = f"{g.count} x {g.action or '(action not in the event)'}"
        lines.append(
            f"{p.bold(head)}  {p.dim(g.first_seen or '?')} .. {p.dim(g.last_seen or '?')}"
        )
        lines.append(
            f"  who:      {p.cyan(redact(g.principal or '(not in the event)'))}"
        )
        lines.append(f"  resource: {redact(g.resource or '(not in the message)')}")
        lines.append(f"  why:      {why(td.denial)}")
        lines.append(
            f"  where:    accounts {', '.join(g.accounts) or '?'}; regions {', '.join(g.regions) or '?'}"
        )
        if td.truncated:
            lines.append(
                p.yellow("  note:     errorMessage truncated by CloudTrail (1 KB)")
            )
        lines.append("")
    n = len(result.denials)
    if n:
        lines.append(
            p.bold(
                f"{n} denial{'s' if n != 1 else ''} in {len(result.groups)} group"
                f"{'s' if len(result.groups) != 1 else ''}"
            )
        )
    else:
        lines.append("no AWS access denials found")
    lines.extend(_stats(result))
    return "\n".join(lines) + "\n"


def _stats(result: TrailResult) -> list[str]:
    from accessdenied.trail.model import estimated_cost

    out = [f"engine: {result.engine}"]
    out.extend(result.notes)
    if result.bytes_scanned is not None:
        out.append(
            f"data scanned: {result.bytes_scanned:,} bytes; estimated cost "
            f"${estimated_cost(result.bytes_scanned):.6f} (estimate at $5/TB, 10 MB minimum; "
            "your bill may differ)"
        )
    if result.dropped:
        out.append(f"{result.dropped} candidate rows were not access denials (dropped)")
    return out


def _sarif(result: TrailResult, where: str) -> dict[str, Any]:
    from accessdenied.cli.output import SarifResult, SarifRule, sarif_log
    from accessdenied.cli.scan import why

    rules = [
        SarifRule(
            "aws-access-denied",
            "AWS access denied (CloudTrail event)",
            "error",
            "CloudTrail recorded an AWS request that IAM denied.",
        )
    ]
    results = []
    for td in result.denials:
        d = td.denial
        msg = f"{d.principal or 'a principal'} was denied {d.action or 'an action'}"
        if d.resource:
            msg += f" on {d.resource}"
        msg += f" at {td.row.event_time}: {why(d)}"
        props = {k: v for k, v in _redacted_record(td.to_json()).items() if k != "text"}
        results.append(
            SarifResult(
                "aws-access-denied",
                msg,
                td.row.file or where,
                1,
                1,
                1,
                1,
                properties=props,
            )
        )
    return sarif_log(rules, results)


def _fix(
    result: TrailResult, args: argparse.Namespace
) -> tuple[FixPlan | None, int, list[dict[str, str]]]:
    from accessdenied.trail.fix import plan_fixes

    root = Path(args.root).resolve() if args.root else Path.cwd().resolve()
    if not root.is_dir():
        _err(f"accessdenied trail: --root {root} is not a directory")
        return None, EXIT_USAGE, []
    plan = plan_fixes(result.groups, result.denials, root)
    diffs: list[dict[str, str]] = []
    for o in plan.outcomes:
        what = f"{o.group.principal} -> {o.group.action} on {o.group.resource or '*'}"
        if o.fixed:
            _err(f"fix: {what}: {o.title} ({o.path})")
        else:
            _err(f"no fix: {what}: {o.reason}")
    for path, (before, after) in sorted(plan.documents.items()):
        shown = _display(path)
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"a/{shown}",
                tofile=f"b/{shown}",
            )
        )
        diffs.append({"file": shown, "diff": diff})
        if args.write:
            from accessdenied.cli.fix import _write_atomic

            try:
                _write_atomic(Path(path), after)
            except OSError as exc:
                _err(f"accessdenied trail: cannot write {shown}: {exc.strerror or exc}")
                return plan, EXIT_USAGE, diffs
            _err(f"wrote {shown}")
        elif args.format == "text":
            sys.stdout.write(diff)
    return plan, EXIT_OK if plan.all_fixed else EXIT_FOUND, diffs


def _display(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def _execute(args: argparse.Namespace, flt: TrailFilter) -> TrailResult | int:
    if args.local:
        from accessdenied.trail import LocalTrailError, run_local

        try:
            return run_local(
                Path(args.local),
                flt,
                threads=args.threads,
                memory_limit=args.memory_limit,
            )
        except LocalTrailError as exc:
            _err(f"accessdenied trail: {exc}")
            return EXIT_USAGE
    from accessdenied.aws.athena import run_athena
    from accessdenied.aws.lake import run_lake
    from accessdenied.aws.querying import TrailQueryError
    from accessdenied.aws.session import LiveConfig

    config = LiveConfig(
        enabled=True,
        profile=args.profile,
        region=args.aws_region,
        endpoint_url=args.endpoint_url,
    )
    try:
        if args.athena:
            return run_athena(
                config,
                flt,
                table=_table_name(args),
                workgroup=args.workgroup,
                output_location=args.output_location,
                catalog=args.catalog,
                ddl_location=args.s3_location if args.create_table else None,
                timeout=args.timeout,
            )
        return run_lake(config, flt, store=args.lake, timeout=args.timeout)
    except TrailQueryError as exc:
        _err(f"accessdenied trail: {exc}")
        return exc.exit_status


def _option_problem(args: argparse.Namespace) -> str | None:
    """Why the options do not go together (None when they do)."""
    if args.athena and not args.workgroup:
        return "--athena needs --workgroup W (the query runs in it)"
    if args.workgroup and not args.athena:
        return "--workgroup is for --athena"
    if args.write and not args.fix:
        return "--write only applies with --fix"
    if args.create_table and not (args.athena and args.s3_location):
        return "--create-table needs --athena and --s3-location"
    if args.threads is not None and args.threads < 1:
        return "--threads must be at least 1"
    if args.timeout <= 0:
        return "--timeout must be positive"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the denial query on the chosen engine and print denials and groups."""
    from accessdenied.cli.output import use_color
    from accessdenied.trail.query import QueryError

    problem = _option_problem(args)
    if problem:
        _err(f"accessdenied trail: {problem}")
        return EXIT_USAGE
    now = dt.datetime.now(dt.UTC)
    try:
        flt = build_filter(args, now, remote=not args.local)
        if args.print_sql:
            return _print_sql(args, flt)
        result = _execute(args, flt)
    except (ValueError, QueryError) as exc:
        _err(f"accessdenied trail: {exc}")
        return EXIT_USAGE
    if isinstance(result, int):
        return result
    plan = None
    diffs: list[dict[str, str]] = []
    status = EXIT_FOUND if result.denials else EXIT_OK
    if args.fix and result.groups:
        plan, status, diffs = _fix(result, args)
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(_json(result, plan, diffs), ensure_ascii=False) + "\n")
    elif args.format == "sarif":
        where = args.local or args.athena or f"cloudtrail-lake:{args.lake}"
        out.write(
            json.dumps(_sarif(result, where), indent=2, ensure_ascii=False) + "\n"
        )
    else:
        out.write(_text(result, use_color(out)))
    out.flush()
    return status
