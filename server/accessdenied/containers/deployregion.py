"""The region a template is deployed to, when its project configuration says so.

S3 ARNs carry no region, so an S3 denial's `aws:RequestedRegion` may have to come from
the workspace: the deploy configuration next to the template that declares the bucket
or the caller's role. Read here:

- SAM: `samconfig.toml` / `samconfig.yaml` / `samconfig.yml` in the template's
  directory (where `sam deploy` looks), `region` of any `<env>.deploy.parameters` or
  `<env>.global.parameters` table;
- Serverless Framework: `provider.region` of `serverless.yml` (a literal; variables
  are deploy-time values and say nothing).

Every region found must agree (several environments in different regions: unknown).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from accessdenied import safeio

__all__ = ["deploy_region", "region_from_workspace", "template_regions"]

_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d")
_SAMCONFIG = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")


def _regions_in_samconfig(data: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for env in data.values():
        if not isinstance(env, Mapping):
            continue
        for command in ("deploy", "global"):
            section = env.get(command)
            params = section.get("parameters") if isinstance(section, Mapping) else None
            region = params.get("region") if isinstance(params, Mapping) else None
            if isinstance(region, str) and _REGION.fullmatch(region):
                found.add(region)
    return found


def _load_samconfig(path: Path) -> Mapping[str, Any] | None:
    text = safeio.read_text_or_none(path)
    if text is None:
        return None
    if path.suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return None
    else:
        data = _load_yaml(text)
    return data if isinstance(data, Mapping) else None


def template_regions(template: Path) -> tuple[set[str], str]:
    """(the regions the template's project configuration deploys it to, the source)."""
    if template.name in ("serverless.yml", "serverless.yaml"):
        data = _load_yaml(safeio.read_text_or_none(template) or "")
        provider = data.get("provider") if isinstance(data, Mapping) else None
        region = provider.get("region") if isinstance(provider, Mapping) else None
        if isinstance(region, str) and _REGION.fullmatch(region):
            return {region}, f"provider.region of {template.name}"
        return set(), ""
    for name in _SAMCONFIG:
        path = template.parent / name
        if not path.is_file():
            continue
        data = _load_samconfig(path)
        if data is None:
            continue
        regions = _regions_in_samconfig(data)
        if regions:
            return regions, f"{path.parent.name}/{name}"
    return set(), ""


def _load_yaml(text: str) -> Any:
    """The YAML value (alias bombs and syntax errors: None), tags read as values."""
    from accessdenied.containers.base import EditError
    from accessdenied.containers.cloudformation import strip_spans, yaml_tree
    from accessdenied.containers.yamledit import compose

    try:
        return strip_spans(yaml_tree(compose(text)))
    except EditError:
        return None


def deploy_region(templates: Iterable[Path]) -> tuple[str, str] | None:
    """(region, where it was read) when the templates' configurations agree on one."""
    regions: set[str] = set()
    sources: list[str] = []
    for template in dict.fromkeys(templates):
        found, where = template_regions(template)
        if found:
            regions |= found
            sources.append(where)
    if len(regions) != 1:
        return None
    return next(iter(regions)), ", ".join(dict.fromkeys(sources))


_TEMPLATE_EMBEDS = ("cfn-", "sam-", "serverless-")


def region_from_workspace(
    refs: Iterable[Any], caller_refs: Iterable[Any], resource: str
) -> tuple[str, str] | None:
    """The deploy region of the template declaring `resource`, else of the caller's.

    `refs` are every indexed document (their `references` name the template's
    resources), `caller_refs` the caller's identity documents; only CloudFormation, SAM
    and Serverless templates count.
    """

    def template(ref: Any) -> bool:
        return str(getattr(ref, "embed", "")).startswith(_TEMPLATE_EMBEDS)

    by_path: dict[Any, Any] = {}
    for r in refs:
        if template(r):
            by_path.setdefault(r.path, r.references)  # one template: one resource list
    declaring = [
        path
        for path, references in by_path.items()
        if any(
            x.matches(resource) or x.with_suffix(x.suffix + "/*").matches(resource)
            for x in references
        )
    ]
    hint = deploy_region(declaring) if declaring else None
    if hint is not None:
        return hint[0], f"{hint[1]}, where the resource's template is deployed"
    callers = [r.path for r in caller_refs if template(r)]
    hint = deploy_region(callers) if callers else None
    if hint is not None:
        return hint[0], f"{hint[1]}, where the caller's template is deployed"
    return None
