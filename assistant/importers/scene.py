"""Where and when a log's lines happened: the log's calendar and the events built from lines.

Most logs print only a time of day; the date comes from a header (``--- Day changed``), the
file name (``#chan.2021-04-12.log``) or the user (``--date``). Logs cross midnight without a
word, so a time earlier than the previous line's means the next day: file order is kept,
never sorted by time. Local times are read in the log's zone (``--timezone``) and recorded
as aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Literal

from assistant.events import (
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
    TopicChanged,
)

__all__ = ["BadLine", "LogCalendar", "MissingDate", "Scene", "date_from_name", "read_dates"]

# 2021-04-12 in "#chan.2021-04-12.log" or "NAME.2021-04-12-20.05.log.txt"; 20210412 in ZNC's
# "user_net_#chan_20210412.log".
_ISO_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_COMPACT_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


_SIDECAR_LINE = re.compile(
    r"\s*(?:(?P<day>\d{4}-\d{2}-\d{2})[\s,;]+(?P<name>.+?)|(?P<name2>.+?)[\s,;]+(?P<day2>\d{4}-\d{2}-\d{2}))\s*"
)


class BadLine(ValueError):
    """A line this format cannot read; the message says why."""


class MissingDate(ValueError):
    """A log gives times without a date, and neither its name nor the user gave one."""


def date_from_name(path: Path) -> date | None:
    """The date in a log's file name (``2021-04-12`` or ``20210412``), if there is one."""
    for pattern in (_ISO_DATE_IN_NAME, _COMPACT_DATE_IN_NAME):
        for match in pattern.finditer(path.name):
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
    return None


def read_dates(path: Path) -> dict[str, date]:
    """The days logs start on, from a file of ``NAME YYYY-MM-DD`` (or ``YYYY-MM-DD NAME``) lines.

    A name is a log's file name or its path as given to ``presence import``; blank lines and
    lines starting with ``#`` are skipped.

    Raises:
        OSError: the file cannot be read.
        ValueError: a line names no file or no valid date (the message says which line).
    """
    dates: dict[str, date] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SIDECAR_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"{path}:{number}: expected 'NAME YYYY-MM-DD'")
        name = (match["name"] or match["name2"]).strip()
        try:
            dates[name] = date.fromisoformat(match["day"] or match["day2"])
        except ValueError:
            raise ValueError(f"{path}:{number}: impossible date in {line.strip()!r}") from None
    return dates


class LogCalendar:
    """Turns a log's local times of day into aware UTC datetimes, crossing midnight forwards."""

    def __init__(self, day: date | None, zone: tzinfo) -> None:
        self.day = day
        self.zone = zone
        self._last: timedelta | None = None
        self._midnight: datetime | None = None  # the current day's start, built once a day

    def set_day(self, day: date) -> None:
        """A header named the date: later times are on that day until they go backwards."""
        self.day = day
        self._last = None

    def at(self, hour: int, minute: int, second: float = 0.0) -> datetime:
        """The datetime of a time of day printed on the current line.

        Raises:
            BadLine: the time is impossible (25:61), or midnight passes on 9999-12-31.
            MissingDate: no date is known yet.
        """
        if hour > 23 or minute > 59 or second >= 61:
            raise BadLine(f"impossible time {hour:02d}:{minute:02d}:{int(second):02d}")
        if self.day is None:
            raise MissingDate("the log has times but no date")
        offset = timedelta(hours=hour, minutes=minute, seconds=second)
        try:
            if self._last is not None and offset < self._last:
                self.day += timedelta(days=1)  # midnight passed between two lines
            self._last = offset
            if self._midnight is None or self._midnight.date() != self.day:
                self._midnight = datetime.combine(self.day, time(), tzinfo=self.zone)
            local = self._midnight + offset
            return local if self.zone is UTC else local.astimezone(UTC)
        except OverflowError:
            raise BadLine(f"the date after {self.day} is past the year 9999") from None

    def absolute(self, when: datetime) -> datetime:
        """A full date and time from the line itself (naive means the log's zone).

        Raises:
            BadLine: the time falls outside the years 1 to 9999 once moved to UTC.
        """
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.zone)
        try:
            # Most logs are in UTC or the log's own zone: no conversion to pay for per line.
            local = when if when.tzinfo is self.zone else when.astimezone(self.zone)
            in_utc = when if when.tzinfo is UTC else when.astimezone(UTC)
        except OverflowError:
            raise BadLine(f"{when.isoformat()} is outside the years 1 to 9999 in UTC") from None
        self.day = local.date()
        self._last = timedelta(
            hours=local.hour, minutes=local.minute, seconds=local.second + local.microsecond / 1e6
        )
        return in_utc


