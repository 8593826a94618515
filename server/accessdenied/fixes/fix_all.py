"""Fix every denial of a log at once: at most one verified edit per document.

Denials are deduplicated and fixed one after another over an in-memory overlay of the
workspace (nothing is written), so a later denial for the same resource extends the
statement an earlier one added (statements merged by resource set) and a denial an
earlier edit already covers costs nothing. Each file's changes become one edit (the
changed range); at the end every fixed request is evaluated again against all final
documents together. The dependent actions AWS asks for next (the catalog's dependent
actions, `kms:GenerateDataKey` for an SSE-KMS `s3:PutObject`, `iam:PassRole` for
`lambda:CreateFunction`) are a separate, labelled variant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from accessdenied.denials import Denial
from accessdenied.evaluate import Request, evaluate, parse_arn, parse_principal
from accessdenied.explain import read_file_text
from accessdenied.fixes.edits import TextEdit, apply_edits
from accessdenied.fixes.propose import Fix, propose_fixes
from accessdenied.workspace import WorkspaceIndex, with_texts

logger = logging.getLogger(__name__)

ReadText = Callable[[str], str]

#: Requests AWS makes on the caller's behalf next, beyond the catalog's dependent
#: actions: (denied action, dependent action, resource template, why).
_NEXT: tuple[tuple[str, str, str, str], ...] = (
    (
        "s3:putobject",
        "kms:GenerateDataKey",
        "arn:{partition}:kms:{region}:{account}:key/*",
        "an SSE-KMS bucket encrypts the object with a data key",
    ),
    (
        "s3:getobject",
        "kms:Decrypt",
        "arn:{partition}:kms:{region}:{account}:key/*",
        "an SSE-KMS object is decrypted with its key",
    ),
    (
        "lambda:createfunction",
        "iam:PassRole",
        "arn:{partition}:iam::{account}:role/*",
        "the function's execution role is passed to Lambda",
    ),
    (
        "ecs:runtask",
        "iam:PassRole",
        "arn:{partition}:iam::{account}:role/*",
        "the task role is passed to ECS",
    ),
    (
        "ec2:runinstances",
        "iam:PassRole",
        "arn:{partition}:iam::{account}:role/*",
        "the instance profile's role is passed to EC2",
    ),
)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file's edits: a single TextEdit covering every change to it."""

    path: Path
    before: str
    after: str
    edit: TextEdit
    titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one (deduplicated) denial."""

    denial: Denial
    fixed: bool
    how: str  # the fix title, "covered by an earlier edit", or why it was not fixed
    path: str | None = None
    #: Extra denials folded into this one (same principal, action, resource).
    duplicates: int = 0
    #: A dependent request of the variant (not in the log itself).
    dependent: bool = False


@dataclass(frozen=True, slots=True)
class FixAllResult:
    """The changes of one variant, and every denial's outcome."""

    variant: str
    changes: tuple[FileChange, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def complete(self) -> bool:
        """Every denial of the input got a fix (the CLI's exit 0; variants aside)."""
        return all(o.fixed for o in self.outcomes if not o.dependent)


def _key(d: Denial) -> tuple[str, str, str, str]:
    return (
        d.principal or "",
        (d.action or "").lower(),
        d.resource or "*",
        d.policy_type or "",
    )


def _s3_kms(
    d: Denial, index: WorkspaceIndex | None
) -> tuple[bool, str | None, str] | None:
    """(uses KMS, key ARN, where) for the denied object's bucket when the workspace says."""
    if index is None or not (d.resource or "").startswith("arn:"):
        return None
    arn = parse_arn(d.resource or "")
    if arn is None or arn.service != "s3" or not arn.resource:
        return None
    bucket = arn.resource.split("/", 1)[0]
    try:
        from accessdenied.containers.terraform.encryption import bucket_encryption

        enc = bucket_encryption(index.files, bucket)
    except Exception:  # the variant is a hint; a reader problem must not stop it
        logger.exception("bucket encryption lookup failed")
        return None
    if enc is None:
        return None
    return enc.kms, enc.key_arn, enc.where


def dependent_denials(
    d: Denial, index: WorkspaceIndex | None = None
) -> list[tuple[Denial, str]]:
    """The requests AWS will make next for this one (catalog + known follow-ups).

    With `index`, a bucket managed in the workspace decides the SSE-KMS follow-ups:
    its key when it uses KMS, none when it does not.
    """
    out: list[tuple[Denial, str]] = []
    s3_kms = _s3_kms(d, index) if (d.action or "").lower().startswith("s3:") else None
    action = (d.action or "").lower()
    info = parse_principal(d.principal or "")
    arn = parse_arn(d.resource or "")
    fields = {
        "partition": (arn.partition if arn and arn.partition else "aws"),
        "region": (arn.region if arn and arn.region else "*"),
        "account": info.account or (arn.account if arn and arn.account else "*"),
    }
    seen: set[str] = set()
    for denied, dep, template, why in _NEXT:
        if action == denied and dep.lower() not in seen:
            seen.add(dep.lower())
            resource = template.format(**fields)
            if dep.startswith("kms:") and s3_kms is not None:
                kms, key, where = s3_kms
                if not kms:
                    continue  # the bucket (configured at `where`) does not use SSE-KMS
                if key:
                    resource = key
                why = f"{why} (the bucket's default encryption at {where})"
            out.append((_derived(d, dep, resource), why))
    try:
        from accessdenied.catalog import load_catalog

        for dep in load_catalog().dependent_actions(d.action or ""):
            if dep.lower() in seen or ":" not in dep:
                continue
            seen.add(dep.lower())
            resource = d.resource or "*"
            if dep.lower() == "iam:passrole":
                resource = "arn:{partition}:iam::{account}:role/*".format(**fields)
            elif dep.split(":", 1)[0] != action.split(":", 1)[0]:
                resource = "*"
            out.append(
                (_derived(d, dep, resource), f"the catalog lists {dep} as dependent")
            )
    except Exception:  # a catalog problem must not stop the exact variant
        logger.exception("dependent actions unavailable")
    return out


def _derived(d: Denial, action: str, resource: str) -> Denial:
    return replace(
        d,
        action=action,
        resource=resource,
        service=action.split(":", 1)[0],
        operation=None,
        policy_type="identity",
        decision="implicit",
    )


def _one_edit(before: str, after: str) -> TextEdit:
    """The single edit turning `before` into `after` (common prefix/suffix kept)."""
    start = 0
    n = min(len(before), len(after))
    while start < n and before[start] == after[start]:
        start += 1
    end_b, end_a = len(before), len(after)
    while end_b > start and end_a > start and before[end_b - 1] == after[end_a - 1]:
        end_b -= 1
        end_a -= 1
    return TextEdit(start, end_b, after[start:end_a])


def _allowed(index: WorkspaceIndex, d: Denial) -> bool:
    resource = d.resource or "*"
    ps = index.policy_set_for(d.principal or "", resource, d.action)
    return evaluate(Request(d.principal or "", d.action or "", resource), ps).allowed


def _reason(fixes: Sequence[Fix]) -> str:
    for f in fixes:
        if f.edits and not f.verified and f.kind != "remove-deny":
            return f"unverified edit of {f.path} not applied: {f.explanation}"
    for f in fixes:
        if f.kind != "remove-deny":
            return f.explanation
    return "no fix found"


def fix_all(
    denials: Iterable[Denial],
    index: WorkspaceIndex,
    variant: str = "exact",
    read_text: ReadText | None = None,
) -> FixAllResult:
    """Plan one verified edit per document for every denial (nothing is written).

    `variant` "with-dependent-actions" adds the requests AWS will make next.
    """
    originals: dict[Path, str] = {}
    texts: dict[Path, str] = {}
    titles: dict[Path, list[str]] = {}

    def read(path: str) -> str:
        p = Path(path).resolve()
        if p in texts:
            return texts[p]
        if read_text is not None:
            return read_text(path)
        return read_file_text(p)

    queue: list[tuple[Denial, bool]] = []
    counts: dict[tuple[str, str, str, str], int] = {}
    first: dict[tuple[str, str, str, str], Denial] = {}
    for d in denials:
        k = _key(d)
        counts[k] = counts.get(k, 0) + 1
        if k not in first:
            first[k] = d
            queue.append((d, False))
            if variant == "with-dependent-actions":
                for dep, _why in dependent_denials(d, index):
                    dk = _key(dep)
                    if dk not in first:
                        first[dk] = dep
                        counts[dk] = 1
                        queue.append((dep, True))
    outcomes: list[Outcome] = []
    #: Files whose documents the index reads elsewhere (CDK source -> cdk.out): their
    #: fixes are verified one by one, the synthesised template changes at the next synth.
    synthesized: set[Path] = set()
    current = index
    dirty = False
    for d, dependent in queue:
        dups = counts[_key(d)] - 1
        if dirty:  # re-index the overlay only after an edit, not for every denial
            current = with_texts(index, texts)
            dirty = False
        if texts and _allowed(current, d) and not _allowed(index, d):
            outcomes.append(
                Outcome(d, True, "covered by an earlier edit", None, dups, dependent)
            )
            continue
        try:
            fixes = propose_fixes(d, current, read_text=read, variants=("exact",))
        except (ValueError, OSError) as exc:
            outcomes.append(Outcome(d, False, str(exc), None, dups, dependent))
            continue
        editing = [
            f for f in fixes if f.edits and f.verified and f.kind != "remove-deny"
        ]
        if not editing:
            outcomes.append(Outcome(d, False, _reason(fixes), None, dups, dependent))
            continue
        f = editing[0]
        path = Path(f.path).resolve()
        text = read(str(path))
        originals.setdefault(path, text)
        texts[path] = apply_edits(text, f.edits)
        dirty = True
        titles.setdefault(path, []).append(f.title)
        if f.ref is not None and f.ref.embed.startswith("cdk-"):
            synthesized.add(path)
        outcomes.append(Outcome(d, True, f.title, str(path), dups, dependent))
    # Every fix again, against all final documents together.
    final = with_texts(index, texts)
    checked = []
    for o in outcomes:
        if (
            o.fixed
            and not (o.path and Path(o.path) in synthesized)
            and not _allowed(final, o.denial)
        ):
            o = replace(
                o,
                fixed=False,
                how=f"{o.how}: not allowed once every edit is applied; not applied",
            )
        checked.append(o)
    changes = tuple(
        FileChange(
            p, originals[p], texts[p], _one_edit(originals[p], texts[p]), tuple(t)
        )
        for p, t in titles.items()
        if texts[p] != originals[p]
    )
    return FixAllResult(variant, changes, tuple(checked))
