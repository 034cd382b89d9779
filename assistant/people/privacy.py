"""Privacy: opting out and in, forgetting a person, and deleting what is older than allowed.

An opt-out takes effect at once (the in-memory :class:`OptOuts` list the recorder checks)
and lasts (the ``people_optouts`` table, keyed by the bare identity key or IRC account:
what is needed to honour it). Opting out also forgets everything recorded about the
person so far. Retention deletes, per channel, whatever is older than its limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.events import Identity, irc_casefold, utcnow
from assistant.people.optouts import OptOuts
from assistant.storage.database import Database
from assistant.storage.people import deleted_so_far, forget_person

if TYPE_CHECKING:
    from assistant.summaries.compose import HookCaller

__all__ = [
    "PurgeResult",
    "load_optouts",
    "opt_in",
    "opt_out",
    "purge_expired",
    "retention_days",
]

_DAY = 86400.0

# The person's other identities on every network (an alias may tie IRC and Discord).
_PERSON_KEYS = """
SELECT n.name AS network, i.key, i.account FROM identities AS i
JOIN networks AS n ON n.id = i.network_id WHERE i.person_id = ?
"""
_PERSON_BY_KEY = """
SELECT i.person_id FROM identities AS i JOIN networks AS n ON n.id = i.network_id
WHERE n.name = ? AND i.key = ?
"""
_REMEMBER = (
    "INSERT INTO people_optouts (network, kind, value, at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


async def load_optouts(db: Database, settings: Settings) -> OptOuts:
    """Fill ``db``'s opt-out list from the table and the config's ``[privacy] optout``."""
    optouts = OptOuts.of(db)
    optouts.add_refs(settings.privacy.optout)
    for row in await db.fetchall("SELECT network, kind, value FROM people_optouts"):
        optouts.add(row["network"], row["kind"], row["value"])
    return optouts


def _entries(identity: Identity) -> list[tuple[str, str, str]]:
    entries = [(identity.network, "key", identity.key)]
    if identity.platform == "irc" and identity.account:
        entries.append((identity.network, "account", irc_casefold(identity.account)))
    return entries


async def opt_out(
    db: Database,
    identity: Identity,
    *,
    settings: Settings | None = None,
    call: HookCaller | None = None,
) -> int:
    """Stop recording ``identity``'s person from now on and forget what was recorded.

    Every identity of the person is opted out (by key, and by IRC account where known).
    With ``settings``, the summary files of the sessions they attended are rewritten
    without them (``call`` lets the plugins add their sections again); see
    :mod:`assistant.summaries.forgotten`. Returns the number of rows deleted.
    """
    optouts = OptOuts.of(db)
    entries = _entries(identity)
    for entry in entries:  # before anything awaits: the next event is not recorded
        optouts.add(*entry)
    found = await db.fetchone(_PERSON_BY_KEY, (identity.network, identity.key))
    person = None if found is None else int(found[0])
    if person is not None:
        for row in await db.fetchall(_PERSON_KEYS, (person,)):
            entries.append((row["network"], "key", row["key"]))
            if row["account"]:
                entries.append((row["network"], "account", irc_casefold(row["account"])))
    for entry in entries:
        optouts.add(*entry)
    at = utcnow().timestamp()

    def remember(conn: sqlite3.Connection) -> None:
        conn.executemany(_REMEMBER, [(*entry, at) for entry in entries])

    await db.transaction(remember)
    if person is None:
        return 0
    if settings is None:
        return await forget_person(db, person)
    # Imported here: summaries read the people area, which is imported first.
    from assistant.summaries.forgotten import attended_sessions, rewrite_summaries

    sessions = await attended_sessions(db, person)
    deleted = await forget_person(db, person)
    await rewrite_summaries(db, settings, sessions, call=call)
    return deleted


async def opt_in(db: Database, identity: Identity) -> bool:
    """Record ``identity`` again (its key and account); return False if it had not opted out."""
    optouts = OptOuts.of(db)
    entries = _entries(identity)
    blocked = optouts.blocks(identity)
    for entry in entries:
        optouts.discard(*entry)

    def forget_optout(conn: sqlite3.Connection) -> int:
        before = deleted_so_far(conn)
        conn.executemany(
            "DELETE FROM people_optouts WHERE network = ? AND kind = ? AND value = ?", entries
        )
        return deleted_so_far(conn) - before

    removed = await db.transaction(forget_optout)
    return blocked or removed > 0


def retention_days(settings: Settings) -> dict[tuple[str, str], int]:
    """Return ``{(network, channel key): days}`` for every channel with a retention limit."""
    return {
        (network_name, irc_casefold(channel.name)): channel.retention_days
        for network_name, network in settings.networks.items()
        for channel in network.channels
        if channel.retention_days is not None
    }


@dataclass(frozen=True)
class PurgeResult:
    """How many rows a retention purge deleted."""

    messages: int = 0
    intervals: int = 0
    topics: int = 0

    @property
    def total(self) -> int:
        """All rows deleted (analyses go with their messages and are not counted apart)."""
        return self.messages + self.intervals + self.topics


_CHANNEL = """
SELECT c.id FROM channels AS c JOIN networks AS n ON n.id = c.network_id
WHERE n.name = ? AND c.key = ?
"""


def _purge(conn: sqlite3.Connection, limits: Iterable[tuple[str, str, float]]) -> PurgeResult:
    counts = [0, 0, 0]
    for network, channel, cutoff in limits:
        row = conn.execute(_CHANNEL, (network, channel)).fetchone()
        if row is None:
            continue
        channel_id = row[0]
        statements = (
            "DELETE FROM messages WHERE channel_id = ? AND at < ?",
            "DELETE FROM presence_intervals WHERE channel_id = ? AND left_at IS NOT NULL "
            "AND left_at < ?",
            "DELETE FROM topics WHERE channel_id = ? AND at < ?",
        )
        for index, sql in enumerate(statements):
            counts[index] += conn.execute(sql, (channel_id, cutoff)).rowcount
    return PurgeResult(*counts)


async def purge_expired(
    db: Database, limits: Mapping[tuple[str, str], int], now: datetime | None = None
) -> PurgeResult:
    """Delete messages (with their analyses), closed stays and topics older than each limit.

    ``limits`` maps ``(network, channel key)`` to days (see :func:`retention_days`). A stay
    still open is kept whatever its age: it is the present, not the past.
    """
    if not limits:
        return PurgeResult()
    moment = (now or utcnow()).timestamp()
    cutoffs = [
        (network, channel, moment - days * _DAY) for (network, channel), days in limits.items()
    ]
    return await db.transaction(lambda conn: _purge(conn, cutoffs))
