"""The digests imported and replayed events leave, so that no event is recorded twice.

``presence import`` and ``presence replay`` key each event of a log (:func:`digest`), look the
keys up before recording (:func:`known_digests`), and queue one ``imported_events`` row per
recorded event right behind its own write (:func:`message_digest`, :func:`identity_digest`).
The SQL differs per backend where SQLite and PostgreSQL have no common spelling.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from assistant.storage.backend import Op
from assistant.storage.database import Database

__all__ = ["digest", "identity_digest", "known_digests", "message_digest"]

_CHUNK = 2000  # digests looked up with one query

_KNOWN = {
    "sqlite": (
        "SELECT e.digest FROM json_each(?) AS j JOIN imported_events AS e "
        "ON e.at = json_extract(j.value, '$[0]') AND e.digest = json_extract(j.value, '$[1]')"
    ),
    "postgresql": (
        "SELECT e.digest FROM json_array_elements(?::json) AS j JOIN imported_events AS e "
        "ON e.at = (j.value ->> 0)::double precision AND e.digest = j.value ->> 1"
    ),
}
# The message the recorder wrote just before, on the writer's one connection: queued right
# behind it, in the same batch, in order.
_LAST_MESSAGE = {
    "sqlite": "last_insert_rowid()",
    "postgresql": "currval(pg_get_serial_sequence('messages', 'id'))",
}
_MESSAGE_DIGEST = (
    "INSERT OR IGNORE INTO imported_events (at, digest, message_id) VALUES (?2, ?1, {last})"
)
_IDENTITY_DIGEST = (
    "INSERT OR IGNORE INTO imported_events (at, digest, identity_id) "
    "SELECT ?4, ?1, id FROM identities "
    "WHERE network_id = (SELECT id FROM networks WHERE name = ?2) AND key = ?3"
)


def digest(key: str, occurrence: int) -> str:
    """The digest of the ``occurrence``-th event with ``key`` in one file."""
    data = f"{key}\x1f{occurrence}".encode("utf-8", errors="surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


async def known_digests(db: Database, pairs: Sequence[tuple[float, str]]) -> set[str]:
    """Which of the ``(event time, digest)`` pairs earlier imports or replays recorded."""
    sql = _KNOWN[db.backend.name]
    known: set[str] = set()
    for start in range(0, len(pairs), _CHUNK):
        rows = await db.fetchall(sql, (json.dumps(pairs[start : start + _CHUNK]),))
        known.update(row[0] for row in rows)
    return known


def message_digest(db: Database, digest: str, at: float) -> Op:
    """The write recording ``digest`` for the message queued just before it."""
    return _MESSAGE_DIGEST.format(last=_LAST_MESSAGE[db.backend.name]), (digest, at)


def identity_digest(digest: str, network: str, key: str, at: float) -> Op:
    """The write recording ``digest`` for a join, part, topic or nick change by ``key``."""
    return _IDENTITY_DIGEST, (digest, network, key, at)
