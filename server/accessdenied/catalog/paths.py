"""Where catalog snapshots live (bundled in the package, user cache) and how one is read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from accessdenied.catalog import snapshot

SNAPSHOT_NAME = "catalog.json.gz"


CACHE_NAME = "catalog.json.gz"


def bundled_path() -> Path:
    """The snapshot shipped inside the package."""
    return Path(__file__).resolve().parent / "data" / SNAPSHOT_NAME


def cache_dir() -> Path:
    """The user cache directory ($XDG_CACHE_HOME/accessdenied or ~/.cache/accessdenied)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "accessdenied"


def cache_path() -> Path:
    """Where `accessdenied catalog update` writes the refreshed catalog."""
    return cache_dir() / CACHE_NAME


def read_snapshot(path: Path) -> dict[str, Any]:
    """Parse a snapshot file; raises OSError/ValueError when unusable."""
    try:
        return snapshot.decode(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
