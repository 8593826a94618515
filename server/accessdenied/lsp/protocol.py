"""JSON-RPC edges pygls leaves open: every malformed message gets an answer.

- A request whose params do not validate (a negative `Position.line`, a wrong type) is
  answered with InvalidParams (-32602) instead of silence.
- A body that is not JSON, and a header block without a usable `Content-Length`, are
  answered with ParseError (-32700, id null); reading resynchronises on the next header.
- A second `initialize` is rejected with InvalidRequest (-32600); the session goes on.
- `exit`, and the end of stdin (the editor went away), end the process at once,
  whatever core thread is still busy.
- Documents count lines as LSP does (`\\n`, `\\r\\n`, `\\r` only), not as `str.splitlines`
  does (which also splits at U+2028, U+0085, form feeds...), so incremental edits of
  such text land where the client put them. The same model as `text.LineIndex`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Generator, Sequence
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.workspace import TextDocument

from accessdenied.text import split_lines

logger = logging.getLogger(__name__)

#: Larger bodies are refused (and skipped): no client sends 256 MB in one message.
MAX_BODY = 256 * 1024 * 1024
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\S*)", re.IGNORECASE)


class LspTextDocument(TextDocument):
    """A pygls document whose lines are the protocol's lines."""

    @property
    def lines(self) -> Sequence[str]:
        return tuple(split_lines(self.source))


class _Invalid:
    """Stands for a message that could not be structured (already answered)."""

    jsonrpc = "invalid"


class AccessDeniedProtocol(LanguageServerProtocol):
    """pygls's protocol with the edges above closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_seen = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except Exception as exc:
            if "jsonrpc" in data and "method" in data and "id" in data:
                why = str(exc.__cause__ or exc).splitlines()[0][:300]
                self._send_error(data.get("id"), -32602, f"Invalid params: {why}")
            elif "jsonrpc" in data and "method" in data:
                logger.warning("ignoring invalid %s notification", data.get("method"))
            return _Invalid()

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Invalid):
            return
        if not hasattr(message, "jsonrpc"):
            # Valid JSON that is not a JSON-RPC message (an array, a bare value).
            self._send_error(None, -32600, "Invalid Request: not a JSON-RPC message")
            return
        super().handle_message(message)

    def _send_error(self, msg_id: Any, code: int, message: str) -> None:
        self._send_data(
            {
                "jsonrpc": "2.0",
                "id": msg_id if isinstance(msg_id, (int, str)) else None,
                "error": {"code": code, "message": message},
            }
        )

    def parse_error(self, message: str) -> None:
        """Answer an unreadable message (id null, as JSON-RPC 2.0 says)."""
        self._send_error(None, -32700, f"Parse error: {message}")

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """Initialize as pygls does, once per session, with LSP line counting."""
        if self._initialize_seen:
            raise JsonRpcInvalidRequest("initialize may only be sent once")
        self._initialize_seen = True
        gen = super().lsp_initialize(params)
        try:
            step = next(gen)
        except StopIteration as stop:
            self._use_lsp_lines()
            result: types.InitializeResult = stop.value
            return result
        # The workspace exists once pygls first yields (to our initialize handler).
        self._use_lsp_lines()
        while True:
            sent = yield step
            try:
                step = gen.send(sent)
            except StopIteration as stop:
                result = stop.value
                return result

    def _use_lsp_lines(self) -> None:
        ws = self._workspace
        if ws is None:
            return

        def create(
            doc_uri: str,
            source: str | None = None,
            version: int | None = None,
            language_id: str | None = None,
        ) -> TextDocument:
            return LspTextDocument(
                doc_uri,
                source=source,
                version=version,
                language_id=language_id,
                sync_kind=ws._sync_kind,
                position_codec=ws._position_codec,
            )

        ws._create_text_document = create  # type: ignore[method-assign]

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """End the process now: a busy core thread must not keep it alive."""
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        _exit(0 if self._shutdown else 1)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


async def run(
    stop_event: threading.Event, reader: Any, protocol: AccessDeniedProtocol
) -> None:
    """The stdio loop of pygls, answering what it would drop (see module docstring)."""
    length: int | None = None
    bad: str | None = None
    seen_header = False
    while not stop_event.is_set():
        header = await reader.readline()
        if not header:
            break
        if header.strip():
            seen_header = True
            m = _CONTENT_LENGTH.search(header)
            if m:
                value = m.group(1)
                if value.isdigit() and int(value) <= MAX_BODY:
                    length, bad = int(value), None
                else:
                    length = None
                    shown = value[:40].decode("ascii", "replace")
                    bad = f"bad Content-Length header {shown!r}"
            continue
        if not seen_header:
            continue  # stray blank line
        seen_header = False
        if length is None:
            protocol.parse_error(bad or "missing Content-Length header")
            bad = None
            continue
        try:
            body = await reader.readexactly(length) if length else b""
        except asyncio.IncompleteReadError:
            break  # stdin ended inside a body: the client is gone
        length = None
        if not body:
            protocol.parse_error("empty body")
            continue
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except ValueError as exc:
            protocol.parse_error(str(exc))
            continue
        except RecursionError:
            # `[[[[...` nested deeper than the parser's stack: refused, not fatal.
            protocol.parse_error("JSON nested too deeply")
            continue
        try:
            protocol.handle_message(message)
        except Exception:
            logger.exception("Unable to handle message")


def start_io(server: Any) -> None:
    """Serve LSP on stdin/stdout with `run` as the message loop."""
    from pygls.io_ import StdinAsyncReader, StdoutWriter

    server._stop_event = stop = threading.Event()
    reader = StdinAsyncReader(sys.stdin.buffer, server.thread_pool)
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(run(stop, reader, server.protocol))
    except BrokenPipeError:
        logger.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
    # stdin ended (the editor is gone): do not wait for a busy core thread to finish.
    _exit(0 if server.protocol._shutdown else 1)


def _exit(code: int) -> None:
    with _quiet():
        sys.stdout.flush()
    with _quiet():
        sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