@dataclass
class Scene:
    """Builds the project's events for one log: its network, channel and platform."""

    network: str
    channel: str
    platform: str = "irc"
    _identities: dict[tuple[str, str | None, str | None], Identity] = field(default_factory=dict)

    def identity(
        self,
        nick: str,
        user_id: str | None = None,
        userhost: str | None = None,
        account: str | None = None,
    ) -> Identity:
        """The identity behind ``nick`` (and ``user_id``, ``account`` on Discord), reused."""
        if userhost is not None:
            return Identity(
                self.platform,
                self.network,
                nick,
                account=account,
                user_id=user_id,
                userhost=userhost,
            )
        found = self._identities.get((nick, user_id, account))
        if found is None:
            found = Identity(self.platform, self.network, nick, account=account, user_id=user_id)
            self._identities[nick, user_id, account] = found
        return found

    def message(
        self,
        at: datetime,
        nick: str,
        text: str,
        kind: Literal["message", "action", "notice"] = "message",
        *,
        user_id: str | None = None,
        account: str | None = None,
        message_id: str | None = None,
        reply_to: str | None = None,
    ) -> MessageReceived:
        """A line someone said (or did, with ``/me``), recovered from the log."""
        if not nick:
            raise BadLine("a message without an author")
        return MessageReceived(
            platform=self.platform,
            network=self.network,
            timestamp=at,
            channel=self.channel,
            actor=self.identity(nick, user_id, account=account),
            text=text,
            kind=kind,
            message_id=message_id,
            reply_to=reply_to,
            backfill=True,
        )

    def joined(
        self,
        at: datetime,
        nick: str,
        userhost: str | None = None,
        user_id: str | None = None,
        account: str | None = None,
    ) -> MemberJoined:
        """Someone arrived in the channel."""
        actor = self.identity(nick, user_id, userhost, account)
        return MemberJoined(
            platform=self.platform,
            network=self.network,
            timestamp=at,
            channel=self.channel,
            actor=actor,
        )

    def left(
        self,
        at: datetime,
        nick: str,
        kind: Literal["part", "quit", "kick", "netsplit"],
        reason: str = "",
        by: str | None = None,
        user_id: str | None = None,
    ) -> MemberLeft:
        """Someone left the channel (a quit is recorded in this channel: the log's only one)."""
        return MemberLeft(
            platform=self.platform,
            network=self.network,
            timestamp=at,
            channel=self.channel,
            actor=self.identity(nick, user_id),
            kind=kind,
            reason=reason,
            by=None if by is None else self.identity(by),
        )

    def nick_changed(self, at: datetime, old: str, new: str) -> NickChanged:
        """Someone changed nick."""
        if not old or not new:
            raise BadLine("a nick change without both nicks")
        return NickChanged(
            platform=self.platform,
            network=self.network,
            timestamp=at,
            actor=self.identity(old),
            new_nick=new,
        )

    def topic(
        self, at: datetime, nick: str, topic: str, user_id: str | None = None
    ) -> TopicChanged:
        """Someone set the channel's topic."""
        return TopicChanged(
            platform=self.platform,
            network=self.network,
            timestamp=at,
            channel=self.channel,
            actor=self.identity(nick, user_id),
            topic=topic,
        )
