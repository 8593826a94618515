"""Which KMS key encrypts a bucket managed in Terraform (for the dependent-actions variant).

`aws_s3_bucket_server_side_encryption_configuration` (or the legacy inline
`server_side_encryption_configuration` block) with `sse_algorithm = "aws:kms"` means an
`s3:PutObject` also needs `kms:GenerateDataKey` (and `s3:GetObject` `kms:Decrypt`) on
that key; AES256 means it needs neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from accessdenied.containers.terraform.documents import _Owners
from accessdenied.containers.terraform.hcl import Block
from accessdenied.containers.terraform.resolve import Resolver, load_module, load_state


@dataclass(frozen=True, slots=True)
class BucketEncryption:
    """What the configuration says about a bucket's default encryption."""

    bucket: str
    kms: bool
    key_arn: str | None  # the key's ARN (pattern) when KMS and known
    where: str


def _rule_algorithm(block: Block, r: Resolver) -> tuple[str | None, Block | None]:
    for rule in block.children("rule"):
        for by_default in rule.children("apply_server_side_encryption_by_default"):
            e = by_default.value("sse_algorithm")
            algo = r.value(e) if e is not None else None
            return (algo if isinstance(algo, str) else None), by_default
    return None, None


def _key(by_default: Block, owners: _Owners, r: Resolver) -> str | None:
    e = by_default.value("kms_master_key_id")
    if e is None:
        return None  # the AWS managed key aws/s3
    arn = owners.resource(e, "aws_kms_key")
    if arn is None:
        return None
    return arn[0] if arn[0].startswith("arn:") else None


def bucket_encryption(files: Iterable[Path], bucket: str) -> BucketEncryption | None:
    """The encryption of `bucket` if a Terraform module among `files` manages it."""
    dirs = sorted({p.parent for p in files if p.suffix == ".tf"})
    for directory in dirs[:200]:
        module = load_module(directory)
        r = Resolver(module, state=load_state(directory))
        owners = _Owners(module, r)
        for path, b in module.blocks("resource"):
            if b.labels[:1] != ("aws_s3_bucket",) or len(b.labels) < 2:
                continue
            if r.arg_string(b, "bucket") != bucket:
                continue
            address = ".".join(b.labels[:2])
            where = f"{path.name}:{module.files[path].line(b.start)}"
            # Legacy inline block on the bucket itself.
            for sse in b.children("server_side_encryption_configuration"):
                algo, by_default = _rule_algorithm(sse, r)
                if algo is not None and by_default is not None:
                    kms = algo.startswith("aws:kms")
                    key = _key(by_default, owners, r) if kms else None
                    return BucketEncryption(bucket, kms, key, where)
            for cpath, c in module.blocks("resource"):
                if c.labels[:1] != (
                    "aws_s3_bucket_server_side_encryption_configuration",
                ):
                    continue
                ref = c.value("bucket")
                named = ref is not None and (
                    (ref.kind == "ref" and str(ref.value).startswith(f"{address}."))
                    or r.value(ref) == bucket
                )
                if not named:
                    continue
                algo, by_default = _rule_algorithm(c, r)
                if algo is not None and by_default is not None:
                    kms = algo.startswith("aws:kms")
                    key = _key(by_default, owners, r) if kms else None
                    line = module.files[cpath].line(c.start)
                    return BucketEncryption(bucket, kms, key, f"{cpath.name}:{line}")
            # Managed here without a KMS configuration: SSE-S3, the default since 2023.
            return BucketEncryption(bucket, False, None, where)
    return None
