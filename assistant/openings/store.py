"""The openings' own tables: openings found with their outcome, and the exchange ledger.

Both refer to persons with ON DELETE CASCADE, so forgetting a person removes their openings
and their ledger. They ship as the ``openings`` plugin's migrations (tables ``openings_*``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from assistant.openings.opening import Opening
from assistant.openings.pacing import Exchange
from assistant.storage.database import Database

__all__ = ["MIGRATIONS", "OpeningsStore"]

MIGRATIONS: tuple[str, ...] = (
    """
CREATE TABLE openings_found (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    kind TEXT NOT NULL,
    network TEXT NOT NULL,
    channel TEXT NOT NULL,
    nick TEXT NOT NULL,
    message_id TEXT,
    thread TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    at REAL NOT NULL,
    found_at REAL NOT NULL,
    score REAL NOT NULL,
    parts TEXT NOT NULL,
    reason TEXT NOT NULL,
    angle TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'pending',  -- pending | taken | missed | dismissed
    outcome_at REAL
);
CREATE INDEX openings_found_person ON openings_found (person_id, found_at);
CREATE TABLE openings_exchanges (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    at REAL NOT NULL,
    to_owner INTEGER NOT NULL,
    reply INTEGER NOT NULL,
    initiation INTEGER NOT NULL,
    channel TEXT NOT NULL
);
CREATE INDEX openings_exchanges_person ON openings_exchanges (person, at);
""",
)

_PERSON = (
    "SELECT i.person_id FROM identities AS i JOIN networks AS n ON n.id = i.network_id "
    "WHERE n.name = ? AND i.key = ?"
)


def _ts(at: datetime) -> float:
    return at.timestamp()


class OpeningsStore:
    """Reads and writes the openings' tables through the shared database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._people: dict[tuple[str, str], int] = {}
        self._epoch = db.identity_epoch
        self._next_id: int | None = None

    async def person_id(self, network: str, identity_key: str) -> int | None:
        """The person behind an identity the recorder has seen, if any (cached)."""
        if self._epoch != self.db.identity_epoch:  # identities were deleted or merged
            self._people.clear()
            self._epoch = self.db.identity_epoch
        found = self._people.get((network, identity_key))
        if found is not None:
            return found
        row = await self.db.fetchone(_PERSON, (network, identity_key))
        if row is None or row[0] is None:
            return None
        self._people[network, identity_key] = int(row[0])
        return int(row[0])

    async def add_opening(self, opening: Opening, person_id: int) -> int:
        """Store an opening sent to the owner (queued with the other writes); return its id."""
        if self._next_id is None:
            row = await self.db.fetchone("SELECT coalesce(max(id), 0) FROM openings_found")
            if self._next_id is None:  # another opening may have been stored meanwhile
                self._next_id = int(row[0]) + 1 if row is not None else 1
        opening_id, self._next_id = self._next_id, self._next_id + 1
        c = opening.candidate
        params = (
            opening_id,
            person_id,
            c.person.name,
            c.kind,
            c.network,
            c.channel,
            c.nick,
            c.message_id,
            c.thread,
            c.text,
            _ts(c.at),
            _ts(opening.found_at),
            opening.score,
            json.dumps(opening.parts.as_dict()),
            c.reason,
            c.angle,
        )
        self.db.writer.submit(
            (
                "INSERT INTO openings_found (id, person_id, person, kind, network, channel, nick, "
                "message_id, thread, message, at, found_at, score, parts, reason, angle) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
        )
        return opening_id

    async def set_outcome(self, opening_id: int, outcome: str, at: datetime) -> bool:
        """Record what became of an opening; False when there is no pending one with that id."""
        row = await self.db.fetchone(
            "SELECT outcome FROM openings_found WHERE id = ?", (opening_id,)
        )
        if row is None or row[0] != "pending":
            return False
        await self.db.execute(
            "UPDATE openings_found SET outcome = ?, outcome_at = ? WHERE id = ?",
            (outcome, _ts(at), opening_id),
        )
        return True

    async def outcomes(self) -> dict[int, str]:
        """Every stored opening's outcome by id."""
        rows = await self.db.fetchall("SELECT id, outcome FROM openings_found ORDER BY id")
        return {int(r[0]): str(r[1]) for r in rows}

    async def add_exchange(self, person: str, person_id: int, exchange: Exchange) -> None:
        """Append one exchange to the ledger (batched with the transcript writes)."""
        self.db.writer.submit(
            (
                "INSERT INTO openings_exchanges (person_id, person, at, to_owner, reply, "
                "initiation, channel) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    person_id,
                    person,
                    _ts(exchange.at),
                    int(exchange.to_owner),
                    int(exchange.reply),
                    int(exchange.initiation),
                    exchange.channel,
                ),
            )
        )

    async def exchanges(self) -> dict[str, list[Exchange]]:
        """The whole ledger, by the owner's name for each person, oldest first."""
        rows = await self.db.fetchall(
            "SELECT person, at, to_owner, reply, initiation, channel FROM openings_exchanges "
            "ORDER BY at, id"
        )
        found: dict[str, list[Exchange]] = {}
        for r in rows:
            found.setdefault(str(r[0]), []).append(
                Exchange(
                    datetime.fromtimestamp(float(r[1]), UTC),
                    bool(r[2]),
                    bool(r[3]),
                    bool(r[4]),
                    str(r[5]),
                )
            )
        return found
