"""Terraform: policy documents in `.tf` files, found and edited through python-hcl2.

Registers a locator (bindings of every policy document of a module, see
`documents.py`) and a container for the `terraform-jsonencode`, `terraform-data`
(`data "aws_iam_policy_document"`) and `terraform-heredoc` embeds (`edit.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from accessdenied.containers.base import (
    Binding,
    EditError,
    Grant,
    NotEditable,
    Plan,
    Reference,
    Site,
    register,
    register_locator,
)
from accessdenied.containers.terraform.documents import Located, locate_module
from accessdenied.containers.terraform.edit import (
    NotEditableError,
    TfPlan,
    computed_guard,
    heredoc_refs,
    plan_jsonencode,
    plan_policy_document,
)
from accessdenied.containers.terraform.hcl import HclError, parse_hcl
from accessdenied.containers.terraform.resolve import Module, Resolver, load_module

__all__ = ["TerraformContainer", "terraform_bindings"]

EMBEDS = (
    "terraform-jsonencode",
    "terraform-data",
    "terraform-heredoc",
    "terraform-template",
)


def _binding(loc: Located, target: str) -> Binding:
    return Binding(
        kind=loc.kind,
        target=target,
        logical=loc.address,
        document=loc.document,
        span=loc.span,
        file=loc.file,
        origin="terraform",
        embed=loc.embed,
        confidence="guess" if loc.guess else "inferred",
        reason=loc.reason,
        not_editable=loc.not_editable,
        references=tuple(
            Reference(literal, address, attr)
            for literal, address, attr in loc.references
        ),
        attached=loc.attached,
    )


def terraform_bindings(path: Path, text: str | None = None) -> list[Binding]:
    """Bindings of the policy documents written in one `.tf` file (module-aware)."""
    if path.suffix.lower() != ".tf":
        return []
    path = path.resolve()
    if text is not None and not _MENTIONS.search(text):
        # Only files that write a policy (or own one) bind anything: skip the parse.
        return []
    if text is not None:
        try:
            parse_hcl(text)
        except HclError as exc:
            return _broken(path, text, str(exc))
    overrides = None
    if text is not None:
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                on_disk: str | None = fh.read()
        except (OSError, UnicodeDecodeError):
            on_disk = None
        if on_disk != text:
            overrides = {path: text}  # an unsaved buffer or a planned edit
    try:
        found = locate_module(path, overrides)
    except RecursionError:  # pathological nesting: nothing located, nothing edited
        return []
    return [_binding(loc, t) for loc in found for t in loc.targets]


_MENTIONS = re.compile(r"policy|aws_iam_|assume_role")


def _broken(path: Path, text: str, error: str) -> list[Binding]:
    """A file that does not parse: one `unparsable` binding (explained, exit 2)."""
    return [
        Binding(
            kind="unparsable",
            target="",
            logical="",
            document=None,
            span=None,
            file=path,
            origin="terraform",
            embed="terraform-unparsed",
            confidence="guess",
            reason=f"{path.name} is not valid HCL ({error})",
            not_editable=f"{path.name} is not valid HCL ({error})",
        )
    ]


def _locator(path: Path, text: str) -> Iterator[Binding]:
    yield from terraform_bindings(path, text)


def _refs(site: Site) -> tuple[tuple[str, str, str], ...]:
    return tuple((r.literal, r.logical, r.attribute or "arn") for r in site.references)


def _plan(p: TfPlan) -> Plan:
    return Plan(
        p.edits,
        p.fix_kind,
        dict(p.statement),
        p.how,
        dict(p.before),
        dict(p.after),
        check_before=json.dumps(p.before),
        check_after=json.dumps(p.after),
    )


class TerraformContainer:
    """Edits jsonencode objects, aws_iam_policy_document blocks and JSON heredocs."""

    def plan_grant(self, text: str, site: Site, grant: Grant) -> Plan:
        """The minimal edit granting `grant` in the document at `site`."""
        if site.embed == "terraform-template":
            # A templatefile() target is JSON text with ${var} placeholders.
            from accessdenied.containers.jsontext import JsonTextContainer

            return JsonTextContainer().plan_grant(
                text, Site("json", site.kind, None, site.logical), grant
            )
        if site.span is None:
            raise EditError("no document span for a Terraform document")
        args = (
            text,
            site.span,
            grant.kind,
            grant.actions,
            grant.resource,
            grant.principal,
            _refs(site),
            dict(site.context),
            grant.condition,
        )
        try:
            if site.embed == "terraform-jsonencode":
                return _plan(plan_jsonencode(*args))
            if site.embed == "terraform-data":
                return _plan(plan_policy_document(*args))
            if site.embed == "terraform-heredoc":
                return self._heredoc(text, site, grant)
        except NotEditableError as exc:
            raise NotEditable(str(exc)) from None
        raise NotEditable(f"{site.embed} documents cannot be edited")

    def _heredoc(self, text: str, site: Site, grant: Grant) -> Plan:
        from accessdenied.containers.jsontext import JsonTextContainer

        assert site.span is not None
        plan = JsonTextContainer().plan_grant(text, site, grant)
        refs = _refs(site)
        edits = tuple(
            type(e)(e.start, e.end, heredoc_refs(e.new_text, plan.statement, refs))
            for e in plan.edits
        )
        # Evaluate with `${...}` interpolations resolved, as Terraform renders them.
        r = Resolver(
            Module(Path(".")),
            known={f"{a}.{b}": lit for lit, a, b in refs},
            context=dict(site.context),
        )

        def resolved(doc: object) -> dict[str, object]:
            try:
                value = json.loads(r.interpolate(json.dumps(doc)))
            except ValueError:
                return dict(doc) if isinstance(doc, dict) else {}
            return value if isinstance(value, dict) else {}

        before, after = resolved(plan.before), resolved(plan.after)
        st = before.get("Statement")
        try:
            computed_guard(
                [st] if isinstance(st, dict) else list(st or []),  # type: ignore[call-overload]
                grant.actions,
            )
        except NotEditableError as exc:
            raise NotEditable(str(exc)) from None
        return Plan(
            edits,
            plan.fix_kind,
            plan.statement,
            plan.how,
            before,
            after,
            check_before=json.dumps(before),
            check_after=json.dumps(after),
        )


register(EMBEDS, TerraformContainer())
register_locator("terraform", _locator)

_ = load_module
