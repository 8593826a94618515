"""The IAM catalog: loading the snapshot and answering queries.

The snapshot (see scripts/build_catalog.py) is one gzip JSON document. Loading parses it
once; `Service`/`Action` objects are built lazily per service (under a lock) and then
shared. Everything returned is frozen.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accessdenied.catalog import snapshot
from accessdenied.catalog.curated import COMMON_SERVICES, OIDC_CLAIM_KEYS
from accessdenied.catalog.model import (
    Action,
    ActionResource,
    CatalogInfo,
    ConditionKey,
    ResourceType,
    Service,
    normalise_access_level,
)
from accessdenied.catalog.names import (
    TEMPLATE,
    match_specificity,
    norm_hint,
    normalise_operation,
    primary_first,
    template_regex,
)
from accessdenied.catalog.paths import (
    CACHE_NAME,
    SNAPSHOT_NAME,
    bundled_path,
    cache_dir,
    cache_path,
    read_snapshot,
)

# Locations and name helpers moved to paths.py / names.py; re-exported for callers.
__all__ = [
    "CACHE_NAME",
    "SNAPSHOT_NAME",
    "Catalog",
    "bundled_path",
    "cache_dir",
    "cache_path",
    "load_catalog",
    "load_catalog_from",
    "norm_hint",
    "read_snapshot",
]


class Catalog:
    """The IAM service catalog (immutable from the outside, thread-safe)."""

    def __init__(
        self, data: Mapping[str, Any], path: str = "", origin: str = "bundled"
    ):
        self._data = data
        self._path = path
        self._origin = origin
        self._lock = threading.RLock()
        self._raw: dict[str, list[Any]] = {s[0]: s for s in data["services"]}
        self._lower_prefix = {p.lower(): p for p in self._raw}
        self._built: dict[str, Service] = {}
        self._by_spelling: dict[str, Service] = {}
        self._leads: dict[
            str, tuple[tuple[tuple[str | None, ...], ResourceType], ...]
        ] = {}
        self._hints: dict[str, str] = dict(data.get("hints", {}))
        self._deps: dict[str, dict[str, list[str]]] = data.get("dependent_actions", {})
        self._ops: dict[str, dict[str, list[str]]] = {
            p: {op.lower(): list(v) for op, v in ops.items()}
            for p, ops in data.get("operations", {}).items()
        }
        # Operations -> AuthorizedActions from the AWS service reference (catalog update).
        self._ref_ops: dict[str, dict[str, list[str]]] = {
            p: {op.lower(): list(v) for op, v in ops.items()}
            for p, ops in data.get("reference_operations", {}).items()
        }
        self._api_ops_raw: dict[str, str] | None = None
        self._api_ops: dict[str, frozenset[str]] | None = None
        self._global_keys: dict[str, ConditionKey] = {}
        for name, ktype, desc in data.get("global_condition_keys", []):
            self._global_keys[name.lower()] = ConditionKey(
                name, ktype, desc, "aws", True
            )
        self._global_templates = [
            (template_regex(k.name), k)
            for k in self._global_keys.values()
            if TEMPLATE.search(k.name)
        ]
        self._templates: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        self._ckeys_lower: dict[str, dict[str, ConditionKey]] = {}
        self._unassoc: list[tuple[str, re.Pattern[str], list[str]]] | None = None
        self._all: tuple[Action, ...] | None = None
        self._by_action_name: dict[str, tuple[str, ...]] | None = None

    # ----------------------------------------------------------------- info
    def info(self) -> CatalogInfo:
        """Source, data date and counts."""
        d = self._data
        services = d["services"]
        return CatalogInfo(
            source=str(d.get("source", "")),
            data_date=str(d.get("data_date", "")),
            services=len(services),
            actions=sum(len(s[2].split()) for s in services),
            resource_types=sum(int(s[3]) for s in services),
            condition_keys=sum(int(s[4]) for s in services)
            + len(d.get("global_condition_keys", [])),
            path=self._path,
            dependent_actions_source=str(d.get("dependent_actions_source", "")),
            dependent_actions_date=str(d.get("dependent_actions_date", "")),
            dependent_actions_label=str(d.get("dependent_actions_label", "")),
            origin=self._origin,
            operations=sum(len(v) for v in self._ref_ops.values()),
        )

    @property
    def raw(self) -> Mapping[str, Any]:
        """The parsed snapshot (read-only use: `catalog update` merges with it)."""
        return self._data

    # ------------------------------------------------------------- services
    def services(self) -> tuple[str, ...]:
        """Every IAM service prefix, sorted."""
        return tuple(sorted(self._raw))

    def service(self, prefix: str) -> Service | None:
        """The service with IAM prefix `prefix` (case-insensitive)."""
        # Checks ask this ~100 times per policy: a built service is one dict hit away
        # under the spelling it was asked by.
        svc = self._by_spelling.get(prefix)
        if svc is not None:
            return svc
        p = self._lower_prefix.get(prefix.strip().lower())
        if p is None:
            return None
        svc = self._built.get(p)
        if svc is None:
            with self._lock:
                svc = self._built.get(p)
                if svc is None:
                    svc = self._build_service(p)
                    self._built[p] = svc
        if len(self._by_spelling) < 10_000:
            self._by_spelling[prefix] = svc
        return svc

    def _build_service(self, prefix: str) -> Service:
        name, body = self._raw[prefix][1], self._raw[prefix][5]
        actions_raw, rtypes_raw, ckeys_raw = json.loads(body)
        rtypes = {
            r[0]: ResourceType(prefix, r[0], tuple(r[1]), tuple(r[2]))
            for r in rtypes_raw
        }
        deps = self._deps.get(prefix, {})
        actions = []
        empty: tuple[str, ...] = ()
        for a in actions_raw:
            aname, desc, level_raw, res_raw, ckeys = a[:5]
            level, levels = normalise_access_level(level_raw)
            res = tuple(
                ActionResource(
                    rtypes.get(r[0]) or ResourceType(prefix, r[0], (), ()),
                    bool(r[1]),
                    tuple(r[2]) if r[2] else empty,
                )
                for r in res_raw
            )
            dep = deps.get(aname)
            actions.append(
                Action(
                    service=prefix,
                    name=aname,
                    full_name=f"{prefix}:{aname}",
                    description=desc,
                    access_level=level,
                    resources=res,
                    condition_keys=tuple(ckeys) if ckeys else empty,
                    dependent_actions=tuple(dep) if dep else empty,
                    access_levels=levels,
                )
            )
        ckeys_t = tuple(ConditionKey(k, t, d, prefix) for k, t, d in ckeys_raw)
        return Service(
            prefix=prefix,
            name=name,
            actions=tuple(actions),
            resource_types=tuple(rtypes.values()),
            condition_keys=ckeys_t,
            _by_lower={a.name.lower(): a for a in actions},
        )

    # -------------------------------------------------------------- actions
    def action(self, name: str) -> Action | None:
        """`s3:GetObject` (any case) -> Action, None when unknown or malformed."""
        prefix, sep, aname = name.strip().partition(":")
        if not sep or not aname:
            return None
        svc = self.service(prefix)
        return svc.action(aname) if svc is not None else None

    def all_actions(self) -> tuple[Action, ...]:
        """Every action of every service (built on first use)."""
        if self._all is None:
            out: list[Action] = []
            for p in self.services():
                svc = self.service(p)
                if svc is not None:
                    out.extend(svc.actions)
            self._all = tuple(out)
        return self._all

    def warm(self) -> None:
        """Build every service now, e.g. in a background thread at server start.

        The first `expand("*")` or wildcard hover then does not pay for it.
        """
        self.all_actions()

    def expand(self, pattern: str) -> tuple[Action, ...]:
        """Actions matching an IAM action pattern (`s3:Get*`, `s3:*`, `*`, `?`)."""
        return self._expand(pattern.strip().lower())

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - the catalog lives for the process
    def _expand(self, pattern: str) -> tuple[Action, ...]:
        if pattern == "*":
            return self.all_actions()
        prefix, sep, aname = pattern.partition(":")
        if not sep:
            return ()
        if any(c in prefix for c in "*?"):
            prefixes = [p for p in self.services() if fnmatch.fnmatchcase(p, prefix)]
        else:
            p = self._lower_prefix.get(prefix)
            prefixes = [p] if p else []
        rx = re.compile(fnmatch.translate(aname), re.IGNORECASE)
        out: list[Action] = []
        for p in prefixes:
            svc = self.service(p)
            if svc is None:
                continue
            if aname == "*":
                out.extend(svc.actions)
            elif not any(c in aname for c in "*?"):
                a = svc.action(aname)
                if a is not None:
                    out.append(a)
            else:
                out.extend(a for a in svc.actions if rx.match(a.name))
        return tuple(out)

    def action_resources(self, action: str) -> tuple[ActionResource, ...]:
        """The resource types `action` can be used with (empty: only `*`)."""
        a = self.action(action)
        return a.resources if a is not None else ()

    def arn_templates(self, action: str) -> tuple[str, ...]:
        """ARN formats for the action's resource types, required first (least privilege)."""
        a = self.action(action)
        return a.arn_templates if a is not None else ()

    def dependent_actions(self, action: str) -> tuple[str, ...]:
        """Dependent actions from the frozen overlay (AWS stopped publishing them 2026-07)."""
        a = self.action(action)
        return a.dependent_actions if a is not None else ()

    # --------------------------------------------------------- resource types
    def arn_service_fields(self) -> frozenset[str]:
        """Every service field used by some ARN format (`s3`, `execute-api`, ...)."""
        return frozenset(self._data.get("arn_services", {}))

    def resource_type(self, service: str, name: str) -> ResourceType | None:
        """A resource type by service prefix and name (case-insensitive)."""
        svc = self.service(service)
        if svc is None:
            return None
        for rt in svc.resource_types:
            if rt.name.lower() == name.lower():
                return rt
        return None

    def resource_types_for_arn(
        self, arn: str, service: str | None = None
    ) -> tuple[ResourceType, ...]:
        """Resource types whose ARN format matches `arn`, most specific first.

        The service defaults to the ARN's service field; when several formats match, only
        the most specific ones are kept (an object ARN is not also a bucket).
        """
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            return ()
        prefixes: list[str] = []
        if service:
            p = self.service_prefix(service)
            if p:
                prefixes.append(p)
        else:
            p = self._lower_prefix.get(parts[2].lower())
            if p:
                prefixes.append(p)
            # Other services whose resource types use this ARN service field
            # (s3-object-lambda, ssm's view of S3 buckets, ...): only when the ARN's
            # own service has no matching type.
            others = self._data.get("arn_services", {}).get(parts[2], [])
            prefixes.extend(q for q in others if q != p)
        found: list[ResourceType] = []
        own = prefixes[0] if prefixes and (service or p) else None
        for q in prefixes:
            if found and own is not None and q != own:
                break  # the ARN's own service matched: other services' copies are noise
            res = parts[5]
            found.extend(
                rt
                for leads, rt in self._arn_leads(q)
                if any(lead is None or res.startswith(lead) for lead in leads)
                and rt.matches(arn)
            )
        if not found:
            return ()
        best = max(match_specificity(rt, arn) for rt in found)
        ranked = [rt for rt in found if match_specificity(rt, arn) == best]
        ranked.sort(
            key=lambda rt: (rt.service != (prefixes[0] if prefixes else ""), rt.name)
        )
        return tuple(ranked)

    def _arn_leads(
        self, prefix: str
    ) -> tuple[tuple[tuple[str | None, ...], ResourceType], ...]:
        """The service's resource types, each with its formats' resource-part leads.

        A format's placeholders before its sixth field never span a ":", so an ARN
        can match it only if the ARN's sixth field starts with the literal text the
        format's sixth field starts with (`instance/`): a necessary condition that
        spares the regex of most of a large service's types. None: no sixth field.
        """
        found = self._leads.get(prefix)
        if found is None:
            svc = self.service(prefix)
            rows = []
            for rt in svc.resource_types if svc is not None else ():
                leads: list[str | None] = []
                for f in rt.arn_formats:
                    fp = f.split(":", 5)
                    leads.append(fp[5].partition("${")[0] if len(fp) == 6 else None)
                rows.append((tuple(leads), rt))
            found = self._leads[prefix] = tuple(rows)
        return found

    # --------------------------------------------------------- condition keys
    def condition_key(self, key: str, action: str | None = None) -> ConditionKey | None:
        """A condition key by name (case-insensitive), incl. templated and global keys.

        `aws:RequestTag/Owner` resolves to `aws:RequestTag/${TagKey}`,
        `s3:ExistingObjectTag/team` to `s3:ExistingObjectTag/<key>`. With `action`, the
        action's service is searched first (its description/type wins).
        """
        k = key.strip()
        prefix, sep, _ = k.partition(":")
        if not sep:
            return None
        if prefix.lower() == "aws":
            found = self._global_keys.get(k.lower())
            if found is not None:
                return found
            for rx, ck in self._global_templates:
                if rx.match(k):
                    return ck
        services: list[str] = []
        if action:
            ap = action.partition(":")[0].lower()
            if ap in self._lower_prefix:
                services.append(self._lower_prefix[ap])
        own = self._lower_prefix.get(prefix.lower())
        if own and own not in services:
            services.append(own)
        if own is None and prefix.lower() != "aws":
            # Keys of identity providers and other non-service prefixes
            # (`accounts.google.com:aud`, `saml:aud`): the services that define them.
            for head, rx, owners in self._unassociated():
                if head == prefix.lower() or rx.match(prefix):
                    services.extend(o for o in owners if o not in services)
        for p in services:
            exact = self._condition_keys_of(p).get(k.lower())
            if exact is not None:
                return exact
            for rx, name in self._templates_for(p):
                if rx.match(k):
                    return self._condition_keys_of(p).get(
                        name.lower(), ConditionKey(name, "String", "", p)
                    )
        claim = k.rpartition(":")[2]
        if (
            own is None
            and ("." in prefix or "/" in prefix)
            and claim in OIDC_CLAIM_KEYS
        ):
            return ConditionKey(k, "String", OIDC_CLAIM_KEYS[claim], "sts")
        return None

    def _condition_keys_of(self, prefix: str) -> dict[str, ConditionKey]:
        found = self._ckeys_lower.get(prefix)
        if found is None:
            svc = self.service(prefix)
            found = {ck.name.lower(): ck for ck in (svc.condition_keys if svc else ())}
            self._ckeys_lower[prefix] = found
        return found

    def _unassociated(self) -> list[tuple[str, re.Pattern[str], list[str]]]:
        if self._unassoc is None:
            self._unassoc = [
                (head.lower(), template_regex(head), list(owners))
                for head, owners in self._data.get(
                    "unassociated_conditions", {}
                ).items()
            ]
        return self._unassoc

    def _templates_for(self, prefix: str) -> list[tuple[re.Pattern[str], str]]:
        found = self._templates.get(prefix)
        if found is None:
            out: list[tuple[re.Pattern[str], str]] = []
            svc = self.service(prefix)
            for ck in svc.condition_keys if svc else ():
                if TEMPLATE.search(ck.name):
                    out.append((template_regex(ck.name), ck.name))
            patterns = self._data.get("condition_patterns", {}).get(prefix, {})
            for rx, name in patterns.items():
                try:
                    out.append((re.compile(rx + r"\Z", re.IGNORECASE), name))
                except re.error:
                    continue
            self._templates[prefix] = found = out
        return found

    def global_condition_keys(self) -> tuple[ConditionKey, ...]:
        """The AWS global condition keys (aws:...)."""
        return tuple(self._global_keys.values())

    # ------------------------------------------------------------ operations
    def service_prefix(self, hint: str) -> str | None:
        """IAM prefix from any service hint: prefix, SDK id, endpoint, eventSource."""
        if not hint or not hint.strip():
            return None
        direct = self._lower_prefix.get(hint.strip().lower())
        if direct:
            return direct
        h = norm_hint(hint)
        if h in self._hints:
            return self._hints[h]
        for head in ("amazon", "aws"):
            if h.startswith(head) and h[len(head) :] in self._hints:
                return self._hints[h[len(head) :]]
        for tail in ("client", "service", "async"):
            if h.endswith(tail) and len(h) > len(tail):
                return self.service_prefix(h[: -len(tail)])
        versioned = re.match(r"(.+?)v\d+\Z", h)  # Java's "AmazonDynamoDBv2"
        if versioned:
            return self.service_prefix(versioned.group(1))
        return None

    def actions_for_operation(
        self, operation: str, service: str | None = None
    ) -> tuple[str, ...]:
        """IAM action(s) an API operation needs, canonical `prefix:Action` names.

        Order of evidence: the curated override table (each entry cites an AWS doc page),
        AWS's Operations -> AuthorizedActions from `catalog update`, then the same-named
        action under the service's IAM prefix. `GetBucketLocation`, `getBucketLocation`
        and `get_bucket_location` are the same operation; CloudTrail's versioned Lambda
        names (`GetFunction20150331v2`) too. Without a service, the operation must
        identify one service unambiguously.
        """
        op = normalise_operation(operation)
        if not op:
            return ()
        if service:
            prefix = self.service_prefix(service)
            if prefix is None:
                return ()
            return self._op_in(prefix, op)
        candidates: list[tuple[str, ...]] = []
        for ops in self._ops.values():
            if op in ops:
                candidates.append(tuple(ops[op]))
        if len(candidates) == 1:
            return self._canonical(candidates[0])
        owners = [p for p, ops in self._api_operations().items() if op in ops]
        owners += [
            p for p, ops in self._ref_ops.items() if op in ops and p not in owners
        ]
        if len(owners) == 1:
            return self._op_in(owners[0], op)
        if len(owners) > 1:
            common = [p for p in COMMON_SERVICES if p in owners]
            return self._op_in(common[0], op) if common else ()
        hits = self._action_name_index().get(op, ())
        if len(hits) == 1:
            return hits
        common = [h for p in COMMON_SERVICES for h in hits if h.startswith(p + ":")]
        return tuple(common[:1])

    def _op_in(self, prefix: str, op: str) -> tuple[str, ...]:
        curated = self._ops.get(prefix, {}).get(op)
        if curated:
            return self._canonical(curated)
        ref = self._ref_ops.get(prefix, {}).get(op)
        if ref:
            return self._canonical(primary_first(prefix, op, ref))
        svc = self.service(prefix)
        a = svc.action(op) if svc is not None else None
        return (a.full_name,) if a is not None else ()

    def _canonical(self, names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for n in names:
            a = self.action(n)
            name = a.full_name if a is not None else n
            if name not in out:
                out.append(name)
        return tuple(out)

    def _api_operations_raw(self) -> dict[str, str]:
        if self._api_ops_raw is None:
            found = snapshot.lazy_field(self._data, "api_operations")
            self._api_ops_raw = found if isinstance(found, dict) else {}
        return self._api_ops_raw

    def _api_operations(self) -> dict[str, frozenset[str]]:
        if self._api_ops is None:
            self._api_ops = {
                p: frozenset(o.lower() for o in ops.split())
                for p, ops in self._api_operations_raw().items()
            }
        return self._api_ops

    def _action_name_index(self) -> dict[str, tuple[str, ...]]:
        if self._by_action_name is None:
            idx: dict[str, list[str]] = {}
            for p, raw in self._raw.items():
                for a in str(raw[2]).split():
                    idx.setdefault(a.lower(), []).append(f"{p}:{a}")
            self._by_action_name = {k: tuple(v) for k, v in idx.items()}
        return self._by_action_name

    def api_operations(self, prefix: str) -> tuple[str, ...]:
        """API operation names known for an IAM prefix (from botocore at build time)."""
        return tuple(self._api_operations_raw().get(prefix, "").split())


def _newer(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return str(a.get("data_date", "")) > str(b.get("data_date", ""))


@functools.cache
def load_catalog() -> Catalog:
    """The shared catalog: the user cache from `catalog update` when newer, else bundled."""
    bundled = bundled_path()
    data = read_snapshot(bundled)
    cached = cache_path()
    if cached.exists():
        try:
            user = read_snapshot(cached)
        except (OSError, ValueError):
            user = None
        if user is not None and _newer(user, data):
            return Catalog(user, str(cached), "cache")
    return Catalog(data, str(bundled), "bundled")


def load_catalog_from(path: str | os.PathLike[str]) -> Catalog:
    """A catalog from a given snapshot file (not cached; tests and tools)."""
    p = Path(path)
    return Catalog(read_snapshot(p), str(p), "file")
