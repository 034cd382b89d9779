"""Whether a scored opening reaches the owner: score floor, dedupe, cooldown, caps, quiet hours.

The caps are ``hourly_cap`` openings an hour, and in a busy channel (more than
``lines_per_opening`` lines in the last hour) at least ``lines_per_opening`` lines of chat
between one opening about it and the next: one per that many lines, spread out rather than
two in a row after a long stretch of none.

Holding back while the owner is already in the conversation is decided by the engine (it
knows the conversations); everything here depends only on time and the openings sent.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.config import OpeningsSettings
from assistant.openings import Opening

__all__ = ["Policy", "parse_quiet_hours"]

# Kinds outside the per-person cooldown: being spoken to wants an answer whatever was
# suggested before, and the ask comes once; neither is the owner being pointed at someone
# again, so neither holds back the next opening about them.
_NO_COOLDOWN = frozenset(("addressed_you", "ready"))


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """Parse ``"HH:MM-HH:MM"`` (may cross midnight); ``""`` means none."""
    if not text:
        return None
    start, _, end = text.partition("-")
    try:
        h1, m1 = (int(x) for x in start.split(":"))
        h2, m2 = (int(x) for x in end.split(":"))
        return time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM ({exc})") from None


class Policy:
    """Decides, and remembers what it let through."""

    def __init__(self, settings: OpeningsSettings) -> None:
        self.settings = settings
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self.zone = ZoneInfo(settings.timezone)
        self._seen: set[tuple[str, str, str]] = set()
        """Openings sent, by message (or thread): never sent twice."""
        self._said: dict[tuple[str, str, str], datetime] = {}
        """When each person's words were last sent: the same words again after
        ``repeat_after`` (asked again, still unanswered) are a new opening."""
        self._last_by_person: dict[str, datetime] = {}
        self._sent: deque[datetime] = deque()
        self._lines: dict[tuple[str, str], deque[datetime]] = {}
        """Per channel: when its lines of the last hour were said."""
        self._since_sent: dict[tuple[str, str], int] = {}
        """Per channel: lines said since the last opening about it (absent: none yet)."""

    def line_seen(self, network: str, channel: str, at: datetime) -> None:
        """Count a channel line said at ``at`` towards the channel's volume."""
        if self.settings.lines_per_opening > 0:
            key = (network, channel.casefold())
            lines = self._lines.setdefault(key, deque())
            lines.append(at)
            _forget_before(lines, at - timedelta(hours=1))
            if key in self._since_sent:
                self._since_sent[key] += 1

    def _too_busy(self, network: str, channel: str, now: datetime) -> bool:
        """Whether fewer than ``lines_per_opening`` lines passed since the last opening here.

        Only a busy channel (more lines in the hour than ``lines_per_opening``) is limited:
        a weekly chat of a hundred lines keeps every opening the other rules let through.
        """
        per = self.settings.lines_per_opening
        key = (network, channel.casefold())
        lines = self._lines.get(key, deque())
        _forget_before(lines, now - timedelta(hours=1))
        since = self._since_sent.get(key)
        return len(lines) > per and since is not None and since < per

    def in_quiet_hours(self, now: datetime) -> bool:
        """Whether ``now`` falls in the owner's quiet hours (in their time zone)."""
        if self.quiet is None:
            return False
        local = now.astimezone(self.zone).time()
        start, end = self.quiet
        if start <= end:
            return start <= local < end
        return local >= start or local < end

    def refuse(self, opening: Opening, now: datetime) -> str | None:
        """Return why ``opening`` must not be sent, or None to send it (and count it sent)."""
        c = opening.candidate
        if opening.score < self.settings.min_score:
            return f"score {opening.score:.2f} below {self.settings.min_score:.2f}"
        key = (c.kind, c.person.name, c.message_id or c.thread or c.at.isoformat())
        said = (c.kind, c.person.name, " ".join(c.text.casefold().split())) if c.text else key
        said_at = self._said.get(said)
        repeat_after = timedelta(seconds=self.settings.repeat_after)
        if key in self._seen or (said_at is not None and now - said_at < repeat_after):
            return "duplicate"
        if self.in_quiet_hours(now):
            return "quiet hours"
        last = self._last_by_person.get(c.person.name)
        cooldown = timedelta(seconds=self.settings.cooldown)
        if c.kind not in _NO_COOLDOWN and last is not None and now - last < cooldown:
            return f"cooldown for {c.person.name}"
        hour_ago = now - timedelta(hours=1)
        while self._sent and self._sent[0] <= hour_ago:
            self._sent.popleft()
        if len(self._sent) >= self.settings.hourly_cap:
            return f"hourly cap of {self.settings.hourly_cap} reached"
        per = self.settings.lines_per_opening
        limited = per > 0 and c.kind not in _NO_COOLDOWN
        if limited and self._too_busy(c.network, c.channel, now):
            return f"busy channel: at most one opening per {per} lines"
        if limited:
            self._since_sent[(c.network, c.channel.casefold())] = 0
        self._seen.add(key)
        self._said[said] = now
        if c.kind not in _NO_COOLDOWN:
            self._last_by_person[c.person.name] = now
        self._sent.append(now)
        return None


def _forget_before(times: deque[datetime], since: datetime) -> None:
    while times and times[0] <= since:
        times.popleft()
