"""Settings: pulled per workspace folder, pushed, or from initializationOptions.

Settings come from `workspace/configuration` (section `accessdenied`) when the client
supports it, else from the pushed `didChangeConfiguration` table, else from
`initializationOptions`. A bad table is reported once with `window/showMessage` and the
defaults are used; the server never restarts for a settings change.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from accessdenied.lsp import logging as lsp_logging
from accessdenied.lsp.server import AccessDeniedServer
from accessdenied.lsp.settings import (
    Settings,
    SettingsError,
    parse_settings,
)

logger = logging.getLogger(__name__)
SECTION = "accessdenied"


def parse_or_default(ls: AccessDeniedServer, raw: Any, origin: str) -> Settings:
    """Parsed settings; on error say so to the user once and use the defaults."""
    try:
        return parse_settings(raw)
    except SettingsError as exc:
        message = f"AccessDenied: {exc}. Using the default settings."
        logger.warning("%s (from %s); using defaults", exc, origin)
        # The same bad table pulled again (every folder, every change) is told once.
        if message not in ls.reported_settings_errors:
            ls.reported_settings_errors.add(message)
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )
        return Settings()


def apply_settings(ls: AccessDeniedServer, raw: Any, origin: str) -> bool:
    """Parse and install `raw` as the default settings; False when it was invalid."""
    settings = parse_or_default(ls, raw, origin)
    ls.settings = settings
    lsp_logging.set_level(settings.server.log_level)
    return settings is not None


async def pull_settings(ls: AccessDeniedServer, pushed: Any = None) -> None:
    """Fetch settings for every workspace folder (or the pushed table) and install them.

    The first folder's settings are the server's default (log level, terminals).
    """
    folders = ls.folders
    raws: list[Any] = []
    origin = "initializationOptions"
    if ls.client_supports("workspace.configuration", False):
        scopes = [f.as_uri() for f in folders] or [ls.workspace.root_uri]
        try:
            result = await ls.workspace_configuration_async(
                types.ConfigurationParams(
                    items=[
                        types.ConfigurationItem(section=SECTION, scope_uri=scope)
                        for scope in scopes
                    ]
                )
            )
            raws = list(result or [])
            origin = "workspace/configuration"
        except Exception as exc:  # a client that fails the request: fall back
            logger.info("workspace/configuration failed (%s); falling back", exc)
    fallback: Any = None
    fallback_origin = origin
    if not _empty(pushed):
        fallback, fallback_origin = pushed, "workspace/didChangeConfiguration"
    elif not _empty(ls.initialization_options):
        fallback, fallback_origin = ls.initialization_options, "initializationOptions"
    by_folder = {}
    first: Settings | None = None
    for i, folder in enumerate(folders or [None]):
        raw = raws[i] if i < len(raws) else None
        where = origin
        if _empty(raw):
            raw, where = fallback, fallback_origin
        settings = parse_or_default(ls, raw, where)
        if first is None:
            first = settings
        if folder is not None:
            by_folder[folder] = settings
    ls.settings_service.by_folder = by_folder
    ls.settings = first or Settings()
    lsp_logging.set_level(ls.settings.server.log_level)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []
