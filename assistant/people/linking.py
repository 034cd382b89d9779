"""Automatic identity → person linking: shared IRC accounts, configured aliases, alternate nicks.

Nick-change chains are linked by the recorder as they happen; what needs a look at the
whole history is done here, in one pass on the database thread:

* **Accounts.** Identities logged in to the same services account on a network are one
  person (the server vouches for it).
* **Aliases.** The owner's configuration ties identities together: each watchlist entry's
  identities are one person, and so are those of each ``[[aliases]]`` entry (this is how
  a person's IRC and Discord identities meet).
* **Alternate nicks.** ``nick_``, ``nick__``, ``nick|away``, ``nick^``, ``nick2`` are folded into
  ``nick``'s person only with evidence and without contradiction: never when the two were
  ever present at the same time, never when their accounts or user@hosts differ; and
  only when they share a user@host or the alternate first appeared after the base nick
  was already known (it shows up while the base is away).

Pairs the owner split apart (``people_kept_apart``) are never joined again.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.config import IdentityRef, Settings
from assistant.events import irc_casefold
from assistant.people.merging import merge_persons
from assistant.storage.database import Database

__all__ = [
    "Groups",
    "Merge",
    "alternate_base",
    "configured_groups",
    "link_people",
    "relink_people",
]

Groups = Sequence[tuple[str, Sequence[IdentityRef]]]
"""Configured groups of identities that are one person: ``(name, identity refs)``."""

# What a client appends when its nick is taken or its owner is away, at the end of a nick.
_AWAY_SUFFIX = re.compile(r"\|[^|]*$")
_TRAILING = re.compile(r"[_^`\-]+$|(?<=[A-Za-z_\[\]\\^{}|`-]{2})\d+$")

_MINE = "SELECT id FROM identities WHERE person_id = {}"
_FAR = 1e18
# Ever present at the same time: overlapping stays, or one speaking during the other's stay.
_OVERLAP = f"""
SELECT EXISTS (
    SELECT 1 FROM presence_intervals AS p JOIN presence_intervals AS q
    ON q.identity_id IN ({_MINE.format(":b")})
    WHERE p.identity_id IN ({_MINE.format(":a")})
    AND p.joined_at < coalesce(q.left_at, {_FAR}) AND q.joined_at < coalesce(p.left_at, {_FAR})
) OR EXISTS (
    SELECT 1 FROM presence_intervals AS q JOIN messages AS m
    ON m.identity_id IN ({_MINE.format(":a")})
    AND m.at >= q.joined_at AND m.at < coalesce(q.left_at, {_FAR})
    WHERE q.identity_id IN ({_MINE.format(":b")})
) OR EXISTS (
    SELECT 1 FROM presence_intervals AS q JOIN messages AS m
    ON m.identity_id IN ({_MINE.format(":b")})
    AND m.at >= q.joined_at AND m.at < coalesce(q.left_at, {_FAR})
    WHERE q.identity_id IN ({_MINE.format(":a")})
)
"""
_KEPT_APART = f"""
SELECT EXISTS (SELECT 1 FROM people_kept_apart
WHERE (identity_id IN ({_MINE.format(":a")}) AND other_id IN ({_MINE.format(":b")}))
OR (identity_id IN ({_MINE.format(":b")}) AND other_id IN ({_MINE.format(":a")})))
"""
_IRC_IDENTITIES = """
SELECT i.id, i.network_id, i.key, i.nick, i.account, i.userhost, i.person_id, i.first_seen
FROM identities AS i WHERE i.platform = 'irc'
"""


@dataclass(frozen=True)
class Merge:
    """One merge the linker made: ``gone`` was folded into ``keep``, and why."""

    keep: int
    gone: int
    reason: str


def alternate_base(nick: str) -> str | None:
    """Return the nick an alternate nick stands for (``"bob|away"`` → ``"bob"``), if it is one."""
    base = _AWAY_SUFFIX.sub("", nick)
    while True:
        shorter = _TRAILING.sub("", base)
        if shorter == base:
            break
        base = shorter
    if not base or base == nick:
        return None
    return base


class _Linker:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.merges: list[Merge] = []

    def person_of(self, identity: int) -> int:
        row = self.conn.execute("SELECT person_id FROM identities WHERE id = ?", (identity,))
        return int(row.fetchone()[0])

    def kept_apart(self, a: int, b: int) -> bool:
        return bool(self.conn.execute(_KEPT_APART, {"a": a, "b": b}).fetchone()[0])

    def join(self, identities: Iterable[int], reason: str) -> None:
        """Make the persons of ``identities`` one (the oldest person survives)."""
        persons = sorted({self.person_of(identity) for identity in identities})
        if len(persons) < 2:
            return
        keep = persons[0]
        for gone in persons[1:]:
            if self.kept_apart(keep, gone):
                continue
            merge_persons(self.conn, keep, gone, reason)
            self.merges.append(Merge(keep, gone, reason))

    def accounts(self) -> None:
        groups: dict[tuple[int, str], list[int]] = {}
        rows = self.conn.execute(
            "SELECT id, network_id, account FROM identities WHERE account IS NOT NULL "
            "AND platform = 'irc' AND network_id IN (SELECT network_id FROM identities "
            "WHERE account IS NOT NULL GROUP BY network_id, lower(account) "
            "HAVING count(DISTINCT person_id) > 1)"
        )
        for row in rows:
            groups.setdefault((row["network_id"], irc_casefold(row["account"])), []).append(
                row["id"]
            )
        for (_, account), identities in groups.items():
            self.join(identities, f"same account {account}")

    def matching(self, ref: IdentityRef) -> list[int]:
        sql = (
            "SELECT i.id, i.account FROM identities AS i JOIN networks AS n "
            "ON n.id = i.network_id WHERE i.platform = :platform "
            "AND (CAST(:network AS TEXT) IS NULL OR n.name = :network) AND (i.key = :key "
            "OR (CAST(:account AS TEXT) IS NOT NULL AND i.account = :account COLLATE NOCASE))"
        )
        key = ref.user_id if ref.platform == "discord" else None
        if key is None and ref.nick:
            key = irc_casefold(ref.nick)
        params = {
            "platform": ref.platform,
            "network": ref.network,
            "key": key,
            "account": ref.account,
        }
        found = []
        for row in self.conn.execute(sql, params):
            account = row["account"]
            by_account = ref.account is not None and account is not None
            if by_account and irc_casefold(account) != irc_casefold(ref.account or ""):
                continue
            found.append(int(row["id"]))
        return found

    def aliases(self, groups: Groups) -> None:
        for name, refs in groups:
            identities = [identity for ref in refs for identity in self.matching(ref)]
            self.join(identities, f"configured alias {name}")

    def alternates(self) -> None:
        rows = self.conn.execute(_IRC_IDENTITIES).fetchall()
        by_key = {(row["network_id"], row["key"]): row for row in rows}
        for alt in rows:
            found = alternate_base(alt["nick"])
            if found is None:
                continue
            base = by_key.get((alt["network_id"], irc_casefold(found)))
            if base is None:
                continue
            reason = self.alternate_evidence(base, alt)
            if reason is not None:
                self.join_pair(base["id"], alt["id"], reason)

    def join_pair(self, base: int, alt: int, reason: str) -> None:
        keep, gone = self.person_of(base), self.person_of(alt)
        if keep == gone or self.kept_apart(keep, gone):
            return
        if self.conn.execute(_OVERLAP, {"a": keep, "b": gone}).fetchone()[0]:
            return  # two people present at the same time are two people
        merge_persons(self.conn, keep, gone, reason)
        self.merges.append(Merge(keep, gone, reason))

    @staticmethod
    def alternate_evidence(base: sqlite3.Row, alt: sqlite3.Row) -> str | None:
        nicks = f"{alt['nick']} is an alternate nick of {base['nick']}"
        for column in ("account", "userhost"):
            mine, theirs = base[column], alt[column]
            if mine is not None and theirs is not None and mine.lower() != theirs.lower():
                return None
        if base["userhost"] is not None and base["userhost"] == alt["userhost"]:
            return f"{nicks} (same user@host)"
        if base["first_seen"] < alt["first_seen"]:
            return f"{nicks} (appears while {base['nick']} is away)"
        return None


def configured_groups(settings: Settings) -> list[tuple[str, Sequence[IdentityRef]]]:
    """Every configured group of identities that is one person: watched members and aliases."""
    watched = [(member.name, member.identities) for member in settings.watchlist]
    return [*watched, *((alias.name, alias.identities) for alias in settings.aliases)]


def link_people(conn: sqlite3.Connection, aliases: Groups = ()) -> list[Merge]:
    """Link identities to persons by accounts, ``aliases`` and alternate nicks; return the merges.

    ``aliases`` are ``(name, identity refs)`` groups, each one person. Runs inside the
    caller's transaction, on the database thread.
    """
    linker = _Linker(conn)
    linker.accounts()
    linker.aliases(aliases)
    linker.alternates()
    return linker.merges


async def relink_people(db: Database, settings: Settings) -> list[Merge]:
    """Run :func:`link_people` with the configured groups, as one transaction."""
    groups = configured_groups(settings)
    return await db.transaction(lambda conn: link_people(conn, groups))
