"""The dashboard's pages: each reads through the storage layer and renders one template.

Every read is one call on the database thread (:meth:`Database.run_in_thread`), so a page
never blocks the event loop that also carries IRC keepalives and Discord heartbeats. Chat
text reaches the page only through Jinja's autoescaping.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from importlib import import_module
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from assistant.config import Settings
from assistant.events import irc_casefold
from assistant.people.directory import (
    PersonSummary,
    people_summaries,
    person_summary,
    recent_topics,
    resolve_person,
    search_people,
)
from assistant.people.linking import configured_groups
from assistant.people.notability import Notability, rank_people
from assistant.plugin_loading import plugin_dashboard_modules
from assistant.sessions.queries import (
    SeriesRecord,
    SessionSummary,
    Visit,
    person_attendance,
    recent_sessions,
    zone,
)
from assistant.storage.database import Database
from assistant.summaries.compose import SessionNotFound
from assistant.web.access import Access
from assistant.web.health import (
    Running,
    analysis_rows,
    connection_rows,
    loop_row,
    plugin_rows,
)
from assistant.web.history import (
    SharedLink,
    TopicWeeks,
    shared_links,
    topic_weeks,
)
from assistant.web.queries import (
    Attendee,
    ChannelNow,
    Here,
    Line,
    channels_now,
    database_counts,
    optout_status,
    recent_lines,
    server_database,
    session_attendees,
    session_privacy,
)
from assistant.web.ranking import Ranking
from assistant.web.summaries import SummaryCache

if TYPE_CHECKING:
    from assistant.plugins import PluginHost

__all__ = ["Pages", "PersonRow", "templates"]

PEOPLE_SHOWN = 100
"""Rows on each page of the People list (``?page=2`` and on); a search narrows it down."""
SUGGESTIONS = 5
SESSIONS_SHOWN = 50
ATTENDEES_SHOWN = 15
"""Attendees named on each row of the Sessions page (the most talkative); the rest counted."""
ATTENDANCE_SESSIONS = 12
"""Sessions of each recurring chat the Person page's attendance picture covers."""
LINES_SHOWN = 20
OPENINGS_SHOWN = 50
POLL = 0.25
"""Seconds between the live inbox's looks at the openings table (cheap: two aggregates)."""
KEEPALIVE = 15.0
_ORIGINS = {"schedule": "scheduled", "event": "event", "adhoc": "ad hoc"}


