"""Where a notable member is in the talk: answering one person, asking the room, or in a group.

An opening is a moment in a conversation, not a line. The same words mean different things
for the owner depending on who the notable is talking to: an interest raised while the
notable answers one member's question is their one-to-one exchange (a third voice
interrupts), while the same interest in an open discussion of several people is a place to
join. This module reads the :class:`~assistant.openings.room.Room` (reply links, addressed
nicks, thread ids from the analyzer) and says which of those a line is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from assistant.openings import Line, RoomView, irc_casefold, words

__all__ = [
    "DYAD_WINDOW",
    "Stance",
    "about_themselves",
    "answered",
    "at_pace",
    "content_words",
    "is_bot_command",
    "own_business",
    "partners_of",
    "resolves",
    "stance",
]

Role = Literal["answering", "discussion", "asking_room", "announcing"]

DYAD_WINDOW = 180.0
"""Seconds after an exchange with one person during which the notable's next undirected
lines still belong to it (a clarifying question needs no nick in a quiet channel)."""

_LOOKBACK = 120  # lines searched back
_KEEP_SCAN = 600  # lines searched for a line to read what came before it


@dataclass(frozen=True, slots=True)
class Stance:
    """A line's place in the talk."""

    role: Role
    partners: tuple[str, ...] = ()
    """Case-folded nicks of the others the author is talking with (newest first)."""
    people: int = 1
    """How many people take part in the line's conversation, the author included."""

    def describe(self) -> str:
        """A few words for a reason: "answering one member", "in a discussion of 4"."""
        if self.role == "answering":
            return "answering one member"
        if self.role == "discussion":
            return f"in an open discussion of {self.people}"
        if self.role == "asking_room":
            return "asking the room"
        return "talking to the room"


def _before(room: RoomView, line: Line) -> Iterator[Line]:
    """The channel's remembered lines said before ``line``, newest first.

    Detectors also read a line again later (an unanswered question when its wait ends), when
    newer lines are remembered after it: those are no part of what came before it.
    """
    lines = room.recent(line.network, line.channel)
    newest = reversed(lines)
    if any(e is line for e in itertools.islice(reversed(lines), _KEEP_SCAN)):
        for e in newest:
            if e is line:
                break
        return newest
    return (e for e in newest if e.at <= line.at)


def _targets(room: RoomView, line: Line) -> list[str]:
    """Whom a line is directed at: the nicks it names and the authors of lines it replies to."""
    me = irc_casefold(line.nick)
    found: list[str] = []
    for nick in line.analysis.addressees:
        if irc_casefold(nick) != me and not room.is_owner_nick(line.network, nick):
            found.append(irc_casefold(nick))
    for key in line.analysis.reply_to:
        earlier = room.by_key.get(key)
        if earlier is not None and irc_casefold(earlier.nick) != me:
            found.append(irc_casefold(earlier.nick))
    return found


def partners_of(room: RoomView, line: Line, window: float) -> list[str]:
    """The people ``line``'s author exchanged lines with in the last ``window`` seconds.

    An exchange is a line of the author directed at someone (named or replied to), or
    someone's line directed at the author. Newest first, each person once.
    """
    me = irc_casefold(line.nick)
    since = line.at - timedelta(seconds=window)
    found: list[str] = []
    for earlier in itertools.islice(_before(room, line), _LOOKBACK):
        if earlier.at < since:
            break
        if earlier.key == line.key:
            continue
        author = irc_casefold(earlier.nick)
        if author == me:
            people = _targets(room, earlier)
        elif me in _targets(room, earlier):
            people = [author]
        else:
            people = []
        for person in people:
            if person != me and person not in found:
                found.append(person)
    return found


def _speakers(room: RoomView, line: Line, window: float) -> set[str]:
    """Who (case-folded) spoke in the line's channel within ``window`` before it."""
    since = line.at - timedelta(seconds=window)
    found: set[str] = set()
    for earlier in itertools.islice(_before(room, line), _LOOKBACK):
        if earlier.at < since:
            break
        found.add(irc_casefold(earlier.nick))
    return found


def _thread_people(room: RoomView, line: Line, window: float) -> set[str]:
    """Who spoke in the line's thread (by the analyzer's thread id) within ``window``."""
    people = {irc_casefold(line.nick)}
    if not line.thread:
        return people
    since = line.at - timedelta(seconds=window)
    for earlier in itertools.islice(_before(room, line), _LOOKBACK):
        if earlier.at < since:
            break
        if earlier.thread == line.thread and not earlier.by_owner:
            people.add(irc_casefold(earlier.nick))
    return people


