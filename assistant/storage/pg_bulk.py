"""Set-based PostgreSQL forms of hot statements: a group of rows as one statement.

The PostgreSQL writer runs a batch's writes of one statement as one group
(:func:`~assistant.storage.backend.group_commuting`). An ``executemany`` still costs the
server one execution per row; a statement that declares a *bulk form* here is run as that
form once per group instead, every row's parameters passed as arrays: ``$k`` holds the
``k``-th parameter of each row, in the group's order (``$1::text[]``; an ``unnest(...)
WITH ORDINALITY`` gives the rows back, numbered).

A bulk form must leave exactly the rows the statement run once per row, in order, would
leave: where a row's statement reads rows an earlier row of the group wrote (a duplicate
check), the form does so within the group itself, and it inserts in the group's order so
ids follow it. The writer uses it only for groups of more than one row into a table
without triggers, rules or defaults that call functions (what a row's trigger sees
differs between one statement and many); otherwise the statement runs as it is.

A statement that reads and writes, in the tables it writes, only the rows of one *key*
(a member's stay in one channel: network, channel, identity, via) declares how to read
the key from its parameters (:func:`declare_rows`). Two such writes with different keys
commute even on one table, so the arrivals and departures of a batch go as a group each
past one another; a group never holds one key twice (the later write starts a group of
its own), which is what lets an ``UPDATE`` have a bulk form: each row it updates is
matched by one row of the group.

A statement that checks what *other instances* sharing the database stored (a copy of the
same line, the same arrival) declares a *lock* here (:func:`declare_lock`): a transaction
holding such writes first takes a transaction-scoped advisory lock per channel they name
(their first two parameters, the network and the channel key; or per network), all at once
and in one order, so that a second instance writing the same channel at the same instant waits for
the first to commit and then sees its rows (under READ COMMITTED each statement reads what
was committed when it starts). Channels of different writers never wait for each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from assistant.storage.backend import Op, Params

__all__ = [
    "LOCK_CHANNELS",
    "bulk_columns",
    "bulk_form",
    "channel_key",
    "declare_bulk",
    "declare_lock",
    "declare_rows",
    "lock_keys",
    "network_key",
    "row_key",
]

_TARGET = re.compile(
    r"\s*(?P<verb>INSERT\s+INTO|UPDATE)\s+(?P<table>[A-Za-z_]\w*)\b", re.IGNORECASE
)

# SQLite-dialect statement -> (target table, PostgreSQL bulk statement). Filled when the
# module that owns a statement is imported; entries are constants, never changed after.
_FORMS: dict[str, tuple[str, str]] = {}
_LOCKED: dict[str, Callable[[Params], str]] = {}
_ROWS: dict[str, Callable[[Params], object]] = {}

# Takes the lock of every key in $1 (text[]), in the order of their hashes: every writer
# takes its locks in that one order, so two never wait for each other in a cycle. The
# first number tells Presence's locks from other programs' (it is "chan").
LOCK_CHANNELS = (
    "SELECT count(pg_advisory_xact_lock(1667785070, h)) FROM ("
    "SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS s"
)


def declare_bulk(sql: str, bulk_sql: str) -> None:
    """Declare ``bulk_sql`` (PostgreSQL) as the set-based form of ``sql``.

    ``sql`` is an ``INSERT``, or an ``UPDATE`` of rows of one key (:func:`declare_rows`,
    declared first): a group then updates each row once.

    Raises:
        ValueError: ``sql`` is not a plain ``INSERT INTO table`` nor an ``UPDATE table``
            with a row key, or it already has another bulk form.
    """
    head = _TARGET.match(sql)
    if head is None:
        raise ValueError(
            f"only an INSERT INTO or an UPDATE of a table can have a bulk form: {sql[:80]}"
        )
    if head.group("verb").upper() == "UPDATE" and sql not in _ROWS:
        raise ValueError(f"an UPDATE has a bulk form only with a row key: {sql[:80]}")
    form = (head.group("table").lower(), bulk_sql)
    if _FORMS.setdefault(sql, form) != form:
        raise ValueError(f"a different bulk form is declared already for: {sql[:80]}")


def bulk_form(sql: str) -> tuple[str, str] | None:
    """The table ``sql`` inserts into and its bulk form, or None when it has none."""
    return _FORMS.get(sql)


def bulk_columns(rows: Sequence[Sequence[object]]) -> list[Sequence[object]]:
    """The parameters of ``rows`` (each laid out ``$1`` first) as one array per parameter."""
    return [list(column) for column in zip(*rows, strict=True)]


def declare_lock(sql: str, key: Callable[[Params], str] | None = None) -> None:
    """Declare that ``sql`` reads rows other instances write under the lock ``key`` names.

    ``key`` gives the lock of an operation from its parameters; by default its channel
    (:func:`channel_key`).
    """
    _LOCKED[sql] = channel_key if key is None else key


def declare_rows(sql: str, key: Callable[[Params], object]) -> None:
    """Declare that ``sql`` reads and writes only rows of the key ``key(params)`` names.

    In the tables it writes, that is: lookups in others (a channel's id by its key) are
    free. Writes of such statements with different keys commute
    (:func:`~assistant.storage.backend.group_commuting`).
    """
    _ROWS[sql] = key


def row_key(sql: str, params: Params) -> object | None:
    """The key of the rows an operation touches (:func:`declare_rows`), or None."""
    key = _ROWS.get(sql)
    return None if key is None else key(params)


def channel_key(params: Params) -> str:
    """The lock of a positional statement whose ``?1`` is the network and ``?2`` the channel."""
    assert not isinstance(params, Mapping)
    return f"{params[0]} {params[1]}"


def network_key(params: Params) -> str:
    """The lock of a named statement's ``:network``: a whole network's attendance."""
    assert isinstance(params, Mapping)
    return str(params["network"])


def lock_keys(batch: Sequence[Op]) -> list[str]:
    """The locks ``batch`` needs (see :data:`LOCK_CHANNELS`), sorted."""
    keys = set()
    for sql, params in batch:
        key = _LOCKED.get(sql)
        if key is not None:
            keys.add(key(params))
    return sorted(keys)
