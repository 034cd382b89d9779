"""One clock for a whole replay: the log's own time, shared by sessions and openings.

The session tracker (:class:`assistant.sessions.clock.Clock`: ``now`` and ``sleep_until``)
and the openings engine (:class:`assistant.openings.clock.Clock`: ``live``, ``now`` and
``observe``) each ask a clock what time it is. In a replay both get the same
:class:`LogClock`, which the replay moves forward to each event's time just before the
event is played, so a schedule, a quiet ad-hoc chat and an opening's wait all fall due at
the log's time, with no wall-clock waiting.
"""

from __future__ import annotations

from datetime import datetime

from assistant.sessions.clock import ManualClock

__all__ = ["LogClock"]


class LogClock(ManualClock):
    """The time of the latest event played; never goes backwards, never moves on its own."""

    live = False
    """Time does not pass by itself: the openings engine judges its waits as lines arrive."""

    def move_to(self, when: datetime) -> bool:
        """Move forward to ``when`` (an earlier time is ignored); True when the clock moved."""
        if when <= self.now():
            return False
        self.set(when)
        return True

    def observe(self, at: datetime) -> None:
        """An analysed line at ``at``: the clock is already there (or later)."""
        self.move_to(at)