_FIRST_PERSON = frozenset(("i", "i'm", "im", "i've", "my", "me", "we", "our", "us"))
_PACE_LINES = 10  # lines whose mean gap is the channel's usual gap
_PACE_GAPS = 3  # usual gaps: the least time an answer takes at the channel's pace
_SHORT_QUESTION = 8  # words: "changing branch fixed it?" follows up what a member just said


def about_themselves(line: Line) -> bool:
    """Whether a line speaks of its author's own things ("my headset", "I am having ...")."""
    return bool(_FIRST_PERSON & set(line.text.casefold().split()))


def _asker_before(room: RoomView, line: Line, window: float) -> str | None:
    """The member whose question an undirected question of the author follows up, if any.

    A helper's "which version?" or "what is this?" just after a member asked for help is
    a clarification put to that member, named or not; so is a short question ("changing
    branch fixed it?") just after a member said anything. A question about the author's
    own things ("how do I ...", "my panel ...") is their own.
    """
    if not line.analysis.is_question or about_themselves(line):
        return None
    short = len(line.text.split()) <= _SHORT_QUESTION
    me = irc_casefold(line.nick)
    since = line.at - timedelta(seconds=window if short else DYAD_WINDOW)
    for earlier in itertools.islice(_before(room, line), 20):
        if earlier.at < since:
            break
        if earlier is line or irc_casefold(earlier.nick) == me or earlier.by_owner:
            continue
        asks = earlier.analysis.is_question or "request_for_help" in earlier.analysis.acts
        if (asks or short) and earlier.notable is None:
            return irc_casefold(earlier.nick)
        return None  # the latest other voice asked nothing
    return None


def at_pace(room: RoomView, line: Line, seconds: float) -> float:
    """``seconds``, or three of the channel's usual gaps between lines before ``line`` if longer.

    Time runs at the channel's pace: five minutes for an answer is quick in a support forum
    that hears a line every ten minutes, and slow in a busy IRC channel. The usual gap is the
    mean over the last ten lines (chat logs often keep only the minute, so no median of gaps).
    """
    before = [e.at for e in itertools.islice(_before(room, line), _PACE_LINES)]
    if len(before) < 3:
        return seconds
    gap = (line.at - before[-1]).total_seconds() / len(before)
    return max(seconds, _PACE_GAPS * gap)


def stance(room: RoomView, line: Line, window: float) -> Stance:
    """Where ``line`` stands: answering one person, in a discussion, asking or telling the room.

    ``window`` is the conversation window (seconds). A line directed at several people who
    are talking ("alice, bob: ...") is in an open discussion; a line directed at someone
    (named, or replied to; a third person merely mentioned does not count) is one-to-one,
    even in a busy thread: on IRC a helper names whom they answer. An undirected line whose
    thread had three or more speakers in the window is in an open discussion. An undirected
    line within :data:`DYAD_WINDOW` of an exchange with someone, in a thread of the author
    and one other, or following up a member's question, is one-to-one: a helper with several
    members at once is in several exchanges, not one discussion.
    """
    targets = list(dict.fromkeys(_targets(room, line)))
    partners = partners_of(room, line, window)
    recent = partners_of(room, line, min(window, DYAD_WINDOW))
    people = _thread_people(room, line, window)
    speaking = _speakers(room, line, window)
    if len(targets) >= 2 and len(speaking & set(targets)) >= 2:  # "alice, bob: ..."
        return Stance("discussion", tuple(targets), 1 + len(targets))
    if targets:  # named or replied to: their exchange, however busy the thread
        return Stance("answering", tuple(targets), 1 + len(targets))
    if len(people) >= 3:
        return Stance("discussion", tuple(partners), len(people))
    if recent:
        return Stance("answering", tuple(recent), 1 + len(recent))
    lately = _thread_people(room, line, min(window, DYAD_WINDOW)) - {irc_casefold(line.nick)}
    if len(lately) == 1:  # the thread is the author and one other: their exchange
        return Stance("answering", tuple(lately), 2)
    asker = _asker_before(room, line, window)
    if asker is not None:  # "which coin?" right after a member asked for help
        return Stance("answering", (asker,), 2)
    if line.analysis.is_question:
        return Stance("asking_room")
    return Stance("announcing")


def is_bot_command(text: str) -> bool:
    """Whether a line is a command to a channel bot ("!grub | nick", ".seen x")."""
    stripped = text.lstrip()
    return len(stripped) > 1 and stripped[0] in "!." and stripped[1].isalpha()


