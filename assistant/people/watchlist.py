"""What ``presence config check`` can say of the watchlist and the owner against what was recorded.

The openings plugin asks the same of a live run once it has attended a while
(:func:`recorded_identities`).

A watched member (or an owner identity) that no recorded identity matches is most often a
misspelling or a missing ``#1234`` tag: saying so, with the closest names recorded, is
what keeps openings from being a silent zero. Without a database there is nothing to
compare with, and the check says so rather than guessing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from assistant.config import Settings, WatchedMember
from assistant.config.identities import missing_notables
from assistant.storage.database import Database, missing_history

__all__ = ["RecordedIdentity", "check_identities", "recorded_identities"]

_IDENTITIES = "SELECT nick, account, user_id FROM identities"


@dataclass(frozen=True, slots=True)
class RecordedIdentity:
    """One identity row, read as the matching reads identities."""

    nick: str
    account: str | None
    user_id: str | None


async def recorded_identities(db: Database) -> list[RecordedIdentity]:
    """Every identity recorded in ``db`` (live chat and imports alike)."""
    rows = await db.fetchall(_IDENTITIES)
    return [RecordedIdentity(str(r["nick"]), r["account"], r["user_id"]) for r in rows]


async def _recorded(settings: Settings) -> list[RecordedIdentity]:
    db = await Database.open_settings(settings)
    try:
        return await recorded_identities(db)
    finally:
        await db.close()


def check_identities(settings: Settings) -> list[str]:
    """Warnings for watched members and owner identities that nothing recorded matches.

    Reads the configured database when it exists (live chat and imports both record
    there); otherwise returns one line saying what cannot be checked yet.
    """
    if not settings.watchlist and not settings.owner.identities:
        return []
    missing = missing_history(settings)
    if missing is not None:
        return [
            f"no database at {missing} yet: whether your notables and your own identities "
            "appear in chat is checked once Presence has recorded or imported some"
        ]
    path = settings.resolve(settings.storage.path)
    source, name = (
        (str(path), path.name) if settings.storage.backend == "sqlite" else ("PostgreSQL",) * 2
    )
    try:
        seen = asyncio.run(_recorded(settings))
    except ConnectionError as exc:
        return [f"{exc}: your notables cannot be checked"]
    if not seen:
        return [f"{source} has recorded nobody yet: your notables cannot be checked"]
    where = f"the {len(seen)} identities recorded in {name}"
    warnings = missing_notables(settings.watchlist, seen, where)
    owner = WatchedMember(name=settings.owner.name, identities=settings.owner.identities)
    for warning in missing_notables([owner] if owner.identities else [], seen, where):
        warnings.append(warning.replace("notable", "your identity", 1))
    return warnings
