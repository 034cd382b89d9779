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
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["bulk_columns", "bulk_form", "declare_bulk"]

_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(?P<table>[A-Za-z_]\w*)\b", re.IGNORECASE)

# SQLite-dialect statement -> (target table, PostgreSQL bulk statement). Filled when the
# module that owns a statement is imported; entries are constants, never changed after.
_FORMS: dict[str, tuple[str, str]] = {}


def declare_bulk(sql: str, bulk_sql: str) -> None:
    """Declare ``bulk_sql`` (PostgreSQL) as the set-based form of ``sql``, an ``INSERT``.

    Raises:
        ValueError: ``sql`` is not a plain ``INSERT INTO table``, or it already has
            another bulk form.
    """
    head = _INSERT.match(sql)
    if head is None:
        raise ValueError(f"only an INSERT INTO a table can have a bulk form: {sql[:80]}")
    form = (head.group("table").lower(), bulk_sql)
    if _FORMS.setdefault(sql, form) != form:
        raise ValueError(f"a different bulk form is declared already for: {sql[:80]}")


def bulk_form(sql: str) -> tuple[str, str] | None:
    """The table ``sql`` inserts into and its bulk form, or None when it has none."""
    return _FORMS.get(sql)


def bulk_columns(rows: Sequence[Sequence[object]]) -> list[Sequence[object]]:
    """The parameters of ``rows`` (each laid out ``$1`` first) as one array per parameter."""
    return [list(column) for column in zip(*rows, strict=True)]
