"""The people work a running Presence does in the background: opt-outs, linking, retention.

At start-up it loads the opt-out list (the table and the config) and forgets whoever the
config opts out, then links identities (accounts, aliases, alternate nicks) and purges
what is older than each channel's retention. Afterwards linking runs every few minutes
and the purge once a day. Each step is logged and its failure never stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from assistant.config import Settings
from assistant.people.linking import relink_people
from assistant.people.notability import ref_matches
from assistant.people.privacy import load_optouts, purge_expired, retention_days
from assistant.storage.database import Database
from assistant.storage.people import forget_person

__all__ = ["PeopleUpkeep", "forget_config_optouts"]

log = logging.getLogger(__name__)

LINK_EVERY = 300.0
PURGE_EVERY = 86400.0

_IDENTITIES = """
SELECT i.person_id, i.platform, n.name AS network, i.key, i.account, i.user_id
FROM identities AS i JOIN networks AS n ON n.id = i.network_id
"""


async def forget_config_optouts(db: Database, settings: Settings) -> int:
    """Forget every person the config's ``[privacy] optout`` names; return rows deleted."""
    refs = settings.privacy.optout
    if not refs:
        return 0
    rows = await db.fetchall(_IDENTITIES)
    persons = {row["person_id"] for row in rows if any(ref_matches(ref, row) for ref in refs)}
    return sum([await forget_person(db, person) for person in sorted(persons)])


class PeopleUpkeep:
    """Opt-outs, linking and retention for one running assistant."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the opt-outs (before any event is recorded), then start the background work."""
        await load_optouts(self.db, self.settings)
        deleted = await forget_config_optouts(self.db, self.settings)
        if deleted:
            log.info("privacy: deleted %d rows about people opted out in the config", deleted)
        self._task = asyncio.create_task(self._run(), name="people-upkeep")

    async def stop(self) -> None:
        """Stop the background work (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def link(self) -> None:
        """Link identities to persons now."""
        try:
            links = await relink_people(self.db, self.settings)
        except Exception:
            log.exception("people: linking identities failed")
            return
        for found in links:
            log.info("people: person %d joins person %d: %s", found.gone, found.keep, found.reason)

    async def purge(self) -> None:
        """Delete what is older than each channel's retention now."""
        limits = retention_days(self.settings)
        if not limits:
            return
        try:
            result = await purge_expired(self.db, limits)
        except Exception:
            log.exception("retention: the purge failed")
            return
        if result.total:
            log.info(
                "retention: deleted %d messages, %d stays, %d topics past their channel's limit",
                result.messages,
                result.intervals,
                result.topics,
            )

    async def _run(self) -> None:
        since_purge = PURGE_EVERY
        while True:
            if since_purge >= PURGE_EVERY:
                await self.purge()
                since_purge = 0.0
            await self.link()
            await asyncio.sleep(LINK_EVERY)
            since_purge += LINK_EVERY
