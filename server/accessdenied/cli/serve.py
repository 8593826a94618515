"""`accessdenied serve`: the language server over stdio (`--tcp HOST:PORT` for debugging)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the `serve` subcommand."""
    p = sub.add_parser(
        "serve",
        help="run the language server (LSP over stdio)",
        description="Run the accessdenied language server. It speaks LSP on stdin/stdout "
        "unless --tcp is given.",
    )
    p.add_argument(
        "--stdio",
        action="store_true",
        help="speak LSP on stdin/stdout (the default; accepted for client compatibility)",
    )
    p.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        help="listen on a TCP socket instead of stdio (debugging)",
    )
    p.add_argument(
        "--log-file",
        metavar="FILE",
        help="also write the server's own log (and pygls's) to FILE",
    )
    p.set_defaults(func=run)


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--tcp expects HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def run(args: argparse.Namespace) -> int:
    """Start the server; returns when the client disconnects or sends `exit`."""
    tcp = None
    if args.tcp:
        try:
            tcp = _host_port(args.tcp)
        except ValueError as exc:
            sys.stderr.write(f"accessdenied serve: {exc}\n")
            return 2
    # Nothing but LSP may reach stdout; log records go to stderr (and the client).
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.log_file:
        handler = logging.FileHandler(args.log_file, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.DEBUG)
        logging.getLogger("accessdenied").addHandler(handler)

    from accessdenied.lsp.app import build_server

    server = build_server()
    if tcp is not None:
        # pygls logs "Serving on (host, port)" once the socket is bound: show it.
        logging.getLogger("pygls.server").setLevel(logging.INFO)
        server.start_tcp(*tcp)
    else:
        server.start_io()
    return 0
