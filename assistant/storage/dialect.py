"""Translating the SQLite-flavoured DML the callers write into PostgreSQL's.

Storage code is written in SQLite's dialect (``?`` placeholders, ``INSERT OR IGNORE``).
Rather than rewrite every caller at once (issue 34), the PostgreSQL backend passes each
statement through :func:`to_postgresql`, which rewrites what has a faithful equivalent and
refuses, with a clear :class:`DialectError`, what has not:

* ``?`` → ``$1``, ``$2``… in order; ``?NNN`` → ``$NNN``; ``:name`` → ``$k`` (one number
  per distinct name), the mapping of parameters becoming a tuple (:meth:`Translation.bind`).
* ``INSERT OR IGNORE INTO t …`` → ``INSERT INTO t … ON CONFLICT DO NOTHING`` (before a
  ``RETURNING`` clause, if any).
* ``INSERT OR REPLACE`` / ``REPLACE INTO`` → refused: PostgreSQL needs the conflict target
  spelled out (``ON CONFLICT (cols) DO UPDATE SET …``), which both engines accept.

String literals, quoted identifiers and comments are left untouched. Schema (migrations)
is not translated: each backend has its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.storage.backend import Params

__all__ = ["DialectError", "Translation", "to_postgresql"]

# One token at a time: things to copy as they are (literals, quoted names, comments, ``::``
# casts), then the placeholders to rewrite.
_TOKENS = re.compile(
    r"""
      (?P<skip>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|::)
    | \?(?P<number>\d+)?
    | (?<![\w:]):(?P<name>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)
_INSERT_OR = re.compile(r"^\s*(INSERT\s+OR\s+(\w+)|REPLACE)\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


class DialectError(ValueError):
    """A statement has no faithful PostgreSQL spelling; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Translation:
    """A statement in PostgreSQL's dialect and how to lay out its parameters."""

    sql: str
    names: tuple[str, ...] | None
    """The parameter names in ``$k`` order when the original used ``:name``, else None."""
    count: int = 0
    """How many parameters the statement takes (the highest ``$k``)."""

    def bind(self, params: Params) -> Sequence[object]:
        """Lay ``params`` out for the translated statement (``$1`` first).

        Raises:
            DialectError: named parameters for ``?`` placeholders, or the other way round,
                a name the mapping lacks, or too many or too few parameters.
        """
        if self.names is None:
            if isinstance(params, Mapping):
                raise DialectError(f"positional placeholders given named parameters: {self.sql}")
            if len(params) != self.count:
                raise DialectError(
                    f"{self.count} parameters expected, {len(params)} given: {self.sql}"
                )
            return params
        if not isinstance(params, Mapping):
            raise DialectError(f"named placeholders given positional parameters: {self.sql}")
        try:
            return tuple(params[name] for name in self.names)
        except KeyError as exc:
            raise DialectError(f"no value for :{exc.args[0]} in: {self.sql}") from None


def to_postgresql(sql: str) -> Translation:
    """Rewrite one SQLite-dialect statement for PostgreSQL (cached: statements repeat).

    Raises:
        DialectError: the statement uses ``INSERT OR REPLACE``/``REPLACE INTO``, another
            ``INSERT OR`` conflict clause, or mixes ``?`` and ``:name`` placeholders.
    """
    return _translate(sql)


@lru_cache(maxsize=1024)
def _translate(sql: str) -> Translation:
    ignore = False
    head = _INSERT_OR.match(sql)
    if head is not None:
        action = (head.group(2) or "REPLACE").upper()
        if action != "IGNORE":
            raise DialectError(
                f"{head.group(1).upper()} has no PostgreSQL equivalent without a conflict "
                "target: write INSERT ... ON CONFLICT (columns) DO UPDATE SET ... instead "
                f"(SQLite accepts it too): {sql.strip()[:80]}"
            )
        ignore = True
        sql = sql[: head.start(1)] + "INSERT INTO" + sql[head.end() :]
    out: list[str] = []
    names: dict[str, int] = {}
    positional = 0
    last = 0
    for match in _TOKENS.finditer(sql):
        if match.group("skip") is not None:
            continue
        out.append(sql[last : match.start()])
        last = match.end()
        name = match.group("name")
        if name is not None:
            number = names.setdefault(name, len(names) + 1)
        elif match.group("number") is not None:
            number = int(match.group("number"))
            positional = max(positional, number)
        else:
            positional += 1
            number = positional
        out.append(f"${number}")
    out.append(sql[last:])
    if names and positional:
        raise DialectError(f"mixes ?-style and :name placeholders: {sql.strip()[:80]}")
    text = "".join(out)
    if ignore:
        text = _add_on_conflict(text)
    return Translation(text, tuple(names) if names else None, len(names) or positional)


def _add_on_conflict(sql: str) -> str:
    body = sql.rstrip().rstrip(";").rstrip()
    returning = _last_code_match(_RETURNING, body)
    if returning is None:
        return f"{body} ON CONFLICT DO NOTHING"
    return f"{body[:returning].rstrip()} ON CONFLICT DO NOTHING {body[returning:]}"


def _last_code_match(pattern: re.Pattern[str], sql: str) -> int | None:
    """Where ``pattern`` last matches outside literals and comments, or None."""
    masked = _TOKENS.sub(
        lambda m: " " * len(m.group(0)) if m.group("skip") is not None else m.group(0), sql
    )
    found = None
    for match in pattern.finditer(masked):
        found = match.start()
    return found
