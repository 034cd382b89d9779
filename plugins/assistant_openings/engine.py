"""The openings engine: events in, detectors asked, openings scored, filtered, stored, sent.

One engine belongs to the ``openings`` plugin of one running assistant. It makes a line of
each analysed message (the analysis carries the message), keeps the
:class:`~assistant.openings.room.Room` and the relationship ledgers up to date, asks every
detector for candidates, scores them from explicit parts, holds back those in a
conversation the owner is already in, lets the :class:`~assistant_openings.policy.Policy`
decide, then stores each opening and hands it to the notifiers. It also follows what became
of each opening: taken when the owner speaks to that person or in that conversation soon
after, missed when the window passes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from assistant import (
    Clock,
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageAnalyzed,
    MessageReceived,
    NickChanged,
)
from assistant.config import OpeningsSettings, OwnerSettings, attributed_to_owner
from assistant.openings import (
    Candidate,
    Detector,
    DetectorContext,
    InterestMatcher,
    Line,
    Notable,
    NotableLookup,
    Notifier,
    Observation,
    Opening,
    Relationship,
    ScoreParts,
    irc_casefold,
)
from assistant_openings.conversation import own_business
from assistant_openings.ledger import STAGE_VALUE, Ledger, LedgerLine
from assistant_openings.notability import FollowedNicks
from assistant_openings.policy import Policy
from assistant_openings.room import Room, channel_key
from assistant_openings.store import OpeningsStore

__all__ = ["OpeningsEngine"]

log = logging.getLogger(__name__)

_A = TypeVar("_A")
# The ask is about the relationship, not one conversation: it is never held back.
_NEVER_HELD = frozenset(("ready",))
_BY_PERSON_ONLY = frozenset(("addressed_you",))
_ANSWER_LOOKBACK = 100  # lines searched back for the questions of someone a line names
REMEMBERED = 1000
"""Openings sent and held back that a running engine keeps in memory (the store keeps every
one sent): a week of chat must not grow the bot. Replays that report them all keep all."""


@dataclass(slots=True)
class _Sent:
    opening: Opening
    person_key: str
    until: datetime


class OpeningsEngine:
    """Turns events into openings for the owner."""

    def __init__(
        self,
        settings: OpeningsSettings,
        owner: OwnerSettings,
        *,
        clock: Clock,
        notability: NotableLookup,
        interests: InterestMatcher,
        store: OpeningsStore,
        notifiers: Sequence[Notifier] = (),
        detectors: Sequence[Callable[[DetectorContext], Detector]] = (),
    ) -> None:
        self.settings = settings
        self.owner = owner
        self.clock = clock
        self.notability = FollowedNicks(notability)
        self.store = store
        self.notifiers = list(notifiers)
        self.room = Room()
        self.policy = Policy(settings)
        self.ledgers: dict[str, Ledger] = {}
        self.sent: list[Opening] = []
        self.held: list[tuple[Opening, str]] = []
        self.remember: int | None = REMEMBERED if clock.live else None
        """How many of :attr:`sent` and :attr:`held` to keep (None: all; a replay reports all)."""
        self._open: list[_Sent] = []
        self._recent_by_person: dict[str, list[datetime]] = {}
        self.ctx = DetectorContext(
            settings, self.room, self.notability, interests, self.relationship
        )
        self.detectors: list[Detector] = []
        self.use_detectors(detectors)

    def use_detectors(self, detectors: Iterable[Callable[[DetectorContext], Detector]]) -> None:
        """Build each detector with the engine's context and ask it from now on."""
        self.detectors += [make(self.ctx) for make in detectors]

    # ------------------------------------------------------------------ reading

    async def load(self) -> None:
        """Read the stored ledgers back (at start-up)."""
        for person, exchanges in (await self.store.exchanges()).items():
            self.ledgers[person] = Ledger(person, exchanges)

    def relationship(self, person: str) -> Relationship:
        """The relationship with the notable member the owner calls ``person``."""
        ledger = self.ledgers.get(person) or Ledger(person)
        return ledger.relationship(self.settings.pacing)

    # ------------------------------------------------------------------ intake

    async def handle(self, event: Event) -> None:
        """Take one event in arrival order."""
        candidates: list[Candidate] = []
        if isinstance(event, MessageReceived):
            self._received(event)
        elif isinstance(event, MessageAnalyzed):
            obs = await self._analysed(event)
            if obs is not None:
                self.clock.observe(event.timestamp)
                await self._outcomes(obs.line)
                for detector in self.detectors:
                    candidates += self._safely(detector, detector.on_line, obs)
        elif isinstance(event, NickChanged):
            self._renamed(event)
        elif isinstance(event, MemberJoined | MemberLeft):
            self._presence(event)
            if isinstance(event, MemberJoined) and not event.already_present:
                for detector in self.detectors:
                    candidates += self._safely(detector, detector.on_event, event)
        await self._consider(candidates)
        if not self.clock.live and isinstance(event, MessageAnalyzed):
            await self.tick()

    async def tick(self) -> None:
        """Let time-based detectors look, and close openings whose window passed."""
        now = self.clock.now()
        candidates: list[Candidate] = []
        for detector in self.detectors:
            candidates += self._safely(detector, detector.on_tick, now)
        await self._consider(candidates)
        for sent in [s for s in self._open if s.until <= now]:
            self._open.remove(sent)
            await self._close(sent.opening, "missed", now)

    def _safely(
        self, detector: Detector, method: Callable[[_A], Iterable[Candidate]], arg: _A
    ) -> list[Candidate]:
        try:
            return list(method(arg))
        except Exception:
            log.exception("openings: detector %s failed", type(detector).__name__)
            return []

    def _is_owner(self, actor: Identity) -> bool:
        # Read-only attribution: the ledger, exchanges and outcomes need no verified
        # identity (commands do, and check it themselves).
        return attributed_to_owner(self.owner, actor.platform, actor.network, actor)

    def _received(self, event: MessageReceived) -> None:
        if event.channel is None or event.kind == "notice":
            return
        if self._is_owner(event.actor):
            self.room.owner_nicks[event.network] = event.actor.nick
            self.room.owner_here.add(channel_key(event.network, event.channel))

    def _renamed(self, event: NickChanged) -> None:
        if self._is_owner(event.actor):
            self.room.owner_nicks[event.network] = event.new_nick
        else:
            self.notability.renamed(event)

    def _presence(self, event: MemberJoined | MemberLeft) -> None:
        if isinstance(event, MemberLeft):
            self.notability.left(event)
        if event.channel is None:
            return
        if self._is_owner(event.actor):
            self.room.owner_nicks[event.network] = event.actor.nick
            key = channel_key(event.network, event.channel)
            if isinstance(event, MemberJoined):
                self.room.owner_here.add(key)
            else:
                self.room.owner_here.discard(key)

    async def _analysed(self, analysis: MessageAnalyzed) -> Observation | None:
        raw = analysis.message
        if raw.kind == "notice" or raw.backfill:
            return None
        by_owner = self._is_owner(raw.actor)
        notable = None if by_owner else self.notability.lookup(raw.actor)
        line = Line(
            analysis.message_id,
            raw.platform,
            raw.network,
            analysis.channel,
            raw.actor,
            raw.timestamp,
            raw.text,
            analysis,
            notable,
            by_owner,
        )
        self._mark_answers(line)
        self.room.add(line)
        self.policy.line_seen(line.network, line.channel, line.at)
        if by_owner:
            self.room.owner_in_thread[(line.network, irc_casefold(line.channel), line.thread)] = (
                line.at
            )
            self.room.owner_topics.update(t.casefold() for t in analysis.topics)
        stages = await self._exchanges(line)
        return Observation(line, tuple(stages))

    def _mark_answers(self, line: Line) -> None:
        """Credit the lines this one answers: those it replies to, and those of people it names."""
        me = line.actor.key
        window = self.settings.conversation_window
        for key in line.analysis.reply_to:
            earlier = self.room.by_key.get(key)
            if earlier is None or earlier.actor.key == me:
                continue
            if not own_business(self.room, line, earlier, window):
                earlier.answered_by.add(me)
        named = {irc_casefold(n) for n in line.analysis.addressees}
        if not named:
            return
        recent = self.room.recent(line.network, line.channel)
        for earlier in itertools.islice(reversed(recent), _ANSWER_LOOKBACK):
            if (line.at - earlier.at).total_seconds() > window:
                break
            if (
                irc_casefold(earlier.nick) in named
                and earlier.actor.key != me
                and not own_business(self.room, line, earlier, window)
            ):
                earlier.answered_by.add(me)

    # ------------------------------------------------------------------ pacing

    def _targets(self, line: Line) -> list[tuple[Notable | None, bool, Line | None]]:
        """Whom the line is directed at: (notable or None for the owner, is_reply, replied line)."""
        found: list[tuple[Notable | None, bool, Line | None]] = []
        replied = [self.room.by_key[k] for k in line.analysis.reply_to if k in self.room.by_key]
        for earlier in replied:
            found.append(
                (earlier.notable, True, earlier) if not earlier.by_owner else (None, True, earlier)
            )
        for nick in line.analysis.addressees:
            if self.room.is_owner_nick(line.network, nick):
                found.append((None, False, None))
            else:
                who = self.notability.lookup(
                    Identity(platform=line.platform, network=line.network, nick=nick)
                )
                if who is not None:
                    found.append((who, False, None))
        return found

    async def _exchanges(self, line: Line) -> list[tuple[Notable, Relationship, Relationship]]:
        changes: list[tuple[Notable, Relationship, Relationship]] = []
        window = timedelta(seconds=self.settings.conversation_window)
        if line.by_owner:
            people: dict[str, tuple[Notable, bool]] = {}
            for who, is_reply, _ in self._targets(line):
                if who is not None:
                    people[who.name] = (who, people.get(who.name, (who, False))[1] or is_reply)
            pairs = [(who, False, is_reply) for who, is_reply in people.values()]
        elif line.notable is not None:
            directed = [
                is_reply
                for who, is_reply, earlier in self._targets(line)
                if who is None and (earlier is None or earlier.by_owner)
            ]
            pairs = [(line.notable, True, any(directed))] if directed else []
        else:
            pairs = []
        for who, to_owner, replying in pairs:
            ledger = self.ledgers.setdefault(who.name, Ledger(who.name))
            before = ledger.relationship(self.settings.pacing)
            last = ledger.last_at()
            other_spoke = any(
                e.to_owner != to_owner and line.at - e.at <= window for e in ledger.exchanges[-5:]
            )
            exchange = LedgerLine(
                line.at,
                to_owner,
                replying or other_spoke,
                last is None or line.at - last > window,
                line.channel,
            )
            ledger.add(exchange)
            changes.append((who, before, ledger.relationship(self.settings.pacing)))
            identity = line.actor if to_owner else None
            person_id = await self._person_id(line, who, identity)
            if person_id is not None:
                await self.store.add_exchange(who.name, person_id, exchange)
        return changes

    async def _person_id(self, line: Line, who: Notable, identity: Identity | None) -> int | None:
        if identity is not None:
            return await self.store.person_id(line.network, identity.key)
        for earlier in reversed(self.room.recent(line.network, line.channel)):
            if earlier.notable is not None and earlier.notable.name == who.name:
                return await self.store.person_id(line.network, earlier.actor.key)
        return None

    # ------------------------------------------------------------------ deciding

    def _owner_talking_with(self, person: str, now: datetime) -> bool:
        """Whether the owner spoke to ``person`` within the conversation window."""
        ledger = self.ledgers.get(person)
        if ledger is None:
            return False
        window = timedelta(seconds=self.settings.conversation_window)
        return any(not e.to_owner and now - e.at <= window for e in ledger.exchanges[-3:])

    def _novelty(self, person: str, now: datetime) -> float:
        day_ago = now - timedelta(days=1)
        recent = [t for t in self._recent_by_person.get(person, []) if t > day_ago]
        self._recent_by_person[person] = recent
        return round(1 / (1 + len(recent)), 3)

    async def _consider(self, candidates: list[Candidate]) -> None:
        if not candidates:
            return
        now = self.clock.now()
        for c in sorted(candidates, key=lambda c: -c.relevance):
            stage = self.relationship(c.person.name)
            if c.kind != "ready" and "ask" in c.angle.lower().split():
                log.error("openings: %s suggested an ask before ready; dropped", c.kind)
                continue
            parts = ScoreParts(
                notability=c.person.score,
                relevance=c.relevance,
                timeliness=ScoreParts.timeliness_of(c.at, now),
                novelty=self._novelty(c.person.name, now),
                stage=STAGE_VALUE.get(stage.stage, 0.6),
            )
            opening = Opening(c, parts, now)
            line = self.room.by_key.get(c.message_id or "")
            # Named directly, the owner is held back only while talking with that person:
            # in a busy channel the owner may be in several conversations at once.
            in_thread = (
                c.kind not in _BY_PERSON_ONLY
                and line is not None
                and self.room.owner_in_conversation(line, now, self.settings.conversation_window)
            )
            if c.kind not in _NEVER_HELD and (
                in_thread or self._owner_talking_with(c.person.name, now)
            ):
                self._hold(opening, "you are already in that conversation")
                continue
            if c.follow_only and not self.settings.follow_notes:
                self._hold(opening, "follow this thread: a one-to-one exchange")
                continue
            told = self._told_about_thread(c, now)
            if told is not None:
                self._hold(opening, f"already told you about this conversation ({told})")
                continue
            refused = self.policy.refuse(opening, now)
            if refused is not None:
                self._hold(opening, refused)
                log.debug("openings: held back %s about %s: %s", c.kind, c.person.name, refused)
                continue
            await self._send(opening)

    def _hold(self, opening: Opening, why: str) -> None:
        self.held.append((opening, why))
        self._forget(self.held)

    def _forget(self, kept: list[Any]) -> None:
        """Drop the oldest of ``kept`` past twice :attr:`remember`, down to it (amortised)."""
        if self.remember is not None and len(kept) > 2 * self.remember:
            del kept[: len(kept) - self.remember]

    def _told_about_thread(self, c: Candidate, now: datetime) -> str | None:
        """The kind of an opening sent about ``c``'s conversation within the cooldown, if any.

        One opening per conversation moment: a question, an interest and a request in one
        thread are one place to join, told once.
        """
        if not c.thread or c.kind in _BY_PERSON_ONLY | _NEVER_HELD:
            return None
        cooldown = timedelta(seconds=self.settings.cooldown)
        for sent in reversed(self.sent):
            if now - sent.found_at >= cooldown:
                break
            s = sent.candidate
            if s.thread == c.thread and s.channel == c.channel and s.network == c.network:
                return s.kind
        return None

    async def _send(self, opening: Opening) -> None:
        c = opening.candidate
        self._recent_by_person.setdefault(c.person.name, []).append(opening.found_at)
        person_id = await self._person_id_for(c)
        if person_id is not None:
            opening.id = await self.store.add_opening(opening, person_id)
        self.sent.append(opening)
        self._forget(self.sent)
        self._open.append(
            _Sent(
                opening,
                irc_casefold(c.nick),
                opening.found_at + timedelta(seconds=self.settings.taken_window),
            )
        )
        for notifier in self.notifiers:
            try:
                await notifier.notify(opening)
            except Exception as exc:
                log.warning("openings: notifier %s failed: %s", notifier.name, exc)

    async def _person_id_for(self, c: Candidate) -> int | None:
        line = self.room.by_key.get(c.message_id or "")
        if line is not None and line.notable is not None and line.notable.name == c.person.name:
            return await self.store.person_id(line.network, line.actor.key)
        if line is not None:
            return await self._person_id(line, c.person, None)
        return await self.store.person_id(c.network, irc_casefold(c.nick))

    # ------------------------------------------------------------------ outcomes

    async def _outcomes(self, line: Line) -> None:
        """An owner line to the person, or in the opening's conversation, takes the opening."""
        if not line.by_owner:
            return
        named = {irc_casefold(n) for n in line.analysis.addressees}
        replied = {
            irc_casefold(self.room.by_key[k].nick)
            for k in line.analysis.reply_to
            if k in self.room.by_key
        }
        for sent in list(self._open):
            c = sent.opening.candidate
            same_thread = bool(c.thread) and c.thread == line.thread
            if sent.person_key in named | replied or (same_thread and c.channel == line.channel):
                self._open.remove(sent)
                await self._close(sent.opening, "taken", line.at)

    async def _close(self, opening: Opening, outcome: str, at: datetime) -> None:
        opening.outcome = outcome
        if opening.id is not None:
            await self.store.set_outcome(opening.id, outcome, at)

    async def dismiss(self, opening_id: int) -> bool:
        """The owner dismissed an opening; False when no pending opening has that id."""
        for sent in list(self._open):
            if sent.opening.id == opening_id:
                self._open.remove(sent)
                sent.opening.outcome = "dismissed"
        return await self.store.set_outcome(opening_id, "dismissed", self.clock.now())
