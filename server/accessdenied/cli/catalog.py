"""`accessdenied catalog info|update|action|operation`: the IAM service catalog.

    accessdenied catalog info [--format text|json]    source, data date, counts
    accessdenied catalog update [--url URL] [--timeout S] [--jobs N]
        refresh from AWS's service reference into the user cache
        ($XDG_CACHE_HOME/accessdenied/catalog.json.gz); later runs use it when newer
    accessdenied catalog action NAME|PATTERN [--format text|json]
    accessdenied catalog operation OPERATION [--service HINT] [--format text|json]

Exit status: 0 ok, 1 failed (update could not fetch) or nothing found, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def add_parser(sub: Any) -> None:
    """Register the `catalog` subcommand and its actions."""
    p = sub.add_parser(
        "catalog",
        help="show or refresh the IAM service catalog",
        description="Show or refresh the IAM service catalog (services, actions, "
        "resource types, condition keys, operation -> action map).",
    )
    p.set_defaults(func=run, catalog_command=None)
    actions = p.add_subparsers(dest="catalog_command", metavar="ACTION")

    info = actions.add_parser("info", help="source, data date and counts")
    info.add_argument("--format", choices=("text", "json"), default="text")

    upd = actions.add_parser(
        "update", help="refresh from AWS's service reference into the user cache"
    )
    upd.add_argument(
        "--url",
        default=None,
        help="service reference base URL (default: AWS's servicereference endpoint)",
    )
    upd.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per request (default 20)"
    )
    upd.add_argument(
        "--jobs", type=int, default=8, help="parallel downloads (default 8)"
    )

    act = actions.add_parser("action", help="look up an action or expand a pattern")
    act.add_argument("name", help='an action ("s3:GetObject") or pattern ("s3:Get*")')
    act.add_argument("--format", choices=("text", "json"), default="text")

    op = actions.add_parser("operation", help="IAM action(s) an API operation needs")
    op.add_argument("operation", help='API operation ("ListObjectsV2", "HeadObject")')
    op.add_argument(
        "--service", default=None, help='service hint ("s3", "Amazon S3", "AmazonSQS")'
    )
    op.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Dispatch to the catalog action."""
    command = getattr(args, "catalog_command", None)
    if command == "info":
        return _info(args)
    if command == "update":
        return _update(args)
    if command == "action":
        return _action(args)
    if command == "operation":
        return _operation(args)
    sys.stderr.write(
        "usage: accessdenied catalog {info,update,action,operation} ...\n"
        "accessdenied catalog: error: choose an action\n"
    )
    return EXIT_USAGE


