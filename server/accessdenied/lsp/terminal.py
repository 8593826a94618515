"""`accessDenied/terminalOutput {terminal, command, data}`: terminal text -> diagnostics.

Clients forward output in arbitrary chunks; lines are reassembled per terminal and only
complete lines are scanned (a trailing partial line waits for its newline, or for the
next command). Each terminal is a virtual document `accessdenied-terminal:/<terminal>`
holding its recent lines; its denials are published there and on the policy files
they concern.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from accessdenied.denials import scan_text
from accessdenied.lsp import diagnostics
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, DenialSource
from accessdenied.lsp.services import MAX_LINES, MAX_PENDING, TerminalBuffer
from accessdenied.text import LineIndex

__all__ = ["MAX_LINES", "MAX_PENDING", "TerminalBuffer", "terminal_uri"]

logger = logging.getLogger(__name__)

METHOD = "accessDenied/terminalOutput"
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


async def publish(ls: AccessDeniedServer, buf: TerminalBuffer) -> None:
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

        @server.feature(METHOD)
        def on_terminal_output(ls: AccessDeniedServer, params: Any) -> None:
            try:
                if not ls.settings.terminal.enabled:
                    return
                name = _field(params, "terminal") or "terminal"
                data = _field(params, "data")
                command = _field(params, "command")
                buf = buffers.get(name)
                if buf is None:
                    buf = buffers[name] = TerminalBuffer(
                        name=name, uri=terminal_uri(name)
                    )
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
