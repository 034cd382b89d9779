"""The People pages' changes: merge, split and forget, each behind a page that says what it does.

A confirmation page is a GET that changes nothing; the change itself is the POST its form
sends (with the CSRF token, checked by the application before it gets here). Each change
is the domain function the command line calls (``presence people merge`` and ``split``,
``presence forget``), and what the forget page lists is what forgetting deletes, read the
way ``presence export`` reads it (:func:`~assistant.storage.export.person_rows`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assistant.people.directory import (
    PersonSummary,
    person_summary,
    resolve_person,
)
from assistant.people.linking import configured_groups
from assistant.people.merging import MergeError, merge_persons, split_identity
from assistant.storage.export import person_rows
from assistant.storage.people import analyses_naming, forget_person
from assistant.summaries.forgotten import attended_sessions, rewrite_summaries
from assistant.web.queries import optout_status

if TYPE_CHECKING:
    from assistant.web.pages import Pages

__all__ = ["Deletion", "PeopleChanges"]

# What each table's rows are to the owner, singular and plural; a table not named here (a
# plugin's own) is listed by its name.
_WHAT: dict[str, tuple[str, str]] = {
    "messages": ("message", "messages"),
    "message_analyses": ("analysis of their messages", "analyses of their messages"),
    "presence_intervals": ("stay in a channel", "stays in channels"),
    "session_attendance": ("session attended", "sessions attended"),
    "topics": ("channel topic they set", "channel topics they set"),
    "openings_found": ("opening with them", "openings with them"),
    "openings_exchanges": (
        "exchange in your relationship ledger",
        "exchanges in your relationship ledger",
    ),
    "identities": ("identity (nick or account)", "identities (nicks and accounts)"),
    "persons": ("person record", "person records"),
}


@dataclass(frozen=True)
class Deletion:
    """What forgetting a person deletes, by kind, and what it edits."""

    person: PersonSummary
    kinds: list[tuple[str, int]]
    """What the owner calls each kind of row, with how many go; the known kinds first."""
    others: list[tuple[str, int]]
    """Other tables (plugins' own, and index rows), by name, with how many rows go."""
    total: int
    edited: int
    """Other people's analyses that name or answer them, edited rather than deleted."""


def deletion(conn: sqlite3.Connection, person_id: int) -> Deletion | None:
    """What forgetting ``person_id`` would delete (None when there is no such person)."""
    person = person_summary(conn, person_id)
    if person is None:
        return None
    rows = person_rows(conn, person_id)
    kinds = [
        (what[0] if len(rows[table]) == 1 else what[1], len(rows[table]))
        for table, what in _WHAT.items()
        if rows.get(table)
    ]
    others = sorted((table, len(found)) for table, found in rows.items() if table not in _WHAT)
    total = sum(len(found) for found in rows.values())
    return Deletion(person, kinds, others, total, len(analyses_naming(conn, person_id)))


class PeopleChanges:
    """The merge, split and forget pages, bound to the dashboard's :class:`Pages`."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    async def _person(self, person_id: int) -> PersonSummary:
        found = await self.pages.db.run_in_thread(lambda conn: person_summary(conn, person_id))
        if found is None:
            raise HTTPException(404, "Nobody has that number; the People page lists everyone.")
        return found

    async def merge_form(self, request: Request) -> Response:
        """Confirm a merge: who the two are, and what becomes of the second one."""
        keep_name = request.query_params.get("keep", "").strip()[:100]
        other_name = request.query_params.get("other", "").strip()[:100]
        if not keep_name or not other_name:
            raise HTTPException(400, "Name the two people to merge: a nick, name or number each.")
        groups = configured_groups(self.pages.settings)

        def read(conn: sqlite3.Connection) -> list[int | None]:
            return [resolve_person(conn, name, groups) for name in (keep_name, other_name)]

        found = await self.pages.db.run_in_thread(read)
        for name, person in zip((keep_name, other_name), found, strict=True):
            if person is None:
                missing = f"Nobody is called “{name}”; the People page lists everyone."
                raise HTTPException(404, missing)
        keep_id, other_id = found
        assert keep_id is not None and other_id is not None
        if keep_id == other_id:
            raise HTTPException(409, f"“{keep_name}” and “{other_name}” are already one person.")
        keep, other = await self._person(keep_id), await self._person(other_id)
        return self.pages.render("merge.html", page="people", keep=keep, other=other)

    async def merge(self, fields: dict[str, str]) -> Response:
        """Merge the confirmed pair (as ``presence people merge`` does); show the survivor."""
        keep, other = _number(fields.get("keep")), _number(fields.get("other"))
        try:
            await self.pages.db.transaction(lambda conn: merge_persons(conn, keep, other, "owner"))
        except MergeError as exc:
            raise HTTPException(409, f"Nothing merged: {exc}.") from None
        self.pages.ranking.invalidate()
        return RedirectResponse(f"/people/{keep}", 303)

    async def split_form(self, request: Request) -> Response:
        """Confirm a split: which identity becomes a person of its own again."""
        person_id: int = request.path_params["person"]
        person = await self._person(person_id)
        wanted = request.query_params.get("identity", "")
        identity = next((i for i in person.identities if str(i.identity_id) == wanted), None)
        if identity is None:
            raise HTTPException(404, f"{person.nick} has no such identity; their page lists them.")
        if len(person.identities) == 1:
            raise HTTPException(409, f"That is {person.nick}'s only identity: nothing to split.")
        others = sorted({i.nick for i in person.identities if i is not identity}, key=str.casefold)
        return self.pages.render(
            "split.html", page="people", person=person, identity=identity, others=others
        )

    async def split(self, person_id: int, fields: dict[str, str]) -> Response:
        """Split the confirmed identity off (as ``presence people split`` does); show it."""
        identity = _number(fields.get("identity"))

        def work(conn: sqlite3.Connection) -> int:
            return split_identity(conn, person_id, identity).person_id

        try:
            new = await self.pages.db.transaction(work)
        except MergeError as exc:
            raise HTTPException(409, f"Nothing split: {exc}.") from None
        self.pages.ranking.invalidate()
        return RedirectResponse(f"/people/{new}", 303)

    async def forget_form(self, request: Request) -> Response:
        """Confirm forgetting: every kind of row that goes, with counts."""
        person_id: int = request.path_params["person"]
        settings = self.pages.settings

        def read(conn: sqlite3.Connection) -> tuple[Deletion | None, dict[int, str]]:
            return deletion(conn, person_id), optout_status(
                conn, [person_id], settings.privacy.optout
            )

        found, optouts = await self.pages.db.run_in_thread(read)
        if found is None:
            raise HTTPException(404, "Nobody has that number; the People page lists everyone.")
        ranking = await self.pages.ranking.get()
        known = ranking.by_person.get(person_id)
        watched = known.watched if known else None
        return self.pages.render(
            "forget.html",
            page="people",
            deletion=found,
            watched=watched,
            optout=optouts.get(person_id),
        )

    async def forget(self, person_id: int) -> Response:
        """Forget the person (as ``presence forget`` does); back to the People page."""
        await self._person(person_id)
        db, settings = self.pages.db, self.pages.settings
        sessions = await attended_sessions(db, person_id)
        deleted = await forget_person(db, person_id)
        self.pages.ranking.invalidate()
        host = self.pages.plugins  # the running assistant's, under `presence run`
        await rewrite_summaries(db, settings, sessions, call=host.call if host else None)
        return RedirectResponse(f"/people?forgotten={deleted}", 303)


def _number(value: str | None) -> int:
    if value is None or not value.isdigit() or len(value) > 18:
        raise HTTPException(400, "That form is incomplete; go back and try again.")
    return int(value)
