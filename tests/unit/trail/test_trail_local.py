"""DuckDB over a generated trail: every planted denial, nothing else, exact groups, the
same rows as the Python scanner, filters pushed into the layout."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import os
from pathlib import Path

import pytest

from accessdenied.denials import scan_text
from accessdenied.trail import LocalTrailError, TrailFilter, TrailResult, run_local
from accessdenied.trail.layout import scan_layout
from tests.unit.trail.trailgen import (
    ORG,
    ORG_ACCOUNTS,
    PLAIN_ACCOUNT,
    REGIONS,
    START,
    Planted,
    log_file,
)

FAMILIES = {
    "implicit-identity",
    "explicit-scp",
    "explicit-identity-arn",
    "implicit-resource",
    "implicit-boundary",
    "implicit-session",
    "explicit-vpce",
    "explicit-rcp",
    "s3-bare",
    "ec2-unauthorized",
    "no-message",
    "encoded",
    "truncated-policy-arn",
    "truncated-resource",
}


def _key(d: object) -> tuple[object, ...]:
    return (d.principal, d.action, d.resource, d.decision, d.policy_type)  # type: ignore[attr-defined]


def test_trail_local_finds_every_planted_denial_and_nothing_else(
    big_trail: tuple[Path, list[Planted]], big_result: TrailResult
) -> None:
    _, planted = big_trail
    assert {p.family for p in planted} == FAMILIES
    result = big_result
    assert result.files >= 2000
    assert result.events is not None
    assert result.events > 25_000
    got = {td.row.event_id: td for td in result.denials}
    want = {p.event_id: p for p in planted}
    assert set(got) == set(want)
    assert len(result.denials) == len(planted)
    assert result.dropped == 0
    for eid, p in want.items():
        td = got[eid]
        assert _key(td.denial) == (
            p.principal,
            p.action,
            p.resource,
            p.decision,
            p.policy_type,
        ), p.family
        assert (td.row.account, td.row.aws_region, td.row.event_time) == (
            p.account,
            p.region,
            p.event_time,
        )
        assert td.truncated == p.truncated, p.family
        assert td.denial.source == "cloudtrail"
    rec = next(iter(got.values())).to_json()
    for field in (
        "account",
        "region",
        "event_time",
        "event_id",
        "source_ip",
        "user_agent",
        "principal",
        "action",
        "resource",
        "decision",
        "policy_type",
        "file",
    ):
        assert field in rec


def test_trail_local_groups_are_exact(
    big_trail: tuple[Path, list[Planted]], big_result: TrailResult
) -> None:
    _, planted = big_trail
    result = big_result
    want: dict[tuple[str | None, str | None, str | None], list[Planted]] = (
        collections.defaultdict(list)
    )
    for p in planted:
        want[(p.principal, p.action, p.resource)].append(p)
    got = {(g.principal, g.action, g.resource): g for g in result.groups}
    assert set(got) == set(want)
    for key, items in want.items():
        g = got[key]
        assert g.count == len(items)
        assert g.first_seen == min(p.event_time for p in items)
        assert g.last_seen == max(p.event_time for p in items)
        assert g.accounts == tuple(sorted({p.account for p in items}))
        assert g.regions == tuple(sorted({p.region for p in items}))
    counts = [g.count for g in result.groups]
    assert counts == sorted(counts, reverse=True)


def test_trail_local_same_rows_as_python_scanner(
    big_trail: tuple[Path, list[Planted]], big_result: TrailResult
) -> None:
    """The transpiled query + scanner gives what `scan` gives on the raw files."""
    root, _ = big_trail
    result = big_result
    python: collections.Counter[tuple[object, ...]] = collections.Counter()
    for f in scan_layout(root, TrailFilter()).files:
        with gzip.open(f.path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        for d in scan_text(text):
            python[(*_key(d), d.request_id, d.error_code, d.operation)] += 1
    duck = collections.Counter(
        (
            *_key(td.denial),
            td.denial.request_id,
            td.denial.error_code,
            td.denial.operation,
        )
        for td in result.denials
    )
    assert duck == python


def test_trail_local_filters_are_pushed_into_the_layout(
    small_trail: tuple[Path, list[Planted]],
) -> None:
    root, planted = small_trail
    account, region = ORG_ACCOUNTS[1], REGIONS[2]
    since = START + dt.timedelta(days=1, hours=6)
    until = START + dt.timedelta(days=1, hours=18)
    flt = TrailFilter(since=since, until=until, accounts=(account,), regions=(region,))
    # Poison every file the filter excludes: DuckDB fails if any of them is opened.
    keep = {f.path for f in scan_layout(root, flt).files}
    poisoned = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if name.endswith(".json.gz") and path not in keep:
                Path(path).write_bytes(b"\x1f\x8bnot really gzip")
                poisoned += 1
    assert poisoned > 100
    assert keep
    for path in keep:
        assert f"/{account}/CloudTrail/{region}/2026/11/03/" in path
    result = run_local(root, flt)
    want = {
        p.event_id
        for p in planted
        if p.account == account
        and p.region == region
        and since.strftime("%Y-%m-%dT%H:%M:%SZ")
        <= p.event_time
        <= until.strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert want
    assert {td.row.event_id for td in result.denials} == want
    with pytest.raises(
        LocalTrailError, match=r"not a readable CloudTrail log file|DuckDB"
    ):
        run_local(root, TrailFilter())


def test_trail_local_principal_filter_matches_role_sessions(
    small_trail: tuple[Path, list[Planted]],
) -> None:
    root, planted = small_trail
    role = f"arn:aws:iam::{PLAIN_ACCOUNT}:role/ci-deployer"
    result = run_local(root, TrailFilter(principal=role))
    want = {
        p.event_id
        for p in planted
        if p.principal.startswith(
            f"arn:aws:sts::{PLAIN_ACCOUNT}:assumed-role/ci-deployer/"
        )
    }
    assert want
    assert {td.row.event_id for td in result.denials} == want
    session = next(p.principal for p in planted if p.event_id in want)
    assert {
        td.row.event_id
        for td in run_local(root, TrailFilter(principal=session)).denials
    } == want


def test_trail_local_org_and_plain_layouts(
    small_trail: tuple[Path, list[Planted]],
) -> None:
    root, _ = small_trail
    layout = scan_layout(root, TrailFilter())
    accounts = {f.account for f in layout.files}
    assert accounts == {*ORG_ACCOUNTS, PLAIN_ACCOUNT}
    assert any(f"/{ORG}/" in f.path for f in layout.files)
    assert not any("Digest" in f.path for f in layout.files)
    # Pointing at AWSLogs itself, or at the org level's parent, works the same.
    assert len(scan_layout(root / "AWSLogs", TrailFilter()).files) == len(layout.files)


def test_trail_local_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(LocalTrailError, match="no AWSLogs"):
        run_local(tmp_path, TrailFilter())
    with pytest.raises(LocalTrailError, match="not a directory"):
        run_local(tmp_path / "missing", TrailFilter())
    with pytest.raises(LocalTrailError, match="memory"):
        run_local(tmp_path, TrailFilter(), memory_limit="lots")
    log_file(tmp_path, "111122223333", "us-east-1", "20261130T1005Z").write_bytes(
        gzip.compress(b'{"Records": [{"eventVersion": ')
    )
    with pytest.raises(LocalTrailError, match="111122223333_CloudTrail"):
        run_local(tmp_path, TrailFilter())


def test_trail_local_empty_window(small_trail: tuple[Path, list[Planted]]) -> None:
    root, _ = small_trail
    flt = TrailFilter(since=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    result = run_local(root, flt)
    assert result.denials == ()
    assert "no CloudTrail log file" in result.notes[0]
