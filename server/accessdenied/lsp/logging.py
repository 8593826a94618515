"""A `logging.Handler` that forwards `accessdenied.*` records to `window/logMessage`."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


def _message_type(levelno: int) -> types.MessageType:
    if levelno >= logging.ERROR:
        return types.MessageType.Error
    if levelno >= logging.WARNING:
        return types.MessageType.Warning
    if levelno >= logging.INFO:
        return types.MessageType.Info
    return types.MessageType.Log


class LspLogHandler(logging.Handler):
    """Sends log records to the client; skips pygls's own records (they are protocol noise)."""

    def __init__(self, server: LanguageServer, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("pygls", "asyncio")):
            return
        # A failed send must not log again through this handler (recursion).
        if getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            message = self.format(record)
            params = types.LogMessageParams(
                type=_message_type(record.levelno), message=message
            )
            loop = getattr(self.server, "loop", None)
            if loop is not None and loop.is_running() and not _in_loop_thread(loop):
                loop.call_soon_threadsafe(self.server.window_log_message, params)
            else:
                self.server.window_log_message(params)
        except Exception:  # never let logging take a handler down
            pass
        finally:
            self._local.busy = False


def _in_loop_thread(loop: object) -> bool:
    thread_id = getattr(loop, "_thread_id", None)
    return thread_id is None or thread_id == threading.get_ident()


def install(server: LanguageServer, level: str = "info") -> LspLogHandler:
    """Attach the handler to the `accessdenied` logger (idempotent) and set its level."""
    root = logging.getLogger("accessdenied")
    for h in list(root.handlers):
        if isinstance(h, LspLogHandler):
            root.removeHandler(h)
    handler = LspLogHandler(server)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    set_level(level)
    root.propagate = False
    return handler


def set_level(level: str) -> None:
    logging.getLogger("accessdenied").setLevel(LEVELS.get(level.lower(), logging.INFO))