def templates() -> Environment:
    """The dashboard's Jinja environment: every value escaped unless a template says not."""
    env = Environment(
        loader=PackageLoader("assistant.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = _local
    return env


def _local(value: datetime | None, where: tzinfo, form: str = "%a %Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    moment = value.astimezone(where)
    return f"{moment:{form}} {moment.tzname()}"


@dataclass(frozen=True)
class PersonRow:
    """One row of the People page: the person, and their notability if they have any."""

    person: PersonSummary
    notability: Notability | None

    @property
    def score(self) -> float:
        """Their notability score (0 when nothing is notable yet)."""
        return self.notability.score if self.notability else 0.0


@dataclass(frozen=True)
class SessionRow:
    """One row of the Sessions page."""

    session: SessionSummary
    attendees: list[Attendee]
    private: bool
    kind: str
    length: str
    where: tzinfo


_PeopleRead = tuple[list[PersonSummary], int, dict[int, str]]
_EVERYONE = "SELECT DISTINCT person_id FROM identities"


class Pages:
    """The handlers of the dashboard's pages, bound to one database and configuration."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        access: Access,
        *,
        plugins: PluginHost | None = None,
        running: Running | None = None,
    ) -> None:
        """Serve ``db`` as configured by ``settings``; forms carry ``access``'s CSRF token.

        ``plugins`` is the running assistant's plugin host (``presence run``), read for
        the Health page's live figures, with ``running``, the assistant itself (its
        connections, analysis workers and event loop); both ``None`` under ``presence web``.
        """
        self.db = db
        self.plugins = plugins
        self.running = running
        self.settings = settings
        self.access = access
        self.env = templates()
        self.zone = zone(settings.summaries.timezone)
        self.ranking = Ranking(db, settings)
        self.summaries = SummaryCache(db, settings)
        self.dashboards = {
            name: import_module(module) for name, module in plugin_dashboard_modules().items()
        }
        """Each installed plugin's dashboard module (``Plugin.dashboard``), by plugin name."""
        self.closing = asyncio.Event()
        """Set when the server stops: the live streams end so it need not wait for them."""

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Render template ``name`` with ``context`` plus what every page shows."""
        page = self.env.get_template(name).render(csrf=self.access.csrf, zone=self.zone, **context)
        return HTMLResponse(page, status_code=status)

    async def home(self, request: Request) -> Response:
        """The front page is the Now page."""
        return RedirectResponse("/now", status_code=303)

    def _attended(self) -> list[tuple[str, str, str, bool]]:
        return [
            (network, channel.name, irc_casefold(channel.name), channel.private)
            for network, settings in self.settings.networks.items()
            for channel in settings.channels
        ]

    async def now(self, request: Request) -> Response:
        """Each attended channel with who is here (notables first), its session, the inbox."""
        attended = self._attended()

        def read(conn: sqlite3.Connection) -> _NowRead:
            return channels_now(conn, attended), self._inbox(conn)

        channels, openings = await self.db.run_in_thread(read)
        by_person: dict[int, Notability] = {}
        if any(channel.present for channel in channels):
            by_person = (await self.ranking.get()).by_person
        rooms = [_Room(channel, by_person) for channel in channels]
        return self.render(
            "now.html",
            page="now",
            rooms=rooms,
            openings=openings,
            live=self.plugins is not None,
        )

    async def now_openings(self, request: Request) -> Response:
        """The openings inbox as server-sent events: the list again whenever it changes."""

        async def events() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            last: object = object()  # nothing sent yet: the first version always differs
            quiet = 0.0
            while not self.closing.is_set():
                version = await self.db.run_in_thread(self._inbox_version)
                if version != last:
                    last = version
                    rows = await self.db.run_in_thread(self._inbox)
                    yield _event("openings", self.inbox(rows))
                    quiet = 0.0
                elif quiet >= KEEPALIVE:
                    yield ": still here\n\n"
                    quiet = 0.0
                try:
                    await asyncio.wait_for(self.closing.wait(), POLL)
                except TimeoutError:
                    quiet += POLL

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    def _inbox(self, conn: sqlite3.Connection) -> list[object]:
        """The pending openings the Now page lists: the openings plugin's (none without it)."""
        read = getattr(self.dashboards.get("openings"), "inbox", None)
        return list(read(conn, self.settings, OPENINGS_SHOWN)) if read is not None else []

    def _inbox_version(self, conn: sqlite3.Connection) -> object:
        """What changes whenever the inbox does (the plugin says; constant without it)."""
        version = getattr(self.dashboards.get("openings"), "inbox_version", None)
        return version(conn, self.settings) if version is not None else None

    def inbox(self, openings: list[object]) -> str:
        """The inbox's HTML (the Now page's list, and each live update of it)."""
        template = self.env.get_template("openings.html")
        return template.render(openings=openings, csrf=self.access.csrf, zone=self.zone)

    async def record_outcome(self, opening_id: int, outcome: str) -> bool:
        """Mark opening ``opening_id`` taken or dismissed; False when none such is pending.

        The openings plugin's dashboard module records it (``record_outcome``), given the
        running plugin when there is one (``presence run``); without the plugin installed
        there is no opening to mark.
        """
        module = self.dashboards.get("openings")
        record = getattr(module, "record_outcome", None)
        if record is None:
            return False
        host = self.plugins
        plugin = (
            host.instance("openings") if host is not None and "openings" in host.names else None
        )
        return bool(await record(self.db, self.settings, plugin, opening_id, outcome))

    async def sessions(self, request: Request) -> Response:
        """Recent sessions with their channel, length, head count, lines and who came."""
        found = await recent_sessions(self.db, SESSIONS_SHOWN)
        ids = [item.id for item in found]

        def extra(conn: sqlite3.Connection) -> tuple[dict[int, list[Attendee]], set[int]]:
            return session_attendees(conn, ids, ATTENDEES_SHOWN), session_privacy(conn, ids)

        attendees, private = await self.db.run_in_thread(extra)
        rows = []
        for item in found:
            if item.ended is None:
                length = "under way"
            else:
                length = f"{round((item.ended - item.started).total_seconds() / 60)} min"
            rows.append(
                SessionRow(
                    session=item,
                    attendees=attendees.get(item.id, []),
                    private=item.id in private,
                    kind=_ORIGINS.get(item.origin, item.origin),
                    length=length,
                    where=zone(item.timezone),
                )
            )
        return self.render("sessions.html", page="sessions", rows=rows)

    async def session(self, request: Request) -> Response:
        """One session: its summary as the HTML summary file shows it (same model, same
        template: attendance, the activity timeline, discussions), and links to who came."""
        session_id: int = request.path_params["session"]
        try:
            shown = await self.summaries.get(session_id)
        except SessionNotFound:
            raise HTTPException(
                404, "There is no such session; the Sessions page lists them."
            ) from None
        private = await self.db.run_in_thread(lambda conn: session_privacy(conn, [session_id]))
        response = self.render(
            "session.html",
            page="sessions",
            shown=shown,
            private=bool(private),
        )
        # The summary's timeline picture is a data: image inside the page.
        response.headers["content-security-policy"] = _SESSION_CSP
        return response

    async def people(self, request: Request) -> Response:
        """Everyone, notable members first; ``?q=`` searches nicks, names and accounts;
        ``?page=`` pages through :data:`PEOPLE_SHOWN` at a time."""
        query = request.query_params.get("q", "").strip()[:100]
        number = request.query_params.get("page", "1")
        if not number.isdigit() or not 1 <= int(number) <= 100_000:
            raise HTTPException(400, "The page number must be a whole number from 1, e.g. ?page=2.")
        first = (int(number) - 1) * PEOPLE_SHOWN
        settings = self.settings
        groups = configured_groups(settings)

        ranking = await self.ranking.get()
        ranked, by_person = ranking.ranked, ranking.by_person
        # Notable members first; among equals, the most recently active as of the ranking
        # (people who came since, newest first, before those the ranking knew).
        position = ranking.order
        watched = {n.person_id for n in ranked if query and n.watched and _has(n.watched, query)}

        def key(person: int) -> tuple[float, int]:
            known = by_person.get(person)
            return -(known.score if known else 0.0), position.get(person, -person)

        def read(conn: sqlite3.Connection) -> _PeopleRead:
            everyone = {row[0] for row in conn.execute(_EVERYONE)}
            if query:
                chosen = search_people(conn, query) | watched
                for name, _ in groups:
                    if _has(name, query):
                        found = resolve_person(conn, name, groups)
                        if found is not None:
                            chosen.add(found)
                everyone &= chosen
            # key's order, from the ranking's listing: people who came since it go after the
            # notable ones, newest first (key gives them 0 and -person)
            listing, notable = ranking.listing, ranking.notable
            head = [person for person in listing[:notable] if person in everyone]
            unranked = [p for p in everyone if p not in position and p not in by_person]
            rest = [person for person in listing[notable:] if person in everyone]
            ordered = head + sorted(unranked, reverse=True) + rest
            shown = ordered[first : first + PEOPLE_SHOWN]
            optouts = optout_status(conn, shown, settings.privacy.optout)
            return people_summaries(conn, shown, ranking.counted), len(everyone), optouts

        people, total, optouts = await self.db.run_in_thread(read)
        rows = [PersonRow(person, by_person.get(person.person_id)) for person in people]
        rows.sort(key=lambda row: key(row.person.person_id))
        suggestions = [n for n in ranked if n.watched is None and n.score > 0][:SUGGESTIONS]
        forgotten = request.query_params.get("forgotten", "")
        return self.render(
            "people.html",
            page="people",
            forgotten=int(forgotten) if forgotten.isdigit() and len(forgotten) < 12 else None,
            optouts=optouts,
            query=query,
            rows=rows,
            total=total,
            first=first,
            number=int(number),
            more=first + len(rows) < total,
            suggestions=suggestions if not query and first == 0 else [],
        )

    async def person(self, request: Request) -> Response:
        """One person: identities, watchlist notes, notability, attendance, topics, lines."""
        person_id: int = request.path_params["person"]
        settings = self.settings
        watchlist = [(m.name, m.priority, m.identities) for m in settings.watchlist]

        ranking = await self.ranking.get()
        known = ranking.by_person.get(person_id)

        def read(conn: sqlite3.Connection) -> _PersonRead:
            summary = person_summary(conn, person_id)
            if summary is None:
                return None
            notability = known
            if notability is None and summary.last_at and summary.last_at >= ranking.taken:
                # not notable at the latest ranking, but active since: ask for them alone
                ranked = rank_people(
                    conn, watchlist=watchlist, exclude=settings.owner.identities, only=person_id
                )
                notability = next((n for n in ranked if n.person_id == person_id), None)
            topics = recent_topics(conn, person_id)
            optout = optout_status(conn, [person_id], settings.privacy.optout).get(person_id)
            lines = recent_lines(conn, person_id, LINES_SHOWN)
            extra = shared_links(conn, person_id), topic_weeks(conn, person_id, self.zone)
            return summary, notability, topics, lines, optout, *extra

        found = await self.db.run_in_thread(read)
        if found is None:
            raise HTTPException(404, "Nobody has that number; the People page lists everyone.")
        summary, notability, topics, lines, optout, links, weeks = found
        records = await person_attendance(self.db, person_id, ATTENDANCE_SESSIONS)
        watched = next(
            (m for m in settings.watchlist if notability and m.name == notability.watched), None
        )
        panels: dict[str, object] = {}
        if watched is not None:
            for name, module in self.dashboards.items():
                panel = getattr(module, "person_panel", None)
                if panel is not None:
                    panels[name] = await panel(self.db, settings, watched.name)
        return self.render(
            "person.html",
            page="people",
            person=summary,
            notability=notability,
            watched=watched,
            topics=topics,
            lines=lines,
            optout=optout,
            links=links,
            weeks=weeks,
            panels=panels,
            records=[_Record(record) for record in records],
        )

    async def health(self, request: Request) -> Response:
        """The database (its file or server database, size, contents, schema version); under
        ``presence run`` also the connections, the analysis workers, the event loop's lag
        and each plugin's figures."""
        counts = await self.db.run_in_thread(database_counts)
        if self.db.backend.name == "sqlite":
            path = self.db.path
            files = [path, path.with_name(path.name + "-wal")]
            size = sum(f.stat().st_size for f in files if f.exists())
            database, file = path.name, True
        else:
            name, size = await self.db.run_in_thread(server_database)
            database, file = f"{name} ({self.db.backend.name})", False
        return self.render(
            "health.html",
            page="health",
            counts=counts,
            size=size,
            database=database,
            file=file,
            live=self.plugins is not None,
            plugins=plugin_rows(self.plugins) if self.plugins is not None else [],
            analysis_on=self.settings.analysis.enabled,
            **self._running(),
        )

    def _running(self) -> dict[str, Any]:
        running = self.running
        if running is None:
            return {"connections": None, "analysis": None, "loop": None}
        analyzer = running.analyzer
        return {
            "connections": connection_rows(running),
            "analysis": analysis_rows(analyzer) if analyzer is not None else None,
            "loop": loop_row(running.lag),
        }


_NowRead = tuple[list[ChannelNow], list[object]]


@dataclass(frozen=True)
class _Present:
    here: Here
    notability: Notability | None

    @property
    def score(self) -> float:
        return self.notability.score if self.notability else 0.0

    @property
    def watched(self) -> str | None:
        return self.notability.watched if self.notability else None


class _Room:
    """One attended channel as the Now page shows it: notable members first."""

    def __init__(self, channel: ChannelNow, by_person: dict[int, Notability]) -> None:
        self.channel = channel
        people = [_Present(here, by_person.get(here.person_id)) for here in channel.present]
        people.sort(key=lambda p: (-(p.watched is not None), -p.score, p.here.nick.casefold()))
        self.present = people
        self.where = zone(channel.session_timezone)


_SESSION_CSP = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)


def _event(name: str, data: str) -> str:
    """One server-sent event; each line of ``data`` is its own ``data:`` field."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


_PersonRead = (
    tuple[
        PersonSummary,
        Notability | None,
        list[str],
        list[Line],
        str | None,
        list[SharedLink],
        TopicWeeks | None,
    ]
    | None
)


@dataclass(frozen=True)
class _Record:
    """A person's record at one recurring chat, oldest session first, in the chat's zone."""

    record: SeriesRecord

    @property
    def where(self) -> tzinfo:
        return zone(self.record.timezone)

    @property
    def visits(self) -> list[Visit]:
        return list(reversed(self.record.visits))


def _has(value: str, query: str) -> bool:
    return query.casefold() in value.casefold()
