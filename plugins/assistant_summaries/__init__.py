"""Summaries after each chat, and a brief before each scheduled one.

The built-in plugin behind ``[summaries]``: on ``SessionEnded`` it composes the session's
summary (asking every plugin for extra sections through ``assistant_summary_sections``),
writes the configured files and sends the digest where configured; if a plugin fell behind
during the session and skipped events, the summary says so. The work runs in a
task of its own, so the plugin's next events are not held up; at shutdown the summaries
still being written are awaited (bounded by the stop timeout) before the database closes.
It is given only ``SessionEnded`` events, so a flood of messages never queues up for it.
``brief_before`` minutes before each scheduled chat it delivers the pre-chat brief the
same way, on a live clock (a replay's chats are past: no briefs). ``!missed``, from the
verified owner, answers privately with what was said in their channels while they were
away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from datetime import datetime
from typing import Any

from assistant import CommandContext, Plugin, PluginContext, SessionEnded, command, hookimpl
from assistant.summaries import (
    CatchupError,
    DueBrief,
    SessionNotFound,
    compose_brief,
    compose_missed,
    compose_summary,
    deliver_brief,
    deliver_summary,
    upcoming_briefs,
    with_gaps,
)

__all__ = ["SummariesPlugin"]

_KEEP_DELIVERED = 100  # deliveries remembered: a bot that runs for months writes thousands


class SummariesPlugin(Plugin):
    """Write and deliver a summary whenever a chat session ends."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self._tasks: set[asyncio.Task[None]] = set()
        # A replay keeps every delivery: it reports them all (assistant_replay_finished).
        self.delivered: deque[list[str]] = deque(maxlen=_KEEP_DELIVERED if ctx.clock.live else None)
        """What each of the last deliveries did (a line per file, message or webhook), newest
        last."""
        self._briefs: asyncio.Task[None] | None = None

    @hookimpl
    def assistant_event(self, event: SessionEnded) -> None:
        """Start summarising a session that just ended."""
        task = asyncio.create_task(self._summarise(event), name=f"summary:{event.session_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _summarise(self, event: SessionEnded) -> None:
        try:
            summary = await compose_summary(
                self.ctx.db, event.session_id, self.ctx.settings, call=self.ctx.call_hook
            )
        except SessionNotFound as exc:
            self.ctx.log.error("summaries: session %d: %s", event.session_id, exc)
            return
        except Exception:
            self.ctx.log.exception("summaries: composing session %d failed", event.session_id)
            return
        summary = with_gaps(summary, self.ctx.deliveries)
        done = await deliver_summary(summary, self.ctx.settings, db=self.ctx.db, send=self.ctx.send)
        self.delivered.append(done)
        self.ctx.log.info(
            "summary of %s (session %d): %s",
            summary.session.title,
            event.session_id,
            "; ".join(done) or "nothing configured to deliver",
        )

    async def wait_idle(self) -> None:
        """Wait until every summary started so far is delivered (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @hookimpl
    async def assistant_replay_finished(self) -> dict[str, list[dict[str, Any]]]:
        """What the summaries of a replayed log did: ``{"summaries": [{"delivered": [...]}]}``.

        Each item is one delivery, a line per file written, message or webhook sent
        ("wrote /path/summary.md"), in the order they were done; the summaries still being
        written are awaited first.
        """
        await self.wait_idle()
        return {"summaries": [{"delivered": list(done)} for done in self.delivered]}

    @hookimpl
    def assistant_startup(self) -> None:
        """Start delivering pre-chat briefs before the scheduled chats, when the clock is live.

        A brief is notice ahead of a chat, worth something only while the chat is to come.
        The run's clock says whether its time is the present (``Clock.live``); a replay's is
        a log's past, where every chat is already over, so a replay delivers no briefs: it
        gives what the log's chats were (sessions, openings, summaries), as a live run
        does, and ``presence brief`` composes a brief on demand. The rule is a property of
        the clock, not a check for a replay.
        """
        clock = self.ctx.clock
        if clock.live and upcoming_briefs(self.ctx.settings, clock.now()):
            self._briefs = asyncio.create_task(self._brief_loop(), name="summaries:briefs")

    async def _brief_loop(self) -> None:
        sent: set[tuple[str, str, datetime]] = set()
        clock = self.ctx.clock
        never = asyncio.Event()  # nothing cuts a wait short: only the time
        while True:
            now = clock.now()
            pending = [
                due
                for due in upcoming_briefs(self.ctx.settings, now)
                if (due.network, due.channel, due.starts_at) not in sent
            ]
            ready = [due for due in pending if due.at <= now]
            for due in ready:
                sent.add((due.network, due.channel, due.starts_at))
                await self.deliver_brief(due)
            if not ready:
                # The system clock wakes at least every minute, so a changed clock (suspend,
                # DST) is noticed.
                await clock.sleep_until(min((due.at for due in pending), default=None), never)

    async def deliver_brief(self, due: DueBrief) -> list[str]:
        """Compose and deliver the brief for one upcoming chat; errors are logged."""
        try:
            brief = await compose_brief(
                self.ctx.db,
                self.ctx.settings,
                network=due.network,
                channel=due.channel,
                starts_at=due.starts_at,
                name=due.name,
                series=due.name,
                timezone=due.timezone,
            )
            done = await deliver_brief(brief, self.ctx.settings, db=self.ctx.db, send=self.ctx.send)
        except Exception:
            self.ctx.log.exception("summaries: the brief for %s failed", due.name)
            return []
        self.ctx.log.info("brief for %s: %s", due.name, "; ".join(done) or "nothing to do")
        return done

    @hookimpl
    async def assistant_shutdown(self) -> None:
        """Finish the summaries being written, so the database is still open for them."""
        if self._briefs is not None:
            self._briefs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._briefs
        await self.wait_idle()

    @command("missed", example="!missed #bloggers 2h", owner_only=True)
    async def missed(self, cmd: CommandContext) -> None:
        """Tell the owner privately what was said while they were away: discussions, questions.

        Without arguments: every channel they were in, since their last line or departure
        there. ``!missed #chan`` keeps one channel; a span (``2h``, ``90m``, ``19:30``)
        replaces where it starts.
        """
        words = cmd.args.split()
        channel = next((w for w in words if w[:1] in "#&"), None)
        rest = [w for w in words if w is not channel]
        if len(rest) > 1:
            await cmd.reply_privately(
                f"Say {cmd.prefix}missed, {cmd.prefix}missed #channel or {cmd.prefix}missed "
                "#channel 2h.",
            )
            return
        actor = cmd.event.actor
        try:
            lines = await compose_missed(
                self.ctx.db,
                self.ctx.settings,
                network=cmd.event.network,
                account=actor.account,
                user_id=actor.user_id,
                now=cmd.event.timestamp,
                channel=channel,
                since=rest[0] if rest else None,
            )
        except CatchupError as exc:
            lines = [f"Sorry: {exc}."]
        for line in lines:
            await cmd.reply_privately(line)
