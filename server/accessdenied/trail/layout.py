"""The S3 layout of a trail copied to disk, walked with the filters pushed into it.

`AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<file>.json.gz`, as
`aws s3 sync` leaves it. Directories outside the accounts, regions or days of the
window are never listed and files delivered outside it never opened: a file name
carries its delivery time, and a file holds only records written before it was delivered.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from accessdenied.trail.model import TrailFilter

_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_FILE = re.compile(
    r"^(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_"
    r"(?P<ts>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$"
)
_SUFFIXES = (".json.gz", ".json")
#: How deep under the given directory an `AWSLogs` directory is looked for
#: (`bucket/prefix/AWSLogs` as `aws s3 sync s3://bucket .` leaves it).
SEARCH_DEPTH = 3


@dataclass(frozen=True, slots=True)
class LogFile:
    """One log file and the partition values its path carries."""

    path: str
    account: str
    region: str
    day: dt.date
    delivered: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Layout:
    """The files a run reads and how much the layout let it skip."""

    files: tuple[LogFile, ...]
    roots: tuple[str, ...]
    skipped_dirs: int
    skipped_files: int


class LayoutError(ValueError):
    """The directory holds no CloudTrail S3 layout."""


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return sorted(
                (e for e in it if e.is_dir(follow_symlinks=True)), key=lambda e: e.name
            )
    except OSError:
        return []


def find_roots(root: Path) -> list[str]:
    """Every `AWSLogs` directory at or below `root` (at most SEARCH_DEPTH levels)."""
    if root.name == "AWSLogs" and root.is_dir():
        return [str(root)]
    found: list[str] = []
    level = [str(root)]
    for _ in range(SEARCH_DEPTH):
        nxt: list[str] = []
        for d in level:
            for e in _dirs(d):
                if e.name == "AWSLogs":
                    found.append(e.path)
                elif not e.name.startswith("."):
                    nxt.append(e.path)
        if found:
            return found
        level = nxt
    return found


def _accounts(awslogs: str) -> Iterator[tuple[str, str]]:
    for e in _dirs(awslogs):
        if _ACCOUNT.match(e.name):
            yield e.name, e.path
        elif _ORG.match(e.name):
            # Organization trails: AWSLogs/o-xxxxxxxxxx/<member account>/CloudTrail/...
            for m in _dirs(e.path):
                if _ACCOUNT.match(m.name):
                    yield m.name, m.path


def _int_dirs(path: str, width: int) -> list[tuple[int, str]]:
    return [
        (int(e.name), e.path)
        for e in _dirs(path)
        if len(e.name) == width and e.name.isdigit()
    ]


def _day_bounds(flt: TrailFilter) -> tuple[dt.date | None, dt.date | None]:
    lo = flt.since.astimezone(dt.UTC).date() if flt.since else None
    last = flt.delivered_until()
    hi = last.astimezone(dt.UTC).date() if last else None
    return lo, hi


def scan_layout(root: Path, flt: TrailFilter) -> Layout:
    """The log files under `root` that can hold events matching `flt`."""
    if not root.is_dir():
        raise LayoutError(f"{root}: not a directory")
    roots = find_roots(root)
    if not roots:
        raise LayoutError(
            f"{root}: no AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ layout "
            "found (copy the trail with `aws s3 sync s3://BUCKET/AWSLogs/ DIR/AWSLogs/`)"
        )
    lo, hi = _day_bounds(flt)
    since = flt.since.astimezone(dt.UTC) if flt.since else None
    last = flt.delivered_until()
    last = last.astimezone(dt.UTC) if last else None
    accounts, regions = set(flt.accounts), set(flt.regions)
    files: list[LogFile] = []
    skipped_dirs = skipped_files = 0
    for awslogs in roots:
        for account, apath in _accounts(awslogs):
            if accounts and account not in accounts:
                skipped_dirs += 1
                continue
            ct = os.path.join(apath, "CloudTrail")
            for r in _dirs(ct):
                if not _REGION.match(r.name):
                    continue
                if regions and r.name not in regions:
                    skipped_dirs += 1
                    continue
                for y, ypath in _int_dirs(r.path, 4):
                    if (lo and y < lo.year) or (hi and y > hi.year):
                        skipped_dirs += 1
                        continue
                    for m, mpath in _int_dirs(ypath, 2):
                        if (lo and (y, m) < (lo.year, lo.month)) or (
                            hi and (y, m) > (hi.year, hi.month)
                        ):
                            skipped_dirs += 1
                            continue
                        for d, dpath in _int_dirs(mpath, 2):
                            try:
                                day = dt.date(y, m, d)
                            except ValueError:
                                continue
                            if (lo and day < lo) or (hi and day > hi):
                                skipped_dirs += 1
                                continue
                            n, kept = _day_files(
                                dpath, account, r.name, day, since, last
                            )
                            skipped_files += n
                            files.extend(kept)
    return Layout(tuple(files), tuple(roots), skipped_dirs, skipped_files)


def _day_files(
    dpath: str,
    account: str,
    region: str,
    day: dt.date,
    since: dt.datetime | None,
    last: dt.datetime | None,
) -> tuple[int, list[LogFile]]:
    kept: list[LogFile] = []
    skipped = 0
    try:
        with os.scandir(dpath) as it:
            entries = sorted(
                (e for e in it if e.name.endswith(_SUFFIXES) and e.is_file()),
                key=lambda e: e.name,
            )
    except OSError:
        return 0, []
    for e in entries:
        m = _FILE.match(e.name)
        delivered = None
        if m:
            delivered = dt.datetime.strptime(m.group("ts"), "%Y%m%dT%H%MZ").replace(
                tzinfo=dt.UTC
            )
            # Delivered before the window opened: every record in it is older.
            if since and delivered < since.replace(second=0, microsecond=0):
                skipped += 1
                continue
            if last and delivered > last:
                skipped += 1
                continue
        kept.append(LogFile(e.path, account, region, day, delivered))
    return skipped, kept
