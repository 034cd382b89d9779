"""``presence web``: serve the dashboard of the configured database until Ctrl-C.

One of :data:`assistant.commandline.COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal

from assistant.commandline.terminal import EXIT_OK, Terminal, config_arg, load_config
from assistant.commandline.types import Handler, Subcommands
from assistant.people.linking import relink_people
from assistant.storage.database import Database

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``web`` to the ``presence`` subcommands; return its handler."""
    web = sub.add_parser(
        "web", help="serve the dashboard (sessions, people) on http://127.0.0.1:8787/"
    )
    config_arg(web)
    web.add_argument(
        "--host",
        default=None,
        help="address to listen on (default: [web] host, 127.0.0.1); anything but loopback "
        "lets other machines reach it",
    )
    web.add_argument(
        "--port", type=int, default=None, help="TCP port (default: [web] port, 8787; 0: any free)"
    )
    return {"web": cmd_web}


def cmd_web(args: argparse.Namespace, term: Terminal) -> int:
    """Serve the dashboard until SIGINT or SIGTERM."""

    from assistant.web.dashboard import start_dashboard

    settings = load_config(args.config)

    async def serve() -> None:
        # The SQLite file (made if missing) or PostgreSQL, as `presence run` opens it.
        async with await Database.open_settings(settings) as db:
            # The same linking `presence people` does first, so pages follow accounts and aliases.
            await relink_people(db, settings)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            server = await start_dashboard(db, settings, host=args.host, port=args.port)
            # What start-up made (modules, settings, templates) lives as long as the process:
            # set it aside from the garbage collector's full passes, which would otherwise
            # walk it again on every one (tens of milliseconds each on a busy machine).
            gc.freeze()
            try:
                await stop.wait()
            finally:
                await server.stop()

    asyncio.run(serve())
    return EXIT_OK