_RESOLVED = re.compile(
    r"\b(?:nvm|never ?mind|figured (?:it )?out|got it (?:working|sorted)|solved it|fixed it|"
    r"works now|it works|sorted it|found it)\b",
    re.IGNORECASE,
)


def resolves(text: str) -> bool:
    """Whether a line says its author's own problem is solved ("nvm, figured it out")."""
    return _RESOLVED.search(text) is not None


# Everyday words two unrelated lines share by chance ("after", "every", "trying"): sharing
# one of these is no sign that a line takes up another.
_EVERYDAY = frozenset(
    [
        "about",
        "after",
        "again",
        "also",
        "always",
        "anyone",
        "anything",
        "back",
        "been",
        "before",
        "being",
        "could",
        "does",
        "doing",
        "done",
        "even",
        "every",
        "from",
        "going",
        "good",
        "have",
        "having",
        "help",
        "here",
        "into",
        "just",
        "know",
        "like",
        "look",
        "make",
        "many",
        "more",
        "much",
        "need",
        "only",
        "other",
        "over",
        "please",
        "really",
        "same",
        "should",
        "some",
        "someone",
        "something",
        "still",
        "sure",
        "problem",
        "issue",
        "than",
        "thank",
        "thanks",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "think",
        "this",
        "those",
        "time",
        "trying",
        "using",
        "very",
        "want",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "work",
        "would",
        "your",
    ]
)


def content_words(text: str) -> set[str]:
    """The words of ``text`` that could show two lines are about the same thing."""
    return {w for w in words(text) if len(w) >= 4 and w not in _EVERYDAY}


def own_business(room: RoomView, line: Line, question: Line, window: float) -> bool:
    """Whether ``line``, tied to a room ``question`` by a name or a reply link, is about
    something else.

    Someone who names the asker (or whom the reply linker ties to the asker's latest line)
    to ask their own question, or to go on with the help they were already getting from
    them, has not taken up the question to the room — unless their line is about the same
    thing (shares a content word with it). Going on with that help shows as a line that
    takes up words of something the asker said to them earlier ("can you post a
    screenshot?" … "and I have a screenshot"), however long ago.
    """
    if question.analysis.addressees or not question.analysis.is_question:
        return False  # only a question put to the room is the room's to take up
    said = content_words(line.text)
    if said & content_words(question.text):
        return False
    partner = irc_casefold(line.nick) in partners_of(room, question, window)
    if "asks_room" in question.analysis.acts:  # "anyone know ...?"
        if line.analysis.is_question and "short_question" not in line.analysis.acts:
            return True  # a question of their own, put to the asker
        if partner:
            return True
    elif partner:
        return False  # the asker's partner answering a question of their exchange
    return _takes_up_earlier(room, line, question, said)


def _takes_up_earlier(room: RoomView, line: Line, question: Line, said: set[str]) -> bool:
    """Whether ``line`` shares words with a line the asker directed at its author before."""
    me = irc_casefold(line.nick)
    asker = irc_casefold(question.nick)
    for earlier in itertools.islice(_before(room, question), _LOOKBACK):
        if (
            irc_casefold(earlier.nick) == asker
            and me in _targets(room, earlier)
            and said & content_words(earlier.text)
        ):
            return True
    return False


def answered(room: RoomView, line: Line, within: timedelta, window: float, quiet: int = 10) -> bool:
    """Whether someone else took ``line`` up within ``within`` of it.

    Taken up: someone replied to it or addressed its author (the engine marks those),
    someone else spoke in its thread after it, or its author said they solved it. In a
    quiet channel (at most ``quiet`` lines in the ten minutes before it), with nobody else
    talking, a line by someone else that shares a content word with it takes it up, even
    as a counter-question (the reply linker misses many of those).
    """
    if line.answered_by:
        return True
    asked = content_words(line.text)
    me = irc_casefold(line.nick)
    until = line.at + within
    lines = room.recent(line.network, line.channel)
    before = [e for e in lines if line.at - timedelta(minutes=10) <= e.at <= line.at]
    is_quiet = len(before) <= quiet + 1
    for later in reversed(lines):
        if later is line:
            break
        if later.at > until or later.by_owner:
            continue
        if irc_casefold(later.nick) == me:
            if resolves(later.text):
                return True  # "nvm, figured it out"
            continue
        same_thread = bool(line.thread) and later.thread == line.thread
        if same_thread and not own_business(room, later, line, window):
            return True
        if is_quiet and not later.analysis.addressees and asked & content_words(later.text):
            return True
    return False
