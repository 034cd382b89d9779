"""Starting the dashboard for a database: access, application, server, and the address shown.

Both ``presence web`` and ``presence run`` (with ``[web] enabled = true``) come through
:func:`start_dashboard`, so they log in, bind and announce the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.web.access import load_access
from assistant.web.app import create_app
from assistant.web.server import WebServer, is_loopback

if TYPE_CHECKING:
    from assistant.plugins import PluginHost
    from assistant.web.health import Running

__all__ = ["start_dashboard"]

log = logging.getLogger(__name__)


def _say(text: str) -> None:
    print(text, file=sys.stdout, flush=True)


async def start_dashboard(
    db: Database,
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    plugins: PluginHost | None = None,
    running: Running | None = None,
    say: Callable[[str], None] = _say,
) -> WebServer:
    """Serve the dashboard of ``db``; ``host`` and ``port`` override ``[web]``.

    ``plugins`` is the running assistant's plugin host (``presence run``): the Health
    page then shows each plugin's live delivery figures, and the Now page's dismiss
    button goes through the openings plugin as ``!dismiss`` does. ``running`` is the
    assistant itself: the Health page shows its connections, analysis workers and event
    loop lag. ``presence web`` passes neither.

    ``say`` shows the owner the address (with the token, the one time it is new) and, when
    the address is not loopback, the warning. Stop the returned server when done.

    Raises:
        ConfigError: the password's variable is unset, or the address cannot be bound.
    """
    access = load_access(settings)
    server = WebServer(
        create_app(db, settings, access, plugins=plugins, running=running),
        host=host if host is not None else settings.web.host,
        port=port if port is not None else settings.web.port,
    )
    await server.start()
    if not is_loopback(server.host):
        warning = (
            f"Warning: the dashboard listens on {server.host}, so other machines can reach it; "
            "anyone with the token can read everything Presence recorded."
        )
        log.warning("web: listening on non-loopback address %s", server.host)
        say(warning)
    if access.new_token:
        say(f"Dashboard: {server.url}?token={access.secret}")
        say(f"  (this address is shown once; the token is kept in {access.source})")
    else:
        say(f"Dashboard: {server.url} (log in with the {_what(access.source)} {access.source})")
    return server


def _what(source: str) -> str:
    return "password in" if source.startswith("$") else "token in"
