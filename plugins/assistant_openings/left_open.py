"""A question put to a notable member that stays open: the notable could not answer it, or is away.

Helping a notable member's people is adding value first. Two moments:

- the notable says they do not know ("not sure", "no experience with it", "someone else
  might help") in an exchange with a member, and nobody else takes the member up within
  ``unanswered_wait``;
- a member asks the notable by name and nobody answers within ``away_wait`` while the
  notable says nothing in the channel (they are away).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant import Identity
from assistant.openings import (
    Candidate,
    Detector,
    Line,
    Notable,
    Observation,
    ago,
    irc_casefold,
    quote,
)
from assistant_openings.conversation import at_pace, content_words, is_bot_command, resolves, stance

__all__ = ["LeftOpen"]

_LOOKBACK = 60  # lines searched back for the member's question


@dataclass(slots=True)
class _Open:
    line: Line
    """The line that makes the moment: the notable's "not sure", or the member's question."""
    member: str
    """Case-folded nick of the member whose question is open."""
    question: Line | None
    notable: Notable
    wait: timedelta


class LeftOpen(Detector):
    """Questions to a notable member that the notable left open and nobody else took up."""

    kind = "unanswered_question"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waiting: list[_Open] = []

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Note a notable member giving up, or a member's question to a notable member."""
        line = obs.line
        if is_bot_command(line.text) or line.by_owner:
            return ()
        wait = timedelta(seconds=self.ctx.settings.unanswered_wait)
        if line.notable is not None and "gives_up" in line.analysis.acts:
            where = stance(self.ctx.room, line, self.ctx.settings.conversation_window)
            if any(self.ctx.room.is_owner_nick(line.network, p) for p in where.partners):
                return ()
            if where.role == "answering" and where.partners:
                question = self._question_of(line, where.partners[0])
            else:
                question = self._open_question_near(line)
            if question is not None and question.analysis.is_question:
                member = irc_casefold(question.nick)
                self.waiting.append(_Open(line, member, question, line.notable, wait))
            return ()
        acts = set(line.analysis.acts)
        thanking = acts & {"thanks", "short_question", "aside"}  # "many thanks! what else?"
        if line.notable is None and line.analysis.is_question and not thanking:
            for nick in line.analysis.addressees:
                who = self.ctx.notability.lookup(
                    Identity(platform=line.platform, network=line.network, nick=nick)
                )
                if who is not None:
                    member = irc_casefold(line.nick)
                    away = timedelta(seconds=self.ctx.settings.away_wait)
                    self.waiting.append(_Open(line, member, line, who, away))
                    break
        return ()

    def _question_of(self, line: Line, member: str) -> Line | None:
        """The member's latest question before ``line`` (else their latest line)."""
        latest: Line | None = None
        for earlier in itertools.islice(
            reversed(self.ctx.room.recent(line.network, line.channel)), _LOOKBACK
        ):
            if earlier is line or irc_casefold(earlier.nick) != member:
                continue
            if earlier.analysis.is_question:
                return earlier
            latest = latest or earlier
        return latest

    def _open_question_near(self, line: Line) -> Line | None:
        """The latest member's question in ``line``'s conversation within the conversation window.

        In its conversation: in its thread, or about the same thing (a content word in
        common), for the reply linker often leaves an undirected "I don't remember" on its
        own. In a slow channel the window is three of its usual gaps between lines, if longer.
        """
        said = content_words(line.text)
        window = at_pace(self.ctx.room, line, self.ctx.settings.conversation_window)
        since = line.at - timedelta(seconds=window)
        for earlier in itertools.islice(
            reversed(self.ctx.room.recent(line.network, line.channel)), _LOOKBACK
        ):
            if earlier.at < since:
                break
            if (
                earlier is not line
                and earlier.notable is None
                and not earlier.by_owner
                and earlier.analysis.is_question
                and (earlier.thread == line.thread or said & content_words(earlier.text))
            ):
                return earlier
        return None

    def _taken_up(self, item: _Open) -> bool:
        """Whether someone (other than a notable who gave up) answered the member since."""
        gave_up = item.line.notable is not None
        me = irc_casefold(item.notable.name)
        for later in reversed(self.ctx.room.recent(item.line.network, item.line.channel)):
            if later is item.line:
                break
            author = irc_casefold(later.nick)
            if author == item.member and resolves(later.text):
                return True  # "nvm, figured it out"
            if author == item.member or later.by_owner:
                continue
            if later.notable is not None and irc_casefold(later.notable.name) == me:
                if gave_up:
                    continue
                return True  # back, and talking: the question is theirs again
            directed = {irc_casefold(n) for n in later.analysis.addressees}
            replied = {
                irc_casefold(self.ctx.room.by_key[k].nick)
                for k in later.analysis.reply_to
                if k in self.ctx.room.by_key
            }
            if item.member and item.member in directed | replied:
                return True
            if not item.member and irc_casefold(item.line.nick) in directed | replied:
                return True
        return False

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """Propose the questions still open when their wait ran out."""
        due = [o for o in self.waiting if now - o.line.at >= o.wait]
        self.waiting = [o for o in self.waiting if now - o.line.at < o.wait]
        for item in due:
            if self._taken_up(item):
                continue
            line, q = item.line, item.question
            asked = f" {quote(q.text)}" if q is not None and q is not line else ""
            if line.notable is not None:
                who = f"{q.nick}'s question{asked}" if q is not None else "the question"
                yield self.about(
                    line,
                    reason=f"{line.nick} could not answer {who} {ago(line.at, now)}; nobody "
                    "else has",
                    angle=f"{line.nick} said {quote(line.text)} about {who}, and nobody else "
                    "answered: if you know, help — helping their people is adding value first",
                    relevance=0.85,
                )
            else:
                yield self.about(
                    line,
                    reason=f"{line.nick} asked {item.notable.name} {ago(line.at, now)}; no "
                    "answer from anyone yet",
                    angle=f"{line.nick} asked {item.notable.name} {quote(line.text)} "
                    f"{ago(line.at, now)} and nobody has answered; if you can, help them — "
                    f"{item.notable.name}'s people matter to {item.notable.name}",
                    relevance=0.7,
                    person=item.notable,
                )
