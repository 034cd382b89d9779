"""Where the transcript ends: the last recorded platform message id per channel of a network.

A connector that can fetch history (Discord) starts its backfill from here after being away.
"Last" is by the server's timestamp, not by insertion, because backfilled messages are
inserted after newer live ones.
"""

from __future__ import annotations

from assistant.storage.database import Database

__all__ = ["last_message_ids"]

_LAST_IDS = """
SELECT c.key, (
    SELECT m.message_id FROM messages AS m
    WHERE m.channel_id = c.id AND m.message_id IS NOT NULL
    ORDER BY m.at DESC, m.id DESC LIMIT 1
) AS last_id
FROM channels AS c JOIN networks AS n ON n.id = c.network_id
WHERE n.name = ?
"""


async def last_message_ids(db: Database, network: str) -> dict[str, str]:
    """Map each channel key of ``network`` (case-folded name) to its last recorded message id.

    Channels with no message carrying a platform id are left out.
    """
    rows = await db.fetchall(_LAST_IDS, (network,))
    return {str(row[0]): str(row[1]) for row in rows if row[1] is not None}
