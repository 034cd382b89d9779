"""The owner's questions about people: ``presence people``, ``person``, ``seen``, ``forget``.

One of :data:`assistant.commandline.COMMAND_MODULES`. Each command opens the configured
database, runs automatic linking first (so that answers follow accounts, aliases and
alternate nicks), answers with a Rich table, and never shows a private channel.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from assistant.commandline.terminal import (
    EXIT_FAILURE,
    EXIT_OK,
    Terminal,
    config_arg,
    load_config,
)
from assistant.commandline.types import Handler, Subcommands
from assistant.people.directory import (
    identity_id_for,
    list_people,
    person_summary,
    recent_topics,
    resolve_person,
)
from assistant.people.linking import configured_groups, relink_people
from assistant.people.merging import MergeError, merge_persons, split_identity
from assistant.people.notability import rank_people
from assistant.storage.database import Database
from assistant.storage.people import forget_person
from assistant.storage.presence import last_seen

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.people.notability import Notability

__all__ = ["add_commands"]

T = TypeVar("T")


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add the people commands to ``presence``; return their handlers by name."""
    people = sub.add_parser(
        "people", help="list people, suggest notable members (--discover), merge or split"
    )
    config_arg(people)
    people.add_argument(
        "--discover",
        action="store_true",
        help="suggest members worth adding to [[watchlist]], with the reasons",
    )
    people.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
    actions = people.add_subparsers(dest="people_action", metavar="ACTION")
    merge = actions.add_parser("merge", help="make A and B one person (B's identities join A)")
    merge.add_argument("first", metavar="A", help="a nick, user id, configured name or person id")
    merge.add_argument("second", metavar="B", help="the other person")
    config_arg(merge)
    split = actions.add_parser(
        "split", help="give one of PERSON's identities a person of its own (undoes a merge)"
    )
    split.add_argument("person", metavar="PERSON", help="a nick, configured name or person id")
    split.add_argument("identity", metavar="IDENTITY", help="the identity's nick or user id")
    config_arg(split)

    person = sub.add_parser(
        "person", help="one person: identities, notability and why, attendance, topics"
    )
    person.add_argument("name", metavar="PERSON", help="a nick, user id, configured name or id")
    config_arg(person)

    seen = sub.add_parser("seen", help="when and where NICK was last seen, and their last words")
    seen.add_argument("nick", metavar="NICK")
    seen.add_argument("--network", default=None, help="network name (default: every network)")
    config_arg(seen)

    forget = sub.add_parser(
        "forget", help="delete every trace of PERSON (messages, presence, analyses, notes)"
    )
    forget.add_argument("name", metavar="PERSON", help="a nick, user id, configured name or id")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    config_arg(forget)
    return {"people": cmd_people, "person": cmd_person, "seen": cmd_seen, "forget": cmd_forget}


def _with_db(args: argparse.Namespace, work: Callable[[Settings, Database], Awaitable[T]]) -> T:
    settings = load_config(args.config)

    async def run() -> T:
        async with await Database.open_settings(settings) as db:
            await relink_people(db, settings)
            return await work(settings, db)

    return asyncio.run(run())


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _cell(text: str) -> Text:
    """Chat text as a table cell: shown as written, never read as Rich markup."""

    return Text(text)


async def _resolve(settings: Settings, db: Database, name: str) -> int | None:
    groups = configured_groups(settings)
    return await db.run_in_thread(lambda conn: resolve_person(conn, name, groups))


async def _ranked(settings: Settings, db: Database, only: int | None = None) -> list[Notability]:
    watchlist = [(m.name, m.priority, m.identities) for m in settings.watchlist]
    owner = settings.owner.identities
    return await db.run_in_thread(
        lambda conn: rank_people(conn, watchlist=watchlist, exclude=owner, only=only)
    )


def cmd_people(args: argparse.Namespace, term: Terminal) -> int:
    """List people, suggest notable ones, or merge and split them."""
    if args.people_action == "merge":
        return _merge(args, term)
    if args.people_action == "split":
        return _split(args, term)

    if args.discover:

        async def discover(settings: Settings, db: Database) -> int:
            ranked = await _ranked(settings, db)
            candidates = [n for n in ranked if n.watched is None][: args.limit]
            if not candidates:
                term.out.print("No candidates yet: Presence needs to hear more of the room.")
                return EXIT_OK
            table = Table(title="Members worth watching (add them to [[watchlist]])")
            table.add_column("Nick")
            table.add_column("Score", justify="right")
            table.add_column("Why")
            for found in candidates:
                table.add_row(
                    _cell(found.nick), f"{found.score:g}", _cell("; ".join(found.reasons))
                )
            term.out.print(table)
            return EXIT_OK

        return _with_db(args, discover)

    async def listing(settings: Settings, db: Database) -> int:
        people = await db.run_in_thread(list_people)
        table = Table(title=f"People ({len(people)})")
        for column in ("Id", "Nick", "Identities", "Lines", "Sessions", "Last seen"):
            table.add_column(column, justify="right" if column in ("Id", "Lines") else "left")
        for person in people[: args.limit]:
            names = ", ".join(f"{i.nick} ({i.network})" for i in person.identities)
            table.add_row(
                str(person.person_id),
                _cell(person.nick),
                _cell(names),
                str(person.lines),
                str(person.sessions),
                _when(person.last_at),
            )
        term.out.print(table)
        return EXIT_OK

    return _with_db(args, listing)


