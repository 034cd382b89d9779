"""The recorder: turns events into transcript and presence rows, before anything else sees them.

:meth:`Recorder.record` is synchronous and never touches the database: it turns an event
into plain ``(sql, params)`` writes queued on the database's one writer, so the order of
events is the order of rows. :meth:`Recorder.take` is the same for live intake, after
waiting (without blocking the loop) while the writer has a full batch uncommitted: a
flood is taken in at the disk's pace and a crash loses at most one batch. Rows name their
network, channel and identity by *key*; SQLite resolves keys to ids inside the batch
through unique indexes, so the recorder needs no ids and never waits for one. The only
state kept here is which networks, channels and identities were already upserted, so that
each is written once rather than per event.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assistant.events import (
    Connected,
    Disconnected,
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MemberModeChanged,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    TopicChanged,
    irc_casefold,
)
from assistant.people.optouts import OptOuts
from assistant.storage.backend import Params
from assistant.storage.database import Database
from assistant.storage.pg_bulk import declare_bulk, declare_lock, declare_rows, network_key

__all__ = ["COPY_WINDOW", "Recorder"]

# Key-to-id lookups; every statement below binds :network (or ?1) to the network name.
_NETWORK = "(SELECT id FROM networks WHERE name = :network)"
_CHANNEL = f"(SELECT id FROM channels WHERE network_id = {_NETWORK} AND key = :channel)"
_IDENTITY = f"(SELECT id FROM identities WHERE network_id = {_NETWORK} AND key = :identity)"
_NEW_IDENTITY = f"(SELECT id FROM identities WHERE network_id = {_NETWORK} AND key = :new)"
_KICKER = f"(SELECT id FROM identities WHERE network_id = {_NETWORK} AND key = :by)"

# The hot paths bind by position (cheaper per row than by name): ?1 network, ?2 channel
# key, ?3 identity key, then the statement's own values.
_NETWORK_1 = "(SELECT id FROM networks WHERE name = ?1)"
_CHANNEL_2 = f"(SELECT id FROM channels WHERE network_id = {_NETWORK_1} AND key = ?2)"
_IDENTITY_3 = f"(SELECT id FROM identities WHERE network_id = {_NETWORK_1} AND key = ?3)"

# A platform message id is stored once per channel: history fetched after a reconnect
# (backfill) may repeat messages that were already recorded live. (The CAST gives ?7 a type
# where PostgreSQL meets it first.)
_INSERT_MESSAGE = (
    "INSERT INTO messages (channel_id, identity_id, at, kind, text, message_id, reply_to) "
    f"SELECT c, {_IDENTITY_3}, ?4, ?5, ?6, ?7, ?8 FROM (SELECT {_CHANNEL_2} AS c) AS k "
    "WHERE CAST(?7 AS TEXT) IS NULL OR NOT EXISTS "
    "(SELECT 1 FROM messages WHERE channel_id = c AND message_id = ?7)"
)
# On PostgreSQL, which several instances may share, a line without an id (IRC) is also
# stored once across instances (issue 34): instances attending one channel each see it,
# milliseconds apart, and the copy of an instance (?9, random per Recorder) is skipped when
# ANOTHER instance stored the same line (speaker, channel, kind, text) within COPY_WINDOW
# seconds. Rows of its own never count, so a member saying a line again is a line again; of
# two instances, the first to store a line in a window stores all its repeats there and the
# other none. The writer takes a lock per channel before such statements (declare_lock), so
# two instances writing at the same instant still see each other's rows. SQLite is one
# instance per file: it keeps _INSERT_MESSAGE, and recorded_by NULL.
COPY_WINDOW = 2.0
_AT = "CAST(?4 AS DOUBLE PRECISION)"
_AROUND = f"BETWEEN {_AT} - {COPY_WINDOW!r} AND {_AT} + {COPY_WINDOW!r}"
_INSERT_MESSAGE_SHARED = (
    "INSERT INTO messages "
    "(channel_id, identity_id, at, kind, text, message_id, reply_to, recorded_by) "
    f"SELECT c, i, ?4, ?5, ?6, ?7, ?8, ?9 FROM (SELECT {_CHANNEL_2} AS c, {_IDENTITY_3} AS i) "
    "AS k WHERE CASE WHEN CAST(?7 AS TEXT) IS NOT NULL THEN NOT EXISTS "
    "(SELECT 1 FROM messages WHERE channel_id = c AND message_id = ?7) "
    "ELSE NOT EXISTS (SELECT 1 FROM messages "
    f"WHERE identity_id = i AND at {_AROUND} AND channel_id = c AND text = ?6 AND kind = ?5 "
    "AND recorded_by <> CAST(?9 AS BIGINT)) END"
)
# In the set-based form, the id check's redundant "d.message_id IS NOT NULL" keeps it an index
# probe (messages_platform_id) for each line: a check whose only outer references are equalities
# may be planned as a hashed subplan instead, which reads the whole messages table once per batch.
# The writer's generic plan takes a batch for 10 rows, so PostgreSQL picks that on a small table
# (empty, or a few thousand rows) and keeps it while the table grows, until the next ANALYZE
# (issue 34: 200,000 Discord-style events from an empty table slowed from 20,400 to 9,800
# events/s, lines without ids stayed near 25,000). The single-row form needs nothing of the
# kind: its check reads only parameters, a one-time probe of the index.
_INSERT_MESSAGES_BULK = (
    "INSERT INTO messages "
    "(channel_id, identity_id, at, kind, text, message_id, reply_to, recorded_by) "
    "SELECT d.c, d.i, d.at, d.kind, d.text, d.message_id, d.reply_to, d.recorded_by FROM ("
    "SELECT r.*, ch.id AS c, who.id AS i, "
    "row_number() OVER (PARTITION BY ch.id, r.message_id ORDER BY r.n) AS nth "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::bigint[]) WITH ORDINALITY "
    "AS r (network, channel, identity, at, kind, text, message_id, reply_to, recorded_by, n) "
    "LEFT JOIN networks AS w ON w.name = r.network "
    "LEFT JOIN channels AS ch ON ch.network_id = w.id AND ch.key = r.channel "
    "LEFT JOIN identities AS who ON who.network_id = w.id AND who.key = r.identity"
    ") AS d WHERE CASE WHEN d.message_id IS NOT NULL THEN d.nth = 1 AND NOT EXISTS "
    "(SELECT 1 FROM messages AS m WHERE m.channel_id = d.c AND m.message_id = d.message_id "
    "AND d.message_id IS NOT NULL) "
    "ELSE NOT EXISTS (SELECT 1 FROM messages AS m "
    f"WHERE m.identity_id = d.i AND m.at BETWEEN d.at - {COPY_WINDOW!r} AND d.at + {COPY_WINDOW!r} "
    "AND m.channel_id = d.c AND m.text = d.text AND m.kind = d.kind "
    "AND m.recorded_by <> d.recorded_by) END "
    "ORDER BY d.n"
)
declare_bulk(_INSERT_MESSAGE_SHARED, _INSERT_MESSAGES_BULK)
declare_lock(_INSERT_MESSAGE_SHARED)
# A second join while already there (a roster after a missed part) keeps the open stay.
# Text-channel and voice/stage stays (``via``) are kept apart: one can be in both at once.
_OPEN_STAY = (
    "INSERT INTO presence_intervals "
    "(identity_id, channel_id, joined_at, already_present, modes, via) "
    f"SELECT i, c, ?4, ?5, ?6, ?7 FROM (SELECT {_IDENTITY_3} AS i, {_CHANNEL_2} AS c) AS k "
    "WHERE NOT EXISTS (SELECT 1 FROM presence_intervals "
    "WHERE identity_id = i AND channel_id = c AND via = ?7 AND left_at IS NULL)"
)
# With other instances (PostgreSQL) nor is a stay opened that another instance (?8, as ?9
# above) opened within COPY_WINDOW seconds: its copy of the same join, even when that stay
# is closed already.
_OPEN_STAY_SHARED = (
    "INSERT INTO presence_intervals "
    "(identity_id, channel_id, joined_at, already_present, modes, via, recorded_by) "
    f"SELECT i, c, ?4, ?5, ?6, ?7, ?8 FROM (SELECT {_IDENTITY_3} AS i, {_CHANNEL_2} AS c) AS k "
    "WHERE NOT EXISTS (SELECT 1 FROM presence_intervals "
    "WHERE identity_id = i AND channel_id = c AND via = ?7 AND left_at IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM presence_intervals "
    f"WHERE identity_id = i AND joined_at {_AROUND} AND channel_id = c AND via = ?7 "
    "AND recorded_by <> CAST(?8 AS BIGINT))"
)
# Arrivals, departures and status changes of a stay touch only its rows: a member's in
# one channel, text or voice (pg_bulk.declare_rows). The writer groups those of different
# members past one another, and runs a group of arrivals (or departures) as one statement.
_STAY_KEYS = (
    "LEFT JOIN networks AS w ON w.name = r.network "
    "LEFT JOIN channels AS ch ON ch.network_id = w.id AND ch.key = r.channel "
    "LEFT JOIN identities AS who ON who.network_id = w.id AND who.key = r.identity"
)
_OPEN_STAYS_BULK = (
    "INSERT INTO presence_intervals "
    "(identity_id, channel_id, joined_at, already_present, modes, via, recorded_by) "
    "SELECT d.i, d.c, d.at, d.already_present, d.modes, d.via, d.recorded_by FROM ("
    "SELECT r.*, ch.id AS c, who.id AS i "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[], $6::text[], "
    "$7::text[], $8::bigint[]) WITH ORDINALITY "
    "AS r (network, channel, identity, at, already_present, modes, via, recorded_by, n) "
    f"{_STAY_KEYS}) AS d "
    "WHERE NOT EXISTS (SELECT 1 FROM presence_intervals AS p "
    "WHERE p.identity_id = d.i AND p.channel_id = d.c AND p.via = d.via AND p.left_at IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM presence_intervals AS p "
    f"WHERE p.identity_id = d.i AND p.joined_at BETWEEN d.at - {COPY_WINDOW!r} "
    f"AND d.at + {COPY_WINDOW!r} AND p.channel_id = d.c AND p.via = d.via "
    "AND p.recorded_by <> d.recorded_by) "
    "ORDER BY d.n"
)


def _stay(via: int) -> Callable[[Params], object]:
    """The key of a positional stay statement: ?1 to ?3 and its ``via``, ``?via``."""

    def key(params: Params) -> object:
        assert not isinstance(params, Mapping)
        return (params[0], params[1], params[2], params[via - 1])

    return key


declare_rows(_OPEN_STAY_SHARED, _stay(7))
declare_bulk(_OPEN_STAY_SHARED, _OPEN_STAYS_BULK)
declare_lock(_OPEN_STAY_SHARED)
# The status in a roster (NAMES) or a MODE change is the member's status from now on.
_SET_MODES = (
    "UPDATE presence_intervals SET modes = ?4 "
    f"WHERE identity_id = {_IDENTITY_3} AND channel_id = {_CHANNEL_2} AND via = ?5 "
    "AND left_at IS NULL"
)
declare_rows(_SET_MODES, _stay(5))

_ENSURE_NETWORK = (
    "INSERT INTO networks (name, platform) VALUES (:network, :platform) "
    "ON CONFLICT (name) DO NOTHING"
)
# `private` only ever turns on here: a recorder built without the owner's settings (an
# importer, a test) must not make a private channel public again. (CASE rather than
# SQLite's two-argument max(), which PostgreSQL spells GREATEST: both engines read it.)
_ENSURE_CHANNEL = (
    "INSERT INTO channels (network_id, key, name, private) "
    f"VALUES ({_NETWORK}, :channel, :name, :private) "
    "ON CONFLICT (network_id, key) DO UPDATE SET private = CASE "
    "WHEN excluded.private > channels.private THEN excluded.private ELSE channels.private END"
)
_IDENTITY_COLUMNS = "platform, network_id, key, nick, account, user_id, userhost, first_seen"
_IDENTITY_VALUES = f":platform, {_NETWORK}, :identity, :nick, :account, :user_id, :userhost, :at"
_IDENTITY_REFRESH = (
    "nick = excluded.nick, "
    "account = coalesce(excluded.account, identities.account), "
    "user_id = coalesce(excluded.user_id, identities.user_id), "
    "userhost = coalesce(excluded.userhost, identities.userhost)"
)
_ENSURE_IDENTITY = (
    f"INSERT INTO identities ({_IDENTITY_COLUMNS}) VALUES ({_IDENTITY_VALUES}) "
    f"ON CONFLICT (network_id, key) DO UPDATE SET {_IDENTITY_REFRESH}"
)
# A nick change: the new identity belongs to the old one's person (even if the nick was
# seen before under another person: the nick now names the human who took it).
_LINK_IDENTITY = (
    f"INSERT INTO identities ({_IDENTITY_COLUMNS}, person_id) "
    f"VALUES ({_IDENTITY_VALUES.replace(':identity', ':new')}, "
    f"(SELECT person_id FROM identities WHERE network_id = {_NETWORK} AND key = :old)) "
    f"ON CONFLICT (network_id, key) DO UPDATE SET {_IDENTITY_REFRESH}, "
    "person_id = coalesce(excluded.person_id, identities.person_id)"
)
_CARRY_STAYS = (
    "INSERT INTO presence_intervals (identity_id, channel_id, joined_at, modes, via) "
    f"SELECT {_NEW_IDENTITY}, p.channel_id, :at, p.modes, p.via FROM presence_intervals AS p "
    f"WHERE p.identity_id = {_IDENTITY} AND p.left_at IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM presence_intervals AS q "
    f"WHERE q.identity_id = {_NEW_IDENTITY} AND q.channel_id = p.channel_id "
    "AND q.via = p.via AND q.left_at IS NULL)"
)
_CLOSE_SET = "SET left_at = :at, left_kind = :kind, left_reason = :reason"
_CLOSE_STAY = (
    f"UPDATE presence_intervals {_CLOSE_SET}, left_by = {_KICKER} "
    f"WHERE identity_id = {_IDENTITY} AND channel_id = {_CHANNEL} AND via = :via "
    "AND left_at IS NULL"
)
_CLOSE_STAYS = (
    f"UPDATE presence_intervals {_CLOSE_SET}, left_by = {_KICKER} "
    f"WHERE identity_id = {_IDENTITY} AND left_at IS NULL"
)
# With other instances (PostgreSQL) a departure is their copy too when another instance
# ended a stay of the same member and channel the same way within COPY_WINDOW seconds: an
# instance's late copy of a part must not end the stay of a rejoin recorded since.
_NOT_ENDED_BY_OTHERS = (
    "NOT EXISTS (SELECT 1 FROM presence_intervals AS q "
    "WHERE q.identity_id = presence_intervals.identity_id "
    "AND q.channel_id = presence_intervals.channel_id AND q.via = presence_intervals.via "
    f"AND q.left_at BETWEEN CAST(:at AS DOUBLE PRECISION) - {COPY_WINDOW!r} "
    f"AND CAST(:at AS DOUBLE PRECISION) + {COPY_WINDOW!r} "
    "AND q.left_kind = :kind AND q.closed_by <> :instance)"
)
# One channel's departure binds by position, as the arrivals do: ?1 network, ?2 channel,
# ?3 identity, ?4 at, ?5 kind, ?6 reason, ?7 who kicked, ?8 via, ?9 this instance.
_CLOSE_STAY_SHARED = (
    "UPDATE presence_intervals SET left_at = ?4, left_kind = ?5, left_reason = ?6, "
    "left_by = (SELECT id FROM identities WHERE network_id = "
    f"{_NETWORK_1} AND key = ?7), closed_by = ?9 "
    f"WHERE identity_id = {_IDENTITY_3} AND channel_id = {_CHANNEL_2} AND via = ?8 "
    "AND left_at IS NULL AND NOT EXISTS (SELECT 1 FROM presence_intervals AS q "
    "WHERE q.identity_id = presence_intervals.identity_id "
    "AND q.channel_id = presence_intervals.channel_id AND q.via = presence_intervals.via "
    f"AND q.left_at BETWEEN CAST(?4 AS DOUBLE PRECISION) - {COPY_WINDOW!r} "
    f"AND CAST(?4 AS DOUBLE PRECISION) + {COPY_WINDOW!r} "
    "AND q.left_kind = ?5 AND q.closed_by <> CAST(?9 AS BIGINT))"
)
# Each stay of the group is matched by one row of it at most: the group's keys differ.
_CLOSE_STAYS_BULK = (
    "UPDATE presence_intervals AS s SET left_at = d.at, left_kind = d.kind, "
    "left_reason = d.reason, left_by = d.b, closed_by = d.instance FROM ("
    "SELECT r.*, ch.id AS c, who.id AS i, kicker.id AS b "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::bigint[]) "
    "AS r (network, channel, identity, at, kind, reason, kicker, via, instance) "
    f"{_STAY_KEYS} "
    "LEFT JOIN identities AS kicker ON kicker.network_id = w.id AND kicker.key = r.kicker"
    ") AS d WHERE s.identity_id = d.i AND s.channel_id = d.c AND s.via = d.via "
    "AND s.left_at IS NULL AND NOT EXISTS (SELECT 1 FROM presence_intervals AS q "
    "WHERE q.identity_id = s.identity_id AND q.channel_id = s.channel_id AND q.via = s.via "
    f"AND q.left_at BETWEEN d.at - {COPY_WINDOW!r} AND d.at + {COPY_WINDOW!r} "
    "AND q.left_kind = d.kind AND q.closed_by <> d.instance)"
)
# The departure's named parameters in _CLOSE_STAY_SHARED's order.
_CLOSE_STAY_ORDER = (
    "network",
    "channel",
    "identity",
    "at",
    "kind",
    "reason",
    "by",
    "via",
    "instance",
)
declare_rows(_CLOSE_STAY_SHARED, _stay(8))
declare_bulk(_CLOSE_STAY_SHARED, _CLOSE_STAYS_BULK)
declare_lock(_CLOSE_STAY_SHARED)
_CLOSE_STAYS_SHARED = (
    f"{_CLOSE_STAYS.replace(_CLOSE_SET, _CLOSE_SET + ', closed_by = :instance')} "
    f"AND {_NOT_ENDED_BY_OTHERS}"
)
declare_lock(_CLOSE_STAYS_SHARED, network_key)
# A nick change's carry reads the old nick's open stays, which another instance's copy of the
# same change closes: under the same lock, so that when the writer cuts a batch between the
# carry and the close, a second instance still sees the first's carry and carries nothing.
declare_lock(_CARRY_STAYS, network_key)
_CLOSE_NETWORK = (
    f"UPDATE presence_intervals {_CLOSE_SET} WHERE left_at IS NULL "
    f"AND channel_id IN (SELECT id FROM channels WHERE network_id = {_NETWORK})"
)
# Stays still open when Presence connects were left open by a crash (a clean stop or a lost
# connection closes them): when each really ended is unknown, so they are closed as
# "unknown" (not a departure) at the crash, as near as the file knows it: the network's last
# recorded arrival, departure or line. The gap from there to now is one Presence was away.
# (The scalar min/max are CASEs, as both engines read them; NULL stays NULL as with min().)
_NETWORK_CHANNELS = f"(SELECT id FROM channels WHERE network_id = {_NETWORK})"
_CRASHED_AT = (
    "(SELECT CASE WHEN max(last) > :at THEN :at ELSE max(last) END FROM ("
    f"SELECT max(at) AS last FROM messages WHERE channel_id IN {_NETWORK_CHANNELS} "
    f"UNION ALL SELECT max(joined_at) FROM presence_intervals "
    f"WHERE channel_id IN {_NETWORK_CHANNELS} "
    f"UNION ALL SELECT max(left_at) FROM presence_intervals "
    f"WHERE channel_id IN {_NETWORK_CHANNELS}) AS ends)"
)
_STALE_STAYS = (
    f"SELECT 1 FROM presence_intervals WHERE left_at IS NULL AND channel_id IN {_NETWORK_CHANNELS}"
)
_CRASH_GAP = (
    "INSERT INTO connection_gaps (network_id, started_at, ended_at, reason) "
    f"SELECT {_NETWORK}, {_CRASHED_AT}, :at, :reason "
    f"WHERE EXISTS ({_STALE_STAYS}) AND NOT EXISTS (SELECT 1 FROM connection_gaps "
    f"WHERE network_id = {_NETWORK} AND ended_at IS NULL)"
)
_CLOSE_CRASHED = (
    "UPDATE presence_intervals SET left_at = "
    f"CASE WHEN joined_at >= {_CRASHED_AT} THEN joined_at ELSE {_CRASHED_AT} END, "
    "left_kind = 'unknown', left_reason = :reason "
    f"WHERE left_at IS NULL AND channel_id IN {_NETWORK_CHANNELS}"
)
_OPEN_GAP = (
    f"INSERT INTO connection_gaps (network_id, started_at, reason) SELECT {_NETWORK}, :at, "
    ":reason WHERE NOT EXISTS (SELECT 1 FROM connection_gaps "
    f"WHERE network_id = {_NETWORK} AND ended_at IS NULL)"
)
_CLOSE_GAP = (
    f"UPDATE connection_gaps SET ended_at = :at WHERE network_id = {_NETWORK} AND ended_at IS NULL"
)
# On PostgreSQL several instances may attend one network: while connected, each holds a
# shared session lock naming the network (_ATTEND, given up at _LEAVE or when its
# connection ends, a crash included). Stays another live instance attends are not stale
# at a connect, nor ended at a disconnect, and Presence is not away while one is there.
# The writer serializes these statements per network (declare_lock), so of two instances
# stopping at once the second does end the stays.
_ATTENDING = 1667785071
_OWN_LOCK = (
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    f"AND classid = CAST({_ATTENDING} AS oid) AND objid = CAST(hashtext(:network) AS oid) "
    "AND objsubid = 2 AND pid"
)
_OTHERS_ATTEND = f"EXISTS ({_OWN_LOCK} <> pg_backend_pid())"
_ATTEND = (
    f"SELECT pg_advisory_lock_shared({_ATTENDING}, hashtext(:network)) "
    f"WHERE NOT EXISTS ({_OWN_LOCK} = pg_backend_pid())"
)
_LEAVE = (
    f"SELECT pg_advisory_unlock_shared({_ATTENDING}, hashtext(:network)) "
    f"WHERE EXISTS ({_OWN_LOCK} = pg_backend_pid())"
)
_CRASH_GAP_SHARED = f"{_CRASH_GAP} AND NOT {_OTHERS_ATTEND}"
_CLOSE_CRASHED_SHARED = f"{_CLOSE_CRASHED} AND NOT {_OTHERS_ATTEND}"
_CLOSE_NETWORK_SHARED = f"{_CLOSE_NETWORK} AND NOT {_OTHERS_ATTEND}"
_OPEN_GAP_SHARED = f"{_OPEN_GAP} AND NOT {_OTHERS_ATTEND}"
for _shared in (
    _ATTEND,
    _LEAVE,
    _CRASH_GAP_SHARED,
    _CLOSE_CRASHED_SHARED,
    _CLOSE_NETWORK_SHARED,
    _OPEN_GAP_SHARED,
):
    declare_lock(_shared, network_key)
_SET_STATUS = (
    "UPDATE identities SET status = :status, status_message = :message, status_at = :at "
    f"WHERE network_id = {_NETWORK} AND key = :identity"
)
# A topic is announced again on every join; keep only changes.
_SET_TOPIC = (
    f"INSERT INTO topics (channel_id, at, identity_id, topic) "
    f"SELECT {_CHANNEL}, :at, {_IDENTITY}, :topic "
    f"WHERE :topic IS DISTINCT FROM (SELECT topic FROM topics WHERE channel_id = {_CHANNEL} "
    "ORDER BY at DESC, id DESC LIMIT 1)"
)
_EDIT_MESSAGE = (
    "UPDATE messages SET text = :text, edited = 1 "
    f"WHERE channel_id = {_CHANNEL} AND message_id = :message_id AND deleted = 0"
)
_DELETE_MESSAGE = (
    "UPDATE messages SET text = '', deleted = 1 "
    f"WHERE channel_id = {_CHANNEL} AND message_id = :message_id"
)

_Signature = tuple[str, str | None, str | None, str | None]


class Recorder:
    """Turns events into transcript and presence rows, in per-channel order, through the writer.

    Record first, then fan out: :meth:`record` only queues writes, so calling it before
    anything else handles an event costs microseconds and guarantees the transcript order.
    """

    def __init__(
        self,
        db: Database,
        *,
        ignore: Iterable[str] = (),
        private_channels: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Record into ``db``, never recording ``ignore`` nicks; flag ``private_channels``.

        ``private_channels`` are ``(network, channel)`` pairs; nicks and channels are
        compared case-folded. Identities on the database's opt-out list
        (:class:`~assistant.people.optouts.OptOuts`) are never recorded either.
        On PostgreSQL, which other instances may share, the recorder is an instance of its
        own (:attr:`instance`): another instance's copy of a line or arrival is not stored
        twice.
        """
        self._db = db
        self.instance = secrets.randbits(63) if db.backend.name == "postgresql" else None
        """The number this recorder's rows carry (``recorded_by``); None on SQLite."""
        self._submit = db.writer.submit
        self._ignored = frozenset(irc_casefold(nick) for nick in ignore)
        self._optouts = OptOuts.of(db)
        self._private = frozenset((net, irc_casefold(name)) for net, name in private_channels)
        self._epoch = db.identity_epoch
        self._networks: set[str] = set()
        self._channels: dict[tuple[str, str], str] = {}
        self._identities: dict[tuple[str, str], _Signature] = {}
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            MessageReceived: self._message,
            MemberJoined: self._joined,
            MemberLeft: self._left,
            MemberModeChanged: self._mode_changed,
            NickChanged: self._nick_changed,
            MessageEdited: self._edited,
            MessageDeleted: self._deleted,
            TopicChanged: self._topic,
            PresenceChanged: self._presence,
            Connected: self._connected,
            Disconnected: self._disconnected,
        }

    async def take(self, event: Event) -> None:
        """Record ``event`` once the writer has room; only the caller waits, never the loop."""
        writer = self._db.writer
        if writer.full:
            await writer.room()
        self.record(event)

    def record(self, event: Event) -> None:
        """Queue the writes for ``event``; never awaits. Events it does not store are ignored.

        Never holds back: for callers that pace themselves (importers, replays, tests);
        live intake uses :meth:`take`.
        """
        handler = self._handlers.get(type(event))
        if handler is None:
            handler = self._handler_for(type(event))
            if handler is None:
                return
        if self._db.identity_epoch != self._epoch:
            self._forget_caches()
        handler(event)

    def _handler_for(self, cls: type[Event]) -> Callable[[Any], None] | None:
        for base in cls.__mro__[1:]:
            handler = self._handlers.get(base)
            if handler is not None:
                self._handlers[cls] = handler
                return handler
        return None

    def _forget_caches(self) -> None:
        # Rows were deleted (a person forgotten): upsert again what we see from now on.
        self._epoch = self._db.identity_epoch
        self._networks.clear()
        self._channels.clear()
        self._identities.clear()

    def ignores(self, nick: str) -> bool:
        """True for a nick on the ignore list: never recorded, and not shown to plugins."""
        return bool(self._ignored) and irc_casefold(nick) in self._ignored

    def skips(self, actor: Identity) -> bool:
        """True for someone never recorded nor shown to plugins: ignored, or opted out."""
        return self.ignores(actor.nick) or (bool(self._optouts) and self._optouts.blocks(actor))

    def _network(self, network: str, platform: str) -> None:
        if network not in self._networks:
            self._submit((_ENSURE_NETWORK, {"network": network, "platform": platform}))
            self._networks.add(network)

    def _channel(self, network: str, platform: str, name: str) -> str:
        """Return the channel's key, upserting the channel the first time it is seen."""
        key = self._channels.get((network, name))
        if key is None:
            self._network(network, platform)
            key = irc_casefold(name)
            private = int((network, key) in self._private)
            params = {"network": network, "channel": key, "name": name, "private": private}
            self._submit((_ENSURE_CHANNEL, params))
            self._channels[network, name] = key
        return key

    def _identity(self, network: str, actor: Identity, at: float) -> str:
        """Return the identity's key, upserting it when first seen or when its details change."""
        key = actor.key
        signature = (actor.nick, actor.account, actor.user_id, actor.userhost)
        if self._identities.get((network, key)) != signature:
            self._network(network, actor.platform)
            self._submit((_ENSURE_IDENTITY, _identity_params(network, actor, key, at)))
            self._identities[network, key] = signature
        return key

    def _message(self, event: MessageReceived) -> None:
        channel = event.channel
        if channel is None or self.skips(event.actor):
            return  # private messages to Presence are not part of any transcript
        network = event.network
        at = event.timestamp.timestamp()
        channel_key = self._channel(network, event.platform, channel)
        identity_key = self._identity(network, event.actor, at)
        params = (
            network,
            channel_key,
            identity_key,
            at,
            event.kind,
            event.text,
            event.message_id,
            event.reply_to,
        )
        if self.instance is None:
            self._submit((_INSERT_MESSAGE, params))
        else:
            self._submit((_INSERT_MESSAGE_SHARED, (*params, self.instance)))

    def _joined(self, event: MemberJoined) -> None:
        if event.channel is None or self.skips(event.actor):
            return
        network = event.network
        at = event.timestamp.timestamp()
        channel_key = self._channel(network, event.platform, event.channel)
        identity_key = self._identity(network, event.actor, at)
        via = event.via
        params = (
            network,
            channel_key,
            identity_key,
            at,
            int(event.already_present),
            event.modes,
            via,
        )
        if self.instance is None:
            self._submit((_OPEN_STAY, params))
        else:
            self._submit((_OPEN_STAY_SHARED, (*params, self.instance)))
        if event.already_present:  # a roster may be seen while the stay is already open
            self._submit((_SET_MODES, (network, channel_key, identity_key, event.modes, via)))

    def _mode_changed(self, event: MemberModeChanged) -> None:
        if event.channel is None or self.skips(event.actor):
            return
        network = event.network
        at = event.timestamp.timestamp()
        channel_key = self._channel(network, event.platform, event.channel)
        identity_key = self._identity(network, event.actor, at)
        modes = (network, channel_key, identity_key, event.status, "channel")
        self._submit((_SET_MODES, modes))

    def _left(self, event: MemberLeft) -> None:
        if self.skips(event.actor):
            return
        # No upserts: leaving cannot be the first sighting worth a person of its own.
        by = event.by
        params = {
            "network": event.network,
            "identity": event.actor.key,
            "at": event.timestamp.timestamp(),
            "kind": event.kind,
            "reason": event.reason,
            "by": None if by is None or self.skips(by) else by.key,
        }
        shared = self.instance is not None
        if shared:
            params["instance"] = self.instance
        if event.channel is None:  # a quit reported once rather than per channel
            self._submit((_CLOSE_STAYS_SHARED if shared else _CLOSE_STAYS, params))
            return
        params["channel"] = irc_casefold(event.channel)
        params["via"] = event.via
        if shared:
            self._submit((_CLOSE_STAY_SHARED, tuple(params[name] for name in _CLOSE_STAY_ORDER)))
        else:
            self._submit((_CLOSE_STAY, params))

    def _nick_changed(self, event: NickChanged) -> None:
        old = event.actor
        if self.skips(old):
            return
        network = event.network
        at = event.timestamp.timestamp()
        new = Identity(
            platform=old.platform,
            network=old.network,
            nick=event.new_nick,
            account=old.account,
            user_id=old.user_id,
            userhost=old.userhost,
        )
        old_key = self._identity(network, old, at)
        if new.key == old_key:  # a change of case, or a Discord display name: same identity
            self._identity(network, new, at)
            return
        close = {
            "network": network,
            "identity": old_key,
            "at": at,
            "kind": "nick",
            "reason": event.new_nick,
            "by": None,
        }
        if not self.skips(new):
            params = _identity_params(network, new, new.key, at)
            del params["identity"]
            self._submit((_LINK_IDENTITY, {**params, "new": new.key, "old": old_key}))
            self._identities[network, new.key] = (new.nick, new.account, new.user_id, new.userhost)
            carry = {"network": network, "identity": old_key, "new": new.key, "at": at}
            self._submit((_CARRY_STAYS, carry))
        if self.instance is None:
            self._submit((_CLOSE_STAYS, close))
        else:
            self._submit((_CLOSE_STAYS_SHARED, {**close, "instance": self.instance}))

    def _edited(self, event: MessageEdited) -> None:
        if event.channel is None:
            return
        params = {
            "network": event.network,
            "channel": irc_casefold(event.channel),
            "message_id": event.message_id,
            "text": event.text,
        }
        self._submit((_EDIT_MESSAGE, params))

    def _deleted(self, event: MessageDeleted) -> None:
        if event.channel is None:
            return
        params = {
            "network": event.network,
            "channel": irc_casefold(event.channel),
            "message_id": event.message_id,
        }
        self._submit((_DELETE_MESSAGE, params))

    def _topic(self, event: TopicChanged) -> None:
        if event.channel is None:
            return
        network = event.network
        at = event.timestamp.timestamp()
        channel_key = self._channel(network, event.platform, event.channel)
        actor = event.actor
        # An IRC server announcing the topic is not a person (nicks cannot contain dots).
        is_server = actor.platform == "irc" and "." in actor.nick
        identity_key = None
        if not is_server and not self.skips(actor):
            identity_key = self._identity(network, actor, at)
        params = {
            "network": network,
            "channel": channel_key,
            "identity": identity_key,
            "at": at,
            "topic": event.topic,
        }
        self._submit((_SET_TOPIC, params))

    def _presence(self, event: PresenceChanged) -> None:
        if self.skips(event.actor):
            return
        network = event.network
        at = event.timestamp.timestamp()
        params = {
            "network": network,
            "identity": self._identity(network, event.actor, at),
            "status": event.status,
            "message": event.message,
            "at": at,
        }
        self._submit((_SET_STATUS, params))

    def _connected(self, event: Connected) -> None:
        network = event.network
        self._network(network, event.platform)
        at = event.timestamp.timestamp()
        crashed = {"network": network, "at": at, "reason": "Presence stopped unexpectedly"}
        if self.instance is None:
            self._submit((_CRASH_GAP, crashed))
            self._submit((_CLOSE_CRASHED, crashed))
        else:
            self._submit((_ATTEND, {"network": network}))
            self._submit((_CRASH_GAP_SHARED, crashed))
            self._submit((_CLOSE_CRASHED_SHARED, crashed))
        self._submit((_CLOSE_GAP, {"network": network, "at": at}))

    def _disconnected(self, event: Disconnected) -> None:
        network = event.network
        self._network(network, event.platform)
        at = event.timestamp.timestamp()
        params = {"network": network, "at": at, "kind": "disconnected", "reason": event.reason}
        gap = {"network": network, "at": at, "reason": event.reason}
        if self.instance is None:
            self._submit((_CLOSE_NETWORK, params))
            self._submit((_OPEN_GAP, gap))
        else:
            self._submit((_CLOSE_NETWORK_SHARED, params))
            self._submit((_OPEN_GAP_SHARED, gap))
            self._submit((_LEAVE, {"network": network}))


def _identity_params(network: str, actor: Identity, key: str, at: float) -> dict[str, object]:
    return {
        "platform": actor.platform,
        "network": network,
        "identity": key,
        "nick": actor.nick,
        "account": actor.account,
        "user_id": actor.user_id,
        "userhost": actor.userhost,
        "at": at,
    }