def _info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from accessdenied.catalog import load_catalog

    info = load_catalog().info()
    if args.format == "json":
        sys.stdout.write(json.dumps(asdict(info), indent=2) + "\n")
        return EXIT_OK
    lines = [
        f"source:            {info.source}",
        f"data date:         {info.data_date}",
        f"origin:            {info.origin} ({info.path})",
        f"services:          {info.services}",
        f"actions:           {info.actions}",
        f"resource types:    {info.resource_types}",
        f"condition keys:    {info.condition_keys}",
        f"dependent actions: {info.dependent_actions_source}, "
        f"{info.dependent_actions_label} (AWS no longer publishes them)",
    ]
    if info.operations:
        lines.append(
            f"AWS operations:    {info.operations} (Operations -> AuthorizedActions)"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


class UpdateError(Exception):
    """`catalog update` failed; the message is one line for the user."""


@dataclass(frozen=True)
class UpdateResult:
    """What `update_catalog` wrote."""

    path: str
    data_date: str
    stats: dict[str, int]
    warnings: tuple[str, ...]


def _fetch(url: str, timeout: float) -> bytes:
    """GET `url` (http/https only); UpdateError with a one-line reason on failure."""
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise UpdateError(f"refusing non-HTTP URL {url!r}")
    req = urllib.request.Request(
        url,
        headers={
            "User-Agent": "accessdenied-catalog-update",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data: bytes = resp.read(64 * 1024 * 1024)
            return data
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise UpdateError(f"cannot reach {url}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise UpdateError(f"cannot reach {url}: {exc}") from exc


def update_catalog(
    base_url: str | None = None, timeout: float = 20.0, jobs: int = 8
) -> UpdateResult:
    """Download AWS's service reference, merge it with the bundled snapshot, write the cache.

    The service list is fetched from `base_url`; each service's JSON from the path of the
    URL the list gives, resolved against `base_url` (so a mirror or a test server works).
    Services that fail to download keep their bundled data (a warning each); if the list
    fails, or more than a tenth of the services fail, nothing is written.
    """
    import datetime as dt
    import os
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    from urllib.parse import urljoin, urlparse

    from accessdenied.catalog import load_catalog
    from accessdenied.catalog.load import bundled_path, cache_path, read_snapshot
    from accessdenied.catalog.refresh import (
        REFERENCE_URL,
        Converted,
        ReferenceError,
        convert_service,
        load_json_bytes,
        merge_converted,
        parse_service_list,
    )
    from accessdenied.catalog.snapshot import decode_services

    base = base_url or REFERENCE_URL
    if not base.endswith("/"):
        base += "/"
    try:
        listing = parse_service_list(load_json_bytes(_fetch(base, timeout), base))
    except ReferenceError as exc:
        raise UpdateError(f"{base}: {exc}") from exc

    try:
        bundled = read_snapshot(bundled_path())
    except (OSError, ValueError) as exc:
        raise UpdateError(f"bundled catalog unreadable: {exc}") from exc
    old = decode_services(bundled)

    def get(item: tuple[str, str]) -> tuple[str, Converted | None, str | None]:
        prefix, url = item
        target = urljoin(base, urlparse(url).path.lstrip("/"))
        try:
            doc = load_json_bytes(_fetch(target, timeout), target)
            return prefix, convert_service(prefix, doc, old), None
        except (UpdateError, ReferenceError) as exc:
            return prefix, None, str(exc)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            return prefix, None, f"unexpected document shape ({exc.__class__.__name__})"

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(get, listing))
    converted = {p: c for p, c, err in results if c is not None and err is None}
    warnings = tuple(f"{p}: {err}; bundled data kept" for p, _, err in results if err)
    if len(warnings) > len(listing) // 10:
        raise UpdateError(
            f"{len(warnings)} of {len(listing)} services failed to download "
            f"(first: {warnings[0]}); nothing written"
        )
    today = dt.datetime.now(dt.UTC).date().isoformat()
    blob, stats = merge_converted(bundled, old, converted, today, base)
    target = cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".catalog-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        Path(tmp).replace(target)
    except OSError as exc:
        raise UpdateError(f"cannot write {target}: {exc}") from exc
    load_catalog.cache_clear()
    return UpdateResult(str(target), today, stats, warnings)


def _update(args: argparse.Namespace) -> int:
    try:
        result = update_catalog(
            base_url=args.url, timeout=args.timeout, jobs=max(1, args.jobs)
        )
    except UpdateError as exc:
        sys.stderr.write(
            f"accessdenied catalog update: {exc} (the bundled catalog stays in use)\n"
        )
        return EXIT_FAIL
    for warning in result.warnings:
        sys.stderr.write(f"accessdenied catalog update: warning: {warning}\n")
    sys.stdout.write(
        f"catalog updated: {result.path}\n"
        f"  data date {result.data_date}: {result.stats['refreshed']} services "
        f"refreshed, {result.stats['added']} added, {result.stats['kept']} kept from "
        f"the bundled snapshot; {result.stats['actions']} actions, "
        f"{result.stats['operations']} API operations mapped\n"
    )
    return EXIT_OK


def _action_json(a: Any) -> dict[str, Any]:
    return {
        "name": a.full_name,
        "access_level": a.access_level,
        "access_levels": list(a.access_levels),
        "description": a.description,
        "resource_types": [
            {
                "name": r.resource_type.name,
                "required": r.required,
                "arn_formats": list(r.resource_type.arn_formats),
            }
            for r in a.resources
        ],
        "condition_keys": list(a.condition_keys),
        "dependent_actions": list(a.dependent_actions),
    }


def _action(args: argparse.Namespace) -> int:
    from accessdenied.catalog import load_catalog

    cat = load_catalog()
    found = (
        cat.expand(args.name)
        if any(c in args.name for c in "*?")
        else tuple(a for a in [cat.action(args.name)] if a is not None)
    )
    if args.format == "json":
        sys.stdout.write(
            json.dumps({"actions": [_action_json(a) for a in found]}, indent=2) + "\n"
        )
        return EXIT_OK if found else EXIT_FAIL
    if not found:
        sys.stderr.write(f"accessdenied catalog: no action matches {args.name!r}\n")
        return EXIT_FAIL
    for a in found:
        sys.stdout.write(f"{a.full_name}\t{a.access_level}\n")
        if len(found) == 1:
            if a.description:
                sys.stdout.write(f"  {a.description}\n")
            for r in a.resources:
                req = " (required)" if r.required else ""
                fmts = ", ".join(r.resource_type.arn_formats)
                sys.stdout.write(f"  resource {r.resource_type.name}{req}: {fmts}\n")
            if not a.resources:
                sys.stdout.write('  resource: none (only "Resource": "*")\n')
            if a.condition_keys:
                sys.stdout.write(f"  condition keys: {', '.join(a.condition_keys)}\n")
            if a.dependent_actions:
                info = cat.info()
                sys.stdout.write(
                    f"  dependent actions ({info.dependent_actions_label}): "
                    f"{', '.join(a.dependent_actions)}\n"
                )
    return EXIT_OK


def _operation(args: argparse.Namespace) -> int:
    from accessdenied.catalog import load_catalog

    cat = load_catalog()
    found = cat.actions_for_operation(args.operation, args.service)
    prefix = cat.service_prefix(args.service) if args.service else None
    if args.format == "json":
        doc = {
            "operation": args.operation,
            "service": prefix,
            "actions": list(found),
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return EXIT_OK if found else EXIT_FAIL
    if not found:
        where = f" in service {args.service!r}" if args.service else ""
        sys.stderr.write(
            f"accessdenied catalog: no action known for operation "
            f"{args.operation!r}{where}\n"
        )
        return EXIT_FAIL
    sys.stdout.write("\n".join(found) + "\n")
    return EXIT_OK
