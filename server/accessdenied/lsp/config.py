"""Lifecycle and settings: initialize, initialized, didChangeConfiguration, shutdown.

Settings come from `workspace/configuration` (section `accessdenied`) when the client
supports it, else from the pushed `didChangeConfiguration` table, else from
`initializationOptions`. A bad table is reported once with `window/showMessage` and the
defaults are used; the server never restarts for a settings change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from lsprotocol import types

from accessdenied.lsp import logging as lsp_logging
from accessdenied.lsp.server import AccessDeniedServer
from accessdenied.lsp.settings import (
    Settings,
    SettingsError,
    parse_settings,
    settings_to_json,
)

logger = logging.getLogger(__name__)
SECTION = "accessdenied"
STATUS = "accessDenied/status"
INDEX_WAIT = 3.0  # seconds the first log scan waits for the workspace index


def apply_settings(ls: AccessDeniedServer, raw: Any, origin: str) -> bool:
    """Parse and install `raw`; on error say so to the user and use the defaults."""
    try:
        settings = parse_settings(raw)
    except SettingsError as exc:
        logger.warning("%s (from %s); using defaults", exc, origin)
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning,
                message=f"AccessDenied: {exc}. Using the default settings.",
            )
        )
        settings = Settings()
        ls.settings = settings
        lsp_logging.set_level(settings.server.log_level)
        return False
    ls.settings = settings
    lsp_logging.set_level(settings.server.log_level)
    return True


async def pull_settings(ls: AccessDeniedServer, pushed: Any = None) -> None:
    """Fetch settings from the client (or the pushed table) and install them."""
    raw: Any = None
    origin = "initializationOptions"
    if ls.client_supports("workspace.configuration", False):
        try:
            result = await ls.workspace_configuration_async(
                types.ConfigurationParams(
                    items=[
                        types.ConfigurationItem(
                            section=SECTION, scope_uri=ls.workspace.root_uri
                        )
                    ]
                )
            )
            raw = result[0] if result else None
            origin = "workspace/configuration"
        except Exception as exc:  # a client that fails the request: fall back
            logger.info("workspace/configuration failed (%s); falling back", exc)
    if _empty(raw) and not _empty(pushed):
        raw, origin = pushed, "workspace/didChangeConfiguration"
    if _empty(raw):
        raw, origin = ls.initialization_options, "initializationOptions"
    apply_settings(ls, raw, origin)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def register(server: AccessDeniedServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: AccessDeniedServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        lsp_logging.install(ls)
        ls.initialization_options = params.initialization_options
        apply_settings(ls, params.initialization_options, "initializationOptions")

    @server.feature(types.INITIALIZED)
    async def on_initialized(
        ls: AccessDeniedServer, params: types.InitializedParams
    ) -> None:
        from accessdenied.lsp import indexing, logs

        try:
            await pull_settings(ls)
        except Exception:
            logger.exception("reading settings failed")
        indexing.schedule(ls, delay=0.0, progress=True)
        # Give the index a moment so that the first log diagnostics already point at
        # policy files; a slow index only delays the enrichment, never the denials.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ls.index_done.wait(), INDEX_WAIT)
        await logs.start(ls)
        logger.info(
            "accessdenied server ready (position encoding %s, root %s)",
            ls.encoding,
            ls.root_path,
        )

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_did_change_configuration(
        ls: AccessDeniedServer, params: types.DidChangeConfigurationParams
    ) -> None:
        from accessdenied.lsp import diagnostics, logs

        try:
            await pull_settings(ls, params.settings)
            await logs.reconfigure(ls)
            diagnostics.schedule_policy_denials(ls)
        except Exception:
            logger.exception("applying new settings failed")

    @server.feature(STATUS)
    def on_status(ls: AccessDeniedServer, params: Any) -> dict[str, Any]:
        """`accessDenied/status`: what the server is doing (for status bars and tests)."""
        watcher = ls.logs
        return {
            "version": ls.version,
            "positionEncoding": ls.encoding,
            "root": str(ls.root_path) if ls.root_path else None,
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
            "terminals": sorted(ls.terminals or {}),
            "settings": settings_to_json(ls.settings),
        }

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: AccessDeniedServer, params: Any) -> None:
        ls.shutting_down = True
        for task in list(ls.tasks):
            task.cancel()
        ls.core_pool.shutdown(wait=False, cancel_futures=True)
