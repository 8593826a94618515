"""`accessDenied/terminalOutput {terminal, command, data}`: terminal text -> diagnostics.

Clients forward output in arbitrary chunks; lines are reassembled per terminal and only
complete lines are scanned (a trailing partial line waits for its newline, or for the
next command). Each terminal is a virtual document `accessdenied-terminal:/<terminal>`
holding its recent lines; its denials are published there and on the policy files
they concern.

Input is bounded whatever a terminal spews: each buffer keeps a bounded tail (see
`services.TerminalBuffer`), at most MAX_TERMINALS terminals are remembered (the least
recently active one is forgotten first), and a closed terminal
(`accessDenied/terminalClosed {terminal}`, or `terminalOutput` with `closed: true`)
is forgotten with its diagnostics.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from accessdenied.lsp import diagnostics
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, DenialSource
from accessdenied.lsp.services import (
    MAX_CHARS,
    MAX_LINES,
    MAX_PENDING,
    MAX_TERMINALS,
    TerminalBuffer,
)
from accessdenied.text import LineIndex

__all__ = [
    "MAX_CHARS",
    "MAX_LINES",
    "MAX_PENDING",
    "MAX_TERMINALS",
    "TerminalBuffer",
    "terminal_uri",
]

logger = logging.getLogger(__name__)

METHOD = "accessDenied/terminalOutput"
CLOSED = "accessDenied/terminalClosed"
SCHEME = "accessdenied-terminal"
SCAN_DELAY = 0.05


def terminal_uri(terminal: str) -> str:
    """The virtual document URI of a terminal."""
    return f"{SCHEME}:/{urllib.parse.quote(terminal, safe='')}"


def _field(params: Any, name: str) -> str:
    if isinstance(params, dict):
        value = params.get(name)
    else:
        value = getattr(params, name, None)
    return value if isinstance(value, str) else ""


def _closed(params: Any) -> bool:
    value = (
        params.get("closed")
        if isinstance(params, dict)
        else getattr(params, "closed", None)
    )
    return value is True


def forget(ls: AccessDeniedServer, name: str) -> None:
    """Drop a terminal: its buffer, pending scan and diagnostics."""
    buf = ls.terminals.pop(name, None)
    if buf is None:
        return
    task = ls.debounced.pop(f"terminal:{name}", None)
    if task is not None and not task.done():
        task.cancel()
    diagnostics.drop_source(ls, buf.uri)


async def publish(ls: AccessDeniedServer, buf: TerminalBuffer) -> None:
    from accessdenied.denials import scan_text

    text = buf.text()
    denials = await ls.in_thread(scan_text, text)
    limit = max(ls.settings.logs.max_diagnostics, 1)
    source = DenialSource(
        uri=buf.uri,
        label=f"terminal {buf.name}",
        denials=denials[-limit:],
        index=LineIndex(text),
    )
    ls.sources[buf.uri] = source
    await diagnostics.publish_source(ls, source)


class TerminalFeature(Feature):
    """`accessDenied/terminalOutput`: terminal chunks -> denial diagnostics."""

    name = "terminal"

    def register(self) -> None:
        server = self.server
        buffers = server.terminals

        @server.feature(CLOSED)
        def on_terminal_closed(ls: AccessDeniedServer, params: Any) -> None:
            try:
                forget(ls, _field(params, "terminal") or "terminal")
            except Exception:
                logger.exception("terminal close could not be handled")

        @server.feature(METHOD)
        def on_terminal_output(ls: AccessDeniedServer, params: Any) -> None:
            try:
                if not ls.settings.terminal.enabled:
                    return
                name = (_field(params, "terminal") or "terminal")[:256]
                if _closed(params):
                    forget(ls, name)
                    return
                data = _field(params, "data")
                command = _field(params, "command")
                buf = buffers.get(name)
                if buf is None:
                    while len(buffers) >= MAX_TERMINALS:
                        forget(ls, next(iter(buffers)))
                    buf = buffers[name] = TerminalBuffer(
                        name=name, uri=terminal_uri(name)
                    )
                buffers.move_to_end(name)
                if not buf.feed(command, data):
                    return

                async def run() -> None:
                    try:
                        await publish(ls, buf)
                    except Exception:
                        logger.exception("scanning terminal %s failed", name)

                ls.debounce(f"terminal:{name}", SCAN_DELAY, run)
            except Exception:
                logger.exception("terminal output could not be handled")
