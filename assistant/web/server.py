"""Serving the dashboard with uvicorn inside the caller's own event loop.

The server shares the loop with the connectors (under ``presence run``), so it installs no
signal handlers of its own (the host process owns SIGINT and SIGTERM), and it binds its
socket itself, so a port already in use is an error the owner can act on (uvicorn would exit
the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket

import uvicorn
from starlette.types import ASGIApp

from assistant.config import ConfigError

__all__ = ["WebServer", "is_loopback"]

log = logging.getLogger(__name__)

_STOP_WAIT = 5.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class WebServer:
    """One HTTP server for ``app`` on ``host``:``port``; start and stop it from a running loop."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 8787) -> None:
        """Serve ``app``; ``port`` 0 picks a free port (read it from :attr:`port` once started)."""
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The dashboard's address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def _bind(self) -> socket.socket:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
                sock.listen(100)
            except BaseException:
                sock.close()
                raise
        except OSError as exc:
            raise ConfigError(
                [
                    f"web: cannot listen on {self.host}:{self.port} ({exc.strerror or exc}); "
                    "choose another [web] port (or --port), or stop what is using it"
                ]
            ) from exc
        return sock

    async def start(self) -> None:
        """Bind, then serve in a task of its own until :meth:`stop`.

        Raises:
            ConfigError: the address cannot be bound (in use, or not this machine's).
        """
        sock = await self._bind()
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            http="h11",
            ws="none",
        )
        config.load()
        server = uvicorn.Server(config)
        # What Server.serve does, minus its signal handlers: the host process owns SIGINT and
        # SIGTERM, and stops this server through stop().
        server.lifespan = config.lifespan_class(config)
        try:
            await server.startup(sockets=[sock])
        except BaseException:
            sock.close()
            raise
        self._server = server
        self._task = asyncio.create_task(self._serve(server, sock), name="web")
        summaries = getattr(getattr(self.app, "state", None), "summaries", None)
        if summaries is not None:
            summaries.start()  # keep a summary of each finished session, in the background

    @staticmethod
    async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            await server.main_loop()
        finally:
            await server.shutdown(sockets=[sock])

    async def stop(self) -> None:
        """Finish the requests under way (a few seconds at most) and close (idempotent)."""
        if self._server is None or self._task is None:
            return
        closing = getattr(getattr(self.app, "state", None), "closing", None)
        if isinstance(closing, asyncio.Event):
            closing.set()  # live streams (the Now page's inbox) end instead of holding on
        self._server.should_exit = True
        done, _ = await asyncio.wait({self._task}, timeout=_STOP_WAIT)
        if not done:
            self._server.force_exit = True
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        ranking = getattr(getattr(self.app, "state", None), "ranking", None)
        if ranking is not None:
            ranking.close()  # the notability ranking's process
        summaries = getattr(getattr(self.app, "state", None), "summaries", None)
        if summaries is not None:
            summaries.close()  # the background summaries and their process
        self._server = None
        self._task = None
