"""The `accessdenied` command: one sub-module per subcommand, all sharing the core.

Each sub-module exposes `add_parser(subparsers)`, which registers its arguments and sets
`func` to a `(args) -> int` runner. Registration is cheap: heavy imports happen inside the
runner, so `accessdenied scan` never pays for the language server and vice versa.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from accessdenied import __version__

# Exit statuses shared by every subcommand.
EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2

SUBCOMMANDS = ("scan", "check", "simulate", "fix", "serve", "run", "catalog", "trail")


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and a one-line hint on usage errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = _Parser(
        prog="accessdenied",
        description="Find AWS access denials, check IAM policies, simulate and fix them.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"accessdenied.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `accessdenied scan big.log | head` is normal use, not an error.
        sys.stderr.close()
        return EXIT_OK