def _merge(args: argparse.Namespace, term: Terminal) -> int:
    async def merge(settings: Settings, db: Database) -> int:
        first = await _resolve(settings, db, args.first)
        second = await _resolve(settings, db, args.second)
        for name, found in ((args.first, first), (args.second, second)):
            if found is None:
                return term.fail(f"nobody called {name!r}; `presence people` lists everyone")
        assert first is not None and second is not None
        try:
            await db.transaction(lambda conn: merge_persons(conn, first, second, "owner"))
        except MergeError as exc:
            return term.fail(str(exc))
        term.out.print(
            f"{args.second} is now part of {args.first} (person {first}). "
            f"Undo with: presence people split {args.first} {args.second}",
            highlight=False,
        )
        return EXIT_OK

    return _with_db(args, merge)


def _split(args: argparse.Namespace, term: Terminal) -> int:
    async def split(settings: Settings, db: Database) -> int:
        person = await _resolve(settings, db, args.person)
        if person is None:
            return term.fail(f"nobody called {args.person!r}; `presence people` lists everyone")
        identity = await db.run_in_thread(lambda conn: identity_id_for(conn, person, args.identity))
        if identity is None:
            return term.fail(
                f"{args.person} has no identity {args.identity!r}; "
                f"`presence person {args.person}` lists them"
            )
        try:
            result = await db.transaction(lambda conn: split_identity(conn, person, identity))
        except MergeError as exc:
            return term.fail(str(exc))
        term.out.print(
            f"{args.identity} is person {result.person_id} again "
            f"({len(result.identity_ids)} identit{'y' if len(result.identity_ids) == 1 else 'ies'}"
            f"{', attendance restored' if result.restored_attendance else ''}).",
            highlight=False,
        )
        return EXIT_OK

    return _with_db(args, split)


def cmd_person(args: argparse.Namespace, term: Terminal) -> int:
    """Show one person: identities, notability and why, attendance, recent topics."""

    async def show(settings: Settings, db: Database) -> int:
        person = await _resolve(settings, db, args.name)
        if person is None:
            return term.fail(f"nobody called {args.name!r}; `presence people` lists everyone")
        summary = await db.run_in_thread(lambda conn: person_summary(conn, person))
        assert summary is not None
        ranked = await _ranked(settings, db, only=person)
        topics = await db.run_in_thread(lambda conn: recent_topics(conn, person))
        notability = next((n for n in ranked if n.person_id == person), None)
        term.out.print(
            f"[bold]{escape(summary.nick)}[/] (person {person}): {summary.lines} lines, "
            f"{summary.sessions} session(s) attended, "
            f"last seen {_when(summary.last_at) or 'never'}",
            highlight=False,
        )
        table = Table(title="Identities")
        for column in ("Platform", "Network", "Nick", "Account", "User@host", "Status"):
            table.add_column(column)
        for identity in summary.identities:
            table.add_row(
                identity.platform,
                _cell(identity.network),
                _cell(identity.nick),
                _cell(identity.account or ""),
                _cell(identity.userhost or ""),
                _cell(identity.status or ""),
            )
        term.out.print(table)
        if notability is None:
            term.out.print("Notability: nothing notable yet.")
        else:
            term.out.print(f"Notability {notability.score:g}:", highlight=False)
            for reason in notability.reasons:
                term.out.print(f"  • {escape(reason)}", highlight=False)
        if topics:
            term.out.print(f"Recent topics: {escape(', '.join(topics))}", highlight=False)
        return EXIT_OK

    return _with_db(args, show)


def cmd_seen(args: argparse.Namespace, term: Terminal) -> int:
    """Say when and where NICK was last seen (public channels only)."""

    async def seen(settings: Settings, db: Database) -> int:
        networks = [args.network] if args.network else list(settings.networks)
        if not networks:
            rows = await db.fetchall("SELECT name FROM networks ORDER BY id")
            networks = [row["name"] for row in rows]
        found = [r for net in networks if (r := await last_seen(db, net, args.nick)) is not None]
        if not found:
            term.out.print(f"I have not seen {args.nick}.", highlight=False, markup=False)
            return EXIT_FAILURE
        table = Table(title=f"Last seen: {args.nick}")
        for column in ("Nick", "Network", "Where", "When", "Last words", "Still here"):
            table.add_column(column)
        for record in sorted(found, key=lambda record: record.at, reverse=True):
            table.add_row(
                _cell(record.nick),
                _cell(record.network),
                _cell(record.channel),
                _when(record.at),
                _cell(record.last_words or ""),
                "yes" if record.still_here else "no",
            )
        term.out.print(table)
        return EXIT_OK

    return _with_db(args, seen)


def cmd_forget(args: argparse.Namespace, term: Terminal) -> int:
    """Delete every trace of a person."""

    async def forget(settings: Settings, db: Database) -> int:
        person = await _resolve(settings, db, args.name)
        if person is None:
            return term.fail(f"nobody called {args.name!r}; `presence people` lists everyone")
        if not args.yes:
            answer = await asyncio.to_thread(
                input, f"Delete everything about {args.name} (person {person})? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                term.out.print("Nothing deleted.")
                return EXIT_FAILURE
        # Composing summaries loads their whole area: only a forget pays for it.
        from assistant.commandline.summaries import summary_plugins
        from assistant.summaries.forgotten import (
            attended_sessions,
            rewrite_summaries,
            summary_files,
        )

        sessions = await attended_sessions(db, person)
        deleted = await forget_person(db, person)
        rewritten: list[Path] = []
        if any(summary_files(settings, session) for session in sessions):
            async with summary_plugins(settings, db) as call:
                rewritten = await rewrite_summaries(db, settings, sessions, call=call)
        files = f" {len(rewritten)} summary files rewritten without them." if rewritten else ""
        term.out.print(
            f"Forgot {args.name}: {deleted} rows deleted.{files} To stop recording them too, "
            "add them to [privacy] optout (or they can say !optout).",
            highlight=False,
            markup=False,
        )
        return EXIT_OK

    return _with_db(args, forget)
