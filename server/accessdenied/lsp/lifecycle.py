"""The fixed LSP handlers: lifecycle, document sync, configuration, watched files.

Each handler does the protocol part and then calls one hook on every feature
(`AccessDeniedServer.dispatch`); no feature registers these methods itself, so no
feature has to chain onto another's handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from typing import Any

from lsprotocol import types

from accessdenied.lsp import config
from accessdenied.lsp import logging as lsp_logging
from accessdenied.lsp.server import AccessDeniedServer
from accessdenied.lsp.settings import settings_to_json

logger = logging.getLogger(__name__)
STATUS = "accessDenied/status"


def register(server: AccessDeniedServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: AccessDeniedServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        lsp_logging.install(ls)
        ls.initialization_options = params.initialization_options
        config.apply_settings(
            ls, params.initialization_options, "initializationOptions"
        )

    @server.feature(types.INITIALIZED)
    async def on_initialized(
        ls: AccessDeniedServer, params: types.InitializedParams
    ) -> None:
        try:
            await config.pull_settings(ls)
        except Exception:
            logger.exception("reading settings failed")
        await ls.dispatch("initialized")
        logger.info(
            "accessdenied server ready (position encoding %s, root %s)",
            ls.encoding,
            ls.root_path,
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def on_did_open(
        ls: AccessDeniedServer, params: types.DidOpenTextDocumentParams
    ) -> None:
        await ls.dispatch("opened", params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def on_did_change(
        ls: AccessDeniedServer, params: types.DidChangeTextDocumentParams
    ) -> None:
        await ls.dispatch("changed", params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def on_did_save(
        ls: AccessDeniedServer, params: types.DidSaveTextDocumentParams
    ) -> None:
        await ls.dispatch("saved", params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def on_did_close(
        ls: AccessDeniedServer, params: types.DidCloseTextDocumentParams
    ) -> None:
        await ls.dispatch("closed", params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_did_change_configuration(
        ls: AccessDeniedServer, params: types.DidChangeConfigurationParams
    ) -> None:
        try:
            await config.pull_settings(ls, params.settings)
        except Exception:
            logger.exception("applying new settings failed")
            return
        await ls.dispatch("settings_changed")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def on_did_change_watched_files(
        ls: AccessDeniedServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        await ls.dispatch("files_changed", list(params.changes))

    @server.feature(STATUS)
    def on_status(ls: AccessDeniedServer, params: Any) -> dict[str, Any]:
        """`accessDenied/status`: what the server is doing (for status bars and tests)."""
        watcher = ls.logs
        return {
            "version": ls.version,
            "positionEncoding": ls.encoding,
            "root": str(ls.root_path) if ls.root_path else None,
            "folders": [str(f) for f in ls.folders],
            "indexReady": ls.index_done.is_set(),
            "indexedPolicies": sorted(ls.index_paths),
            "watchMode": (
                None
                if watcher is None
                else "client"
                if watcher.registration_id
                else "polling"
            ),
            "watchedLogs": sorted(str(p) for p in watcher.files) if watcher else [],
            "terminals": sorted(ls.terminals),
            "settings": settings_to_json(ls.settings),
        }

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: AccessDeniedServer, params: Any) -> None:
        ls.shutting_down = True
        for feature in ls.features:
            try:
                feature.shutdown()
            except Exception:
                logger.exception("%s: shutdown failed", feature.name)
        for task in list(ls.tasks):
            task.cancel()
        ls.core_pool.shutdown(wait=False, cancel_futures=True)

    @server.feature(types.EXIT)
    def on_exit(ls: AccessDeniedServer, params: Any) -> None:
        """Leave at once: no waiting for worker threads or the blocked stdin reader.

        Clients (Emacs eglot) kill a server that is not gone within ~100 ms of `exit`;
        nothing is pending after `shutdown`, and results are never written to disk by
        the server, so an immediate process exit loses nothing.
        """
        code = 0 if ls.shutting_down else 1
        logging.shutdown()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
