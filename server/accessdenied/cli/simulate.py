"""`accessdenied simulate`: not implemented yet (its issue owns this module)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the `simulate` subcommand."""
    p = sub.add_parser("simulate", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Report that the subcommand is missing."""
    sys.stderr.write("accessdenied simulate: not implemented yet\n")
    return 2
