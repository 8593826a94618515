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
from dataclasses import dataclass, field
from typing import Any

from accessdenied.denials import scan_text
from accessdenied.lsp import diagnostics
from accessdenied.lsp.server import AccessDeniedServer, DenialSource
from accessdenied.text import LineIndex

logger = logging.getLogger(__name__)

METHOD = "accessDenied/terminalOutput"
SCHEME = "accessdenied-terminal"
MAX_LINES = 2000
MAX_PENDING = 64 * 1024  # a "line" longer than this is flushed as is
SCAN_DELAY = 0.05


def terminal_uri(terminal: str) -> str:
    """The virtual document URI of a terminal."""
    return f"{SCHEME}:/{urllib.parse.quote(terminal, safe='')}"


@dataclass
class TerminalBuffer:
    name: str
    uri: str
    lines: list[str] = field(default_factory=list)
    pending: str = ""
    command: str = ""

    def feed(self, command: str, data: str) -> bool:
        """Add a chunk; True when at least one line was completed."""
        grew = False
        if command and command != self.command:
            grew = self.flush()
            self.command = command
            self.lines.append(f"$ {command}")
            grew = True
        text = self.pending + data.replace("\r\n", "\n").replace("\r", "\n")
        *complete, self.pending = text.split("\n")
        if len(self.pending) > MAX_PENDING:
            complete.append(self.pending)
            self.pending = ""
        if complete:
            self.lines.extend(complete)
            grew = True
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]
        return grew

    def flush(self) -> bool:
        if not self.pending:
            return False
        self.lines.append(self.pending)
        self.pending = ""
        return True

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


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


def register(server: AccessDeniedServer) -> None:
    buffers: dict[str, TerminalBuffer] = {}
    server.terminals = buffers

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
                buf = buffers[name] = TerminalBuffer(name=name, uri=terminal_uri(name))
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
