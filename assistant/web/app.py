"""The dashboard as an ASGI application: routes, the login gate, headers and error pages.

Nothing but the login form and the style sheet is served without the session cookie, the
token in the address (``?token=``, swapped for the cookie at once) or an
``Authorization: Bearer`` header. Errors become short HTML pages with a 4xx or 500 status;
a traceback is logged, never shown.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.datastructures import URL, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.web.access import COOKIE, Access
from assistant.web.changes import PeopleChanges
from assistant.web.pages import Pages

if TYPE_CHECKING:
    from assistant.plugins import PluginHost
    from assistant.web.health import Running

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_OPEN_PATHS = ("/login", "/static/")
_FORM_LIMIT = 16 * 1024
_OUTCOMES = {"taken": "taken", "dismiss": "dismissed"}
_COOKIE_DAYS = 30
_HEADERS = {
    # Everything the pages use is served from here; nothing may frame them, and no other
    # site learns an address (which may hold the token) through the Referer header. Not
    # "no-referrer": with it, chromium sends `Origin: null` on the site's own form posts.
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class _SecurityHeaders:
    """Add :data:`_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class _RequireLogin:
    """Let through only requests that carry the cookie, the token, or a bearer header."""

    def __init__(self, app: ASGIApp, access: Access, pages: Pages) -> None:
        self.app = app
        self.access = access
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.access.cookie_ok(request.cookies.get(COOKIE)):
            await self.app(scope, receive, send)
            return
        bearer = request.headers.get("authorization", "")
        if bearer.startswith("Bearer ") and self.access.accepts(bearer[7:].strip()):
            await self.app(scope, receive, send)
            return
        offered = request.query_params.get("token")
        if offered is not None and self.access.accepts(offered):
            # Swap the token for the cookie and drop it from the address bar (and history).
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response: Response = _logged_in(RedirectResponse(target, 303), self.access)
        else:
            response = self.pages.render(
                "login.html",
                status=401,
                page="login",
                next=_local_target(str(request.url.path)),
                wrong=offered is not None,
            )
        await response(scope, receive, send)


def _logged_in(response: Response, access: Access) -> Response:
    response.set_cookie(
        COOKIE,
        access.cookie,
        max_age=_COOKIE_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="strict",
    )
    return response


def _local_target(value: str) -> str:
    """``value`` if it is a path on this site, else the front page (no open redirects)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _same_origin(request: Request) -> bool:
    """Whether a form post comes from a page of this site (when the browser says where from)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return URL(origin).netloc == request.headers.get("host", "")


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form's fields (the first value of each); a 413 when it is too large."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _FORM_LIMIT:
            raise HTTPException(413, "That form is too large.")
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def create_app(
    db: Database,
    settings: Settings,
    access: Access,
    *,
    plugins: PluginHost | None = None,
    running: Running | None = None,
) -> Starlette:
    """The dashboard for ``db``, configured by ``settings``, opened by ``access``'s secret.

    ``plugins`` and ``running``: the running assistant's plugin host and the assistant
    itself, when ``presence run`` serves it.
    """
    pages = Pages(db, settings, access, plugins=plugins, running=running)
    changes = PeopleChanges(pages)

    async def checked_form(request: Request) -> dict[str, str]:
        """A state-changing form's fields, once its origin and CSRF token are checked."""
        fields = await _form(request)
        if not _same_origin(request) or not access.csrf_ok(fields.get("csrf")):
            raise HTTPException(403, "That form has expired; reload the page and try again.")
        return fields

    async def login_form(request: Request) -> Response:
        if access.cookie_ok(request.cookies.get(COOKIE)):
            return RedirectResponse("/", 303)
        target = _local_target(request.query_params.get("next", "/"))
        return pages.render("login.html", page="login", next=target, wrong=False)

    async def login(request: Request) -> Response:
        if not _same_origin(request):
            raise HTTPException(403, "That form was sent from another site.")
        fields = await _form(request)
        target = _local_target(fields.get("next", "/"))
        if access.accepts(fields.get("token", "").strip()):
            return _logged_in(RedirectResponse(target, 303), access)
        return pages.render("login.html", status=401, page="login", next=target, wrong=True)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def opening_outcome(request: Request) -> Response:
        await checked_form(request)
        opening_id: int = request.path_params["opening"]
        outcome = _OUTCOMES.get(request.path_params["outcome"])
        if outcome is None:
            raise HTTPException(404)
        if not await pages.record_outcome(opening_id, outcome):
            raise HTTPException(409, f"There is no pending opening #{opening_id}.")
        return RedirectResponse("/now", 303)

    async def merge(request: Request) -> Response:
        return await changes.merge(await checked_form(request))

    async def split(request: Request) -> Response:
        fields = await checked_form(request)
        return await changes.split(request.path_params["person"], fields)

    async def forget(request: Request) -> Response:
        await checked_form(request)
        return await changes.forget(request.path_params["person"])

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else None
        phrase = HTTPStatus(status).phrase
        if detail == phrase or not detail:
            detail = {404: "There is no such page."}.get(status, "")
        return pages.render("error.html", status=status, title=phrase, detail=detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("web: %s %s failed", request.method, request.url.path, exc_info=exc)
        message = "Something went wrong; the details are in Presence's log."
        return pages.render("error.html", status=500, title="Server error", detail=message)

    routes = [
        Route("/", pages.home),
        Route("/now", pages.now),
        Route("/now/openings", pages.now_openings),
        Route("/openings/{opening:int}/{outcome}", opening_outcome, methods=["POST"]),
        Route("/sessions", pages.sessions),
        Route("/sessions/{session:int}", pages.session),
        Route("/people", pages.people),
        Route("/people/merge", changes.merge_form, methods=["GET"]),
        Route("/people/merge", merge, methods=["POST"]),
        Route("/people/{person:int}", pages.person),
        Route("/people/{person:int}/split", changes.split_form, methods=["GET"]),
        Route("/people/{person:int}/split", split, methods=["POST"]),
        Route("/people/{person:int}/forget", changes.forget_form, methods=["GET"]),
        Route("/people/{person:int}/forget", forget, methods=["POST"]),
        Route("/health", pages.health),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("assistant.web", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.closing = pages.closing
    app.state.ranking = pages.ranking
    app.state.summaries = pages.summaries
    app.add_middleware(_RequireLogin, access=access, pages=pages)
    app.add_middleware(_SecurityHeaders)
    return app
