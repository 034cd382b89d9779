"""``presence eval attendance``: MeetBot's "People present (lines said)" rebuilt by Presence.

Each ``X.log.txt`` is imported into a temporary database through the importer (the real
recording path), the meeting is rebuilt from the recorded lines, and its people and line
counts are compared with the ``X.txt`` minutes MeetBot wrote from the same meeting.

Folders are searched recursively, so MeetBot's own output tree
(``meeting_name/YEAR/name.DATE.log.txt`` with ``name.DATE.txt`` beside it) works as it is.
The minutes may come from any writer :func:`assistant.summaries.meetbot.minutes_variant`
tells apart (MeetBot 0.1.4's ``text``, Fedora's ``fedora``, ``rest``); all three count
"lines said" by MeetBot's ``addnick`` — one per line said, 0 for a name given to
``#chair`` or ``#nick`` — and the rebuilt meeting counts the same way (see
:mod:`assistant.summaries.meetbot`). The table shows each meeting's variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.importers.importer import ImportOptions, LogImporter
from assistant.importers.scene import date_from_name
from assistant.recorder import Recorder
from assistant.summaries.meetbot import ChatLine, Meeting, find_meetings, parse_minutes
from assistant.testing.database import temporary_database

__all__ = ["AttendanceError", "MeetingScore", "find_meeting_pairs", "score_meeting"]

_LOG_SUFFIX = ".log.txt"
# MeetBot names its files NAME.YYYY-MM-DD-HH.MM; a log without a date still counts lines.
_ANY_DAY = date(1970, 1, 1)
_LINES = (
    "SELECT i.nick, m.text, m.at, m.kind FROM messages AS m "
    "JOIN identities AS i ON i.id = m.identity_id ORDER BY m.id"
)


class AttendanceError(ValueError):
    """A path is not a MeetBot log with its minutes beside it."""


@dataclass(frozen=True, slots=True)
class MeetingScore:
    """One meeting's people compared with its minutes."""

    name: str
    gold: dict[str, int]
    predicted: dict[str, int]
    variant: str = "text"
    """Which MeetBot writer wrote the minutes (``text``, ``fedora``, ``rest``)."""

    @property
    def exact(self) -> int:
        """People in the minutes whose line count Presence got exactly."""
        return sum(1 for nick, lines in self.gold.items() if self.predicted.get(nick) == lines)

    @property
    def matched(self) -> int:
        """People both in the minutes and found by Presence."""
        return len(self.gold.keys() & self.predicted.keys())


def find_meeting_pairs(paths: list[Path]) -> list[tuple[Path, Path]]:
    """``(X.log.txt, X.txt)`` pairs from files and folders (searched recursively), in path order.

    Raises:
        AttendanceError: a path is missing, not a ``.log.txt``, has no minutes beside it,
            or is a folder with no ``.log.txt`` anywhere below it.
    """
    logs: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{_LOG_SUFFIX}") if p.is_file())
            if not found:
                raise AttendanceError(
                    f"{path}: no MeetBot X.log.txt files in this folder or any folder below it"
                )
            logs.extend(found)
        elif path.is_file():
            if not path.name.endswith(_LOG_SUFFIX):
                raise AttendanceError(f"{path}: expected a MeetBot log named X.log.txt")
            logs.append(path)
        else:
            raise AttendanceError(f"{path}: no such file or folder")
    pairs = []
    for log in logs:
        minutes = log.with_name(log.name.removesuffix(_LOG_SUFFIX) + ".txt")
        if not minutes.is_file():
            raise AttendanceError(f"{log}: no minutes beside it ({minutes.name})")
        pairs.append((log, minutes))
    return pairs


async def rebuild_meeting(log: Path) -> Meeting | None:
    """Import ``log`` into a temporary database and rebuild its (first) meeting from it."""
    options = ImportOptions(network="meetbot", day=date_from_name(log) or _ANY_DAY)
    async with temporary_database() as db:
        importer = LogImporter(db, Recorder(db), options)
        report = await importer.import_file(log)
        if report.skipped or report.error:
            raise AttendanceError(f"{log}: {report.skipped or report.error}")
        rows = await db.fetchall(_LINES)
    lines = [
        ChatLine(row["nick"], row["text"], datetime.fromtimestamp(row["at"], UTC), row["kind"])
        for row in rows
    ]
    meetings = find_meetings(lines)
    return meetings[0] if meetings else None


def score_meeting(log: Path, minutes: Path, meeting: Meeting | None) -> MeetingScore:
    """Compare a rebuilt meeting's people with the minutes' "People present"."""
    parsed = parse_minutes(minutes.read_text(encoding="utf-8", errors="replace"))
    predicted = dict(meeting.lines_said) if meeting is not None else {}
    return MeetingScore(
        log.name.removesuffix(_LOG_SUFFIX), parsed.people, predicted, parsed.variant
    )


async def evaluate_attendance(paths: list[Path], console: Console) -> list[MeetingScore]:
    """Score every pair under ``paths``, print a table and the summary line; return the scores."""
    scores = []
    for log, minutes in find_meeting_pairs(paths):
        scores.append(score_meeting(log, minutes, await rebuild_meeting(log)))
    table = Table("meeting", "minutes", "people", "found", "exact", "differences")
    for score in scores:
        differences = ", ".join(
            f"{nick} {score.gold.get(nick, '-')}≠{score.predicted.get(nick, '-')}"
            for nick in sorted(score.gold.keys() | score.predicted.keys())
            if score.gold.get(nick) != score.predicted.get(nick)
        )
        table.add_row(
            score.name,
            score.variant,
            str(len(score.gold)),
            str(len(score.predicted)),
            str(score.exact),
            differences or "none",
        )
    console.print(table)
    exact = sum(score.exact for score in scores)
    gold = sum(len(score.gold) for score in scores)
    predicted = sum(len(score.predicted) for score in scores)
    matched = sum(score.matched for score in scores)
    f1 = 200.0 * matched / (gold + predicted) if gold + predicted else 0.0
    console.print(
        f"attendance: exact={exact}/{gold} f1={f1:.1f} meetings={len(scores)}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return scores
