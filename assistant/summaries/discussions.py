"""What was discussed: a session's messages grouped into a handful of discussions.

The skeleton is the conversation thread the analyzer stored with each message (from reply
links). Threads are cut where a MeetBot ``#topic`` (or a scribe's ``Topic:``) line starts a
new subject; that line becomes the heading of what follows. A chair moving on to one of a
meeting's standing items (introductions, announcements, action items: "kim: Announcements
and reminders", "anyone new to the call?", a link to the group's announcements page) cuts
them too and names what follows, up to where its vocabulary changes: such items are short.
Small threads are then merged into a neighbour close in time that shares content words,
and the closest neighbours (never two an hour apart) are merged until the session has about
one discussion per ten minutes of talk (at most :data:`MOST`). Procedural lines
(``present+``, the W3C queue's ``q+``/``ack``), commands to bots and their announcements,
greetings and thanks take part in no discussion; a short stretch of small talk that names
nothing twice is none, nor is short talk before a meeting's first standing item (the
logistics of getting there).

Each discussion is named by a key phrase of its own lines: the phrases are the noun
chunks the analyzer stored as the message's topics, ranked TextRank-style (PageRank over
the graph of words said in the same line), weighted by how often the phrase came up in
this discussion rather than in the others, multiword phrases preferred, and a phrase said on
a line of its own ("kim: Action items", "... CBOR-LD", the way a chair moves on) most; a
longer phrase that carries the best one ("resolver task force" for "task force") names the
discussion when it weighs at least half as much; never a name (a nick, or a name a scribe
writes before a colon on two lines or more). Action items talked about during the
introductions or announcements, before anyone named them, start the action items. Its one or two
representative lines are the most central ones of a TextRank ranking over its lines
(lines are linked by the content words they share). Nothing here loads a pipeline, so
the summary of a long session stays fast.
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from assistant.nlp.chat_words import FILLERS, GENERIC_WORDS, GREETING_WORDS, LAUGHTER
from assistant.summaries.model import Discussion, KeyLine, Participant
from assistant.summaries.text import json_list

__all__ = [
    "MOST",
    "DiscussionMap",
    "Speaker",
    "build_discussions",
    "content_words",
    "is_chatter",
    "is_procedural",
    "is_talk",
    "map_discussions",
    "names_said",
    "topic_heading",
    "written_as",
]

MOST = 8
"""The most discussions a session shows."""
MINUTES_PER_DISCUSSION = 10.0
LINES_PER_DISCUSSION = 12
SMALL = 3
"""A thread with fewer content lines than this is merged into a neighbour when it can be."""
NEAR_SECONDS = 300.0
"""How far apart in time two threads may be and still be merged for being close."""
_SILENCE = 3600.0
"""Threads this far apart in time are never merged, however alike their words."""
KEY_LINES = 2
_BEFORE_THE_MEETING = 2 * LINES_PER_DISCUSSION
"""Talk before a meeting's first standing item is a discussion only with this many lines."""
_PHRASE_WORDS = 3
"""Longer noun chunks ("me2b relationship layers slide") make poor headlines."""
_TILE = 8
"""Lines on each side of a gap compared when cutting a long thread."""
_TILE_SECONDS = 600.0
_TITLED_DEPTH = 0.3
_UNRELATED = 0.05
_NEIGHBOURS = 5
"""How many groups on each side, in time order, a group may merge with."""
_MULTIWORD = 5.0
"""How much more a phrase of several words is worth as a headline than a single word."""
"""Discussions far apart in time that share (almost) no words are never merged."""
_RANKED_LINES = 150
_DENSE = 12
"""From this many targets a node on average, PageRank adds a node's shares with numpy."""
_EXTENDED = 0.5
"""A phrase that extends the best one names the discussion when it weighs this share of it."""
_SIGNPOST_BOOST = 10.0
"""How much more a phrase is worth as a headline when a line named it alone ("Action items")."""

_HEADING = re.compile(r"^\s*(?:#topic|(?:sub)?topic\s*:)\s*(\S.*?)\s*$", re.IGNORECASE)
# W3C queue and presence commands, scribe and bot chatter: procedure, not discussion.
_PROCEDURAL = re.compile(
    r"^\s*(?:q[+\-?]|q\s*$|queue[+\-?]|ack\b.*|present[+\-]|\+present|regrets?[+\-].*|"
    r"scribe(?:nick)?\s*:.*|"
    r"(?:zakim|rrsagent|meetbot)\b.*|#(?:startmeeting|endmeeting|chair|unchair|undo)\b.*|"
    r"agenda\s*[:+].*|[+\-]1|\S+\s*[:,]?\s*[+\-]1|s/[^/]+/[^/]*/?g?)\s*$",
    re.IGNORECASE,
)
# A correction of an earlier line ("s/CTO of XXX/CTO of Acme/"): never talk, however long.
_CORRECTION = re.compile(r"^\s*s/[^/]+/[^/]*/?g?\s*$")
# MeetBot's and the W3C bots' own announcements, and commands to a bot ("voip: mute 301").
_BOT_OUTPUT = re.compile(
    r"^\s*(?:meeting started|meeting ended|useful commands|current chairs|minutes(?: \(\w+\))?:"
    r"|log:|published raw \w+ log|conference started|no one is in the conference"
    r"|performing administrative duties|(?:zakim|rrsagent|meetbot|voip(?:-\w+)?)\s*[:,])",
    re.IGNORECASE,
)
_SPEAKER_PREFIX = re.compile(r"^\s*(?:[.…]+\s*)?(?:[\w\-\[\]`|^{}]+\s*:\s+)?")
_URL = re.compile(r"\S+://\S+|www\.\S+")
# How a chair moves on: "next up: X", "any other X?", "moving on to X".
_SIGNPOST_LEAD = re.compile(
    r"^(?:(?:any(?:\s+other)?|next(?:\s+up)?|now|on\s+to|moving\s+on\s+to|and|so|ok(?:ay)?)"
    r"\b[\s,:\-]*)+",
    re.IGNORECASE,
)
_SIGNPOST_WORDS = 4
"""A line that names the next subject is a few words long ("Announcements and reminders")."""
_SIGNPOST_JOINERS = frozenset({"and", "or", "of", "on", "for", "the", "in"})
# The standing items of a meeting's agenda, as a chair names them when moving on to one:
# "Announcements and reminders", "let's do introductions", "moving to progress on action items".
_AGENDA_ITEMS = {
    "introductions": r"(?:re-?\s?)?intro(?:duction)?s?",
    "announcements": r"announcements?|reminders?",
    "action items": r"(?:progress\s+(?:on|and)\s+)?(?:the\s+)?action[\s\-]*items?",
}
_AGENDA_LEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|so|now|then|and|next(?:\s+up)?|on\s+to|mov(?:e|ing)\s+(?:on\s+)?to"
    r"|let'?s\s+(?:do|have|go\s+to|start\s+with|move\s+(?:on\s+)?to)"
    r"|(?:now\s+)?we\s*(?:are|'re)\s+(?:on\s+)?to|time\s+for|any(?:\s+other)?"
    r"|(?:a\s+)?(?:quick\s+)?review\s+of|topic|(?:a|one|another)?\s*(?:general|quick|friendly))\b[\s,:.\-\u2013\u2014]*)+",
    re.IGNORECASE,
)
_ANY_ITEM = "|".join(_AGENDA_ITEMS.values())
_AGENDA = {
    name: re.compile(
        rf"^(?:{pattern})(?:\s*(?:and|&|/|,)\s*(?:{_ANY_ITEM}))*"
        # … alone, or before what it is about ("reminder about the DID calls").
        r"(?=\s*(?:$|[.?!:;,(…\-\u2013\u2014])|\s+(?:about|that|for|of)\b)",
        re.IGNORECASE,
    )
    for name, pattern in _AGENDA_ITEMS.items()
}
# The ritual that opens a round of introductions without naming it ("anyone new to the call?").
_INTRODUCTIONS = re.compile(
    r"\b(?:any(?:one|body)\s+(?:else\s+)?new\b|introduce\s+(?:yourself|yourselves|themselves))",
    re.IGNORECASE,
)
# Someone saying who they are and where they work ("I'm with Acme", "work at Acme", "happy to
# re-introduce"): before any other standing item, a round of introductions is under way.
_SELF_INTRODUCTION = re.compile(
    r"\b(?:i'?m\s+with|i\s+am\s+with|(?:i\s+)?work(?:s|ing)?\s+(?:at|for)|re-?\s?introduc\w*)\s+\S"
    # … or that they are new here ("first time caller", "glad to be here", "newbie here").
    r"|\b(?:(?:glad|happy|great|excited|nice)\s+to\s+(?:be\s+here|join)|newbie"
    r"|first[\s\-]time\s+(?:here|caller|on|joining|attend\w*)|new\s+(?:here|to\s+(?:the|this)\s+"
    r"(?:call|group|community|meeting)))\b",
    re.IGNORECASE,
)
# A person named with where they come from, the way a scribe notes a round of introductions
# ("Jorge del Prado, DIACC", "Simone R. from Digitary", "joelh from usaa"): a full name of
# capitalised words (or one nick) before "from", "of", "with", "at", a comma or a dash.
_NAMED_FROM = re.compile(
    r"^(?:(?:[A-Z][\w'\u2019.\-]*)(?:\s+(?:(?:de|del|da|van|von|der|le|la|st\.?)\s+)?"
    r"[A-Z][\w'\u2019.\-]*){1,3}\s*(?:,|\(|[\-\u2013\u2014]\s|\b(?:of|from|with|at|@)\b)"
    r"|@?[\w\-\[\]`|^{}]+\s+(?:from|with|@)\s)\s*\S"
)
# Saying one's own name or role and where: "I'm Jo Smith from Acme", "I'm a program manager
# at Acme", "bob, researcher at the Institute of X" (case matters: a name, an organisation).
_NAMED_SELF = re.compile(
    r"\bI'?m\s+(?:[A-Z][\w'\u2019\-]*\s+){1,3}(?:from|with|at|of)\s+\S"
    r"|\bI'?m\s+an?\s+(?:[\w\-]+\s+){0,3}(?:at|for|with)\s+[A-Z]"
    r"|\b(?:researcher|engineer|developer|manager|founder|director|architect|student"
    r"|consultant|cto|ceo|lead)\s+(?:at|with|for)\s+(?:the\s+)?[A-Z]"
)
# What announcements say: a date or time to come, an event, a deadline ("RWOT is March
# 16th-20th, sign up above", "the early bird deadline is Friday", "next week is the F2F").
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_ANNOUNCING = re.compile(
    rf"\b(?:next\s+(?:week|month|{_DAYS})|this\s+(?:week|{_DAYS})|{_DAYS}s?|tomorrow"
    r"|coming\s+soon|deadline|early[\s\-]?bird|tickets?|sign\s+up|register|registration|save\s+the\s+date"
    r"|coming\s+up|reminders?|webinar|workshop|conference|summit|hackathon|meetup|f2f"
    r"|face[\s\-]to[\s\-]face|call\s+for\s+(?:papers|proposals|participation)"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?=\s|$))\b",
    re.IGNORECASE,
)
_ACTION_ITEMS_SAID = re.compile(rf"\b(?:{_AGENDA_ITEMS['action items']})\b", re.IGNORECASE)
_ANNOUNCED_APART = 180.0
"""Two announcing lines this close, after the introductions, are the announcements."""
_NAMED_WORDS = 10
"""A line that names someone and where they come from is short."""
_NAMED_APART = 300.0
"""Two such lines this close start a round of introductions."""
_AGENDA_PREFIX = re.compile(r"^\s*(?:[.…]+\s*)?(?:[\w\-\[\]`|^{}@]+\s*:\s*)?")
# An issue list filtered by a label that names actions: ``label:"action: review next"``.
_ACTION_LABEL = re.compile(r"\blabel:\s*\"?action(?:[\s\-]*items?)?\b", re.IGNORECASE)
# A name before a colon, the way a scribe writes who is speaking ("... kim: yes").
_SCRIBED = re.compile(r"^\s*(?:[.…]+\s*)?@?([a-z][\w\-\[\]`|^{}]*)\s*:\s+\S", re.IGNORECASE)
_LABELS = frozenset(
    {"action", "agenda", "note", "notes", "question", "proposal", "resolved", "resolution"}
    | {"scribe", "scribes", "scribenick", "summary", "topic", "update", "updates", "voip"}
)
"""Words written before a colon that name what follows, not who said it."""
_AGENDA_WORDS = 20
"""A line longer than this is talk, even when it opens with an agenda item."""
_WORD = re.compile(r"[a-z0-9][a-z0-9_.+\-]*[a-z0-9]|[a-z0-9]")
_WRITTEN_WORD = re.compile(r"[A-Za-z0-9][\w.+\-]*[A-Za-z0-9]|[A-Za-z0-9]")
_TITLE_WORD = re.compile(r"(?<=[\w,;:] )[A-Z][a-z]+\b")
"""A capitalised word after another word: a name more than a sentence start."""
_PHRASE_WORD = re.compile(r"^[a-z][a-z0-9\-]*[a-z0-9]$|^[a-z0-9]+$")
_CHATTER = (
    FILLERS
    | GENERIC_WORDS
    | frozenset(GREETING_WORDS)
    | {
        *("morning", "evening", "afternoon", "night", "good", "great", "thank", "bye"),
        *("welcome", "call", "ack", "queue", "present", "scribe", "agenda", "minute"),
        *("minutes", "meeting"),
    }
)
_QUIET_ACTS = frozenset({"greeting", "thanks"})


@dataclass(frozen=True, slots=True)
class Speaker:
    """How a person is shown in discussions."""

    name: str
    notable: bool = False


@dataclass(frozen=True, slots=True)
class DiscussionMap:
    """The discussions, which one each message index belongs to, and how central each line is."""

    discussions: tuple[Discussion, ...] = ()
    of_message: Mapping[int, int] = field(default_factory=dict)
    """Message index → position of its discussion in ``discussions``."""
    centrality: Mapping[int, float] = field(default_factory=dict)
    """Message index → its line's TextRank within its discussion (1.0: an average line)."""


@dataclass(slots=True)
class _Line:
    index: int
    at: float
    person: int
    text: str
    phrases: list[str]
    words: frozenset[str]
    links: list[str]
    unit: str
    titled: bool = False
    """The line is little more than one phrase ("Action items", "Announcements:")."""
    chatter: bool = False
    """A greeting or thanks kept for its content ("hi all, bob from Perth, I blog travel"):
    it counts towards the discussion but does not represent it."""
    signpost: bool = False
    """The line names a subject and says nothing else ("Action items", "any announcements?")."""
    agenda: tuple[str, str] | None = None
    """The standing agenda item the line moves on to (:func:`agenda_item`)."""


@dataclass(slots=True)
class _Group:
    lines: list[_Line] = field(default_factory=list)
    segment: int = 0
    heading: str = ""
    agenda: str = ""
    """The kind of agenda item the heading names; its group ends where the talk moves on."""
    words: Counter[str] = field(default_factory=Counter)
    start: float = math.inf
    end: float = -math.inf

    def add(self, line: _Line) -> None:
        self.lines.append(line)
        self.words.update(line.words)
        self.start, self.end = min(self.start, line.at), max(self.end, line.at)

    def absorb(self, other: _Group) -> None:
        self.lines.extend(other.lines)  # put in order once, by ordered(), when merging is done
        self.words.update(other.words)
        self.start, self.end = min(self.start, other.start), max(self.end, other.end)
        self.heading = self.heading or other.heading

    def ordered(self) -> _Group:
        self.lines.sort(key=lambda line: line.index)
        return self


def topic_heading(text: str) -> str | None:
    """The subject a ``#topic X`` or ``Topic: X`` line sets (None: it sets none)."""
    found = _HEADING.match(text)
    return found.group(1) if found else None


def is_procedural(text: str) -> bool:
    """Whether a line is procedure (queue, presence, scribe and bot commands), not talk."""
    return bool(_PROCEDURAL.match(text))


def is_talk(text: str) -> bool:
    """Whether a line is talk: neither procedure (:func:`is_procedural`, corrections
    included) nor a meeting bot's announcement or a command to one ("voip: mute 301")."""
    return not (_PROCEDURAL.match(text) or _BOT_OUTPUT.match(text))


@cache
def _stop_words() -> frozenset[str]:
    # Imported on first use: importing the summaries must not import spaCy.
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@cache
def _unwanted() -> frozenset[str]:
    """Chat words and stop words: no content word is one."""
    return _CHATTER | _stop_words()


def _words_of(phrases: Iterable[str]) -> frozenset[str]:
    unwanted = _unwanted()
    return frozenset(w for p in phrases for w in p.split() if w not in unwanted)


def content_words(text: str) -> list[str]:
    """The content words of a line: no stop words, chat fillers, greetings or numbers."""
    return _fallback_phrases(_SPEAKER_PREFIX.sub("", text))


def _fallback_phrases(text: str) -> list[str]:
    """Content words of a line nobody analysed (no pipeline ran on it)."""
    unwanted = _unwanted()
    return [
        w
        for w in _WORD.findall(text.lower())
        if len(w) > 2 and w not in unwanted and not w.isdigit()
    ]


@lru_cache(maxsize=16384)
def _good_phrase(phrase: str) -> bool:
    words = phrase.split()
    return (
        bool(words)
        and len(words) <= _PHRASE_WORDS
        and all(_PHRASE_WORD.match(w) for w in words)
        and not all(w in _CHATTER or w in _stop_words() for w in words)
        and words[0] not in _CHATTER
        and words[-1] not in _CHATTER
        and not any(LAUGHTER.match(w) for w in words)
    )


def is_chatter(phrase: str) -> bool:
    """Whether a key phrase is greeting, thanks or filler, not a subject ("evening", "good
    morning", "great stuff", "lol"): all its words are such, or it starts or ends with one."""
    words = phrase.split()
    return (
        not words
        or all(w in _CHATTER or w in _stop_words() for w in words)
        or words[0] in _CHATTER
        or words[-1] in _CHATTER
        or any(LAUGHTER.match(w) for w in words)
    )


def _signpost(text: str, phrases: Sequence[str]) -> bool:
    """Whether a line names a subject and says nothing else ("kim: Announcements and reminders")."""
    body = _URL.sub(" ", text)
    for _ in range(2):  # a scribe's line may carry two prefixes ("kim: bob: Action items")
        body = _SPEAKER_PREFIX.sub("", body, count=1)
    body = _SIGNPOST_LEAD.sub("", body.strip()).strip(" \t?:.…-")
    words = _WORD.findall(body.lower())
    if not phrases or "!" in body or not 1 <= len(words) <= _SIGNPOST_WORDS:
        return False
    said = {w for p in phrases for w in p.split()}
    content = [w for w in words if w not in _SIGNPOST_JOINERS]
    return (
        not body.startswith("s/")  # a correction of an earlier line
        and bool(content)
        and not any(w.isdigit() or w in _unwanted() for w in content)
        # Every word belongs to a noun phrase (the phrases are lemmas: "reminders" is "reminder").
        and all(
            w in said or w.rstrip("s") in said or all(p in said for p in w.split("-") if p)
            for w in content
        )
    )


_LONG_WORD = re.compile(r"\b[A-Za-z][a-z\-]{7,}\b")
_AGENDA_SPELLINGS = (
    *("introduction", "introductions", "reintroduction", "reintroductions"),
    *("announcement", "announcements", "reminder", "reminders"),
)
_TYPO_CUTOFF = 0.9
"""How alike (difflib's ratio) a long word and an item's name are for a typo: a letter off."""


@lru_cache(maxsize=4096)
def _typo_of(lower: str) -> str | None:
    """The agenda item's name ``lower`` is one typo away from; None if none or itself.

    Cached: difflib's comparison was a fifth of composing a long session's summary, and chat
    repeats its words.
    """
    if lower in _AGENDA_SPELLINGS:
        return None
    close = difflib.get_close_matches(lower, _AGENDA_SPELLINGS, n=1, cutoff=_TYPO_CUTOFF)
    return close[0] if close else None


def _respelled(found: re.Match[str]) -> str:
    """A long word one typo away from an agenda item's name, spelled right ("reitroduction")."""
    word = found.group(0)
    close = _typo_of(word.lower().replace("-", ""))
    if close is None:
        return word
    return close.capitalize() if word[0].isupper() else close


def agenda_item(text: str) -> tuple[str, str] | None:
    """The standing agenda item a line moves on to: (kind, the words naming it), or None.

    The kind is ``introductions``, ``announcements`` or ``action items``; the line is the
    chair's (or a scribe's quoting the chair) and names the item before anything else:
    "kim: Announcements and reminders", "let's do introductions - anyone new on the call?".
    """
    body = _URL.sub(" ", text)
    if len(body.split()) > _AGENDA_WORDS:
        return None
    body = _LONG_WORD.sub(_respelled, body)
    if not _AGENDA_PREFIX.sub("", body).strip():
        return _agenda_page(text)
    for _ in range(3):  # the item itself may look like a prefix ("Announcements: …")
        lead = _AGENDA_LEAD.match(body)
        rest = body[lead.end() :] if lead else body
        for kind, pattern in _AGENDA.items():
            found = pattern.match(rest.strip())
            if found is not None:
                return kind, found.group(0).strip()
        if _INTRODUCTIONS.search(body):
            return "introductions", "Introductions"
        shorter = _AGENDA_PREFIX.sub("", body, count=1)
        if shorter == body:
            break
        body = shorter
    return None


def _scribed(texts: Iterable[str]) -> list[str]:
    """Names written before a colon on two lines or more ("kim: …"; scribes), lower-cased."""
    said: Counter[str] = Counter()
    for text in texts:
        found = _SCRIBED.match(text)
        if found is not None:
            said[found.group(1).lower()] += 1
    return [
        name
        for name, count in said.items()
        if count >= 2 and name not in _LABELS and agenda_item(name) is None
    ]


def _scribed_names(lines: Iterable[_Line]) -> frozenset[str]:
    """The words of the names scribes write before a colon (:func:`_scribed`)."""
    return frozenset(
        word
        for name in _scribed(line.text for line in lines)
        for word in re.split(r"[_\-\[\]`|^{}]+", name)
        if len(word) > 2 and word not in _stop_words() and word not in _CHATTER
    )


def names_said(
    messages: Sequence[Mapping[str, Any]], people: Mapping[int, Speaker]
) -> frozenset[str]:
    """Participants' names as written: nicks, the words of people's names, and the names a
    scribe writes before a colon on two lines or more ("Katryna: …").

    Narrower than the names no headline may hold (those take the start of a nick too): the
    Topics section drops these, and a subject that starts a nick ("identity" for
    identitywoman) stays a topic.
    """
    words = {w for speaker in people.values() for w in _WORD.findall(speaker.name.lower())}
    words |= {str(m["nick"]).lower() for m in messages if m.get("nick")}
    words |= set(_scribed(str(m.get("text") or "") for m in messages))
    return frozenset(words)


def _nick_names(lines: Sequence[_Line], messages: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """Words that name a participant by the start of their nick ("Kim" for kimhd).

    Only a word written capitalised inside a line counts (a name, not "key" for keybot), and
    only if it is written so at least as often as in lower case (a speaker's "kim: …" aside):
    "Digital Identity" names no one for identitywoman where talk says "identity" all along.
    """
    nicks = {w for m in messages for w in _WORD.findall(str(m.get("nick") or "").lower())}
    ordered = sorted(nicks)
    said = {w for line in lines for w in line.words}
    named = {w for w in said if len(w) >= 3 and _starts_longer(w, ordered)}
    if not named:
        return frozenset()
    titled: Counter[str] = Counter(
        word.lower()
        for line in lines
        for word in _TITLE_WORD.findall(line.text)
        if word.lower() in named
    )
    lowered: Counter[str] = Counter()
    for line in lines:
        talk = _SPEAKER_PREFIX.sub("", line.text, count=1)
        lowered.update(w for w in _WRITTEN_WORD.findall(talk) if w in titled)
    return frozenset(word for word, count in titled.items() if count >= lowered[word])


def _starts_longer(word: str, ordered: Sequence[str]) -> bool:
    """Whether some string of ``ordered`` (sorted) starts with ``word`` and is longer."""
    # Those that start with ``word`` follow it in sorted order, ``word`` itself first.
    place = bisect.bisect_left(ordered, word)
    if place < len(ordered) and ordered[place] == word:
        place += 1
    return place < len(ordered) and ordered[place].startswith(word)


def _agenda_page(text: str) -> tuple[str, str] | None:
    """The agenda item a shared link's page is named for, or None.

    The page is named in its path ("…/announcements/"), or it is an issue list filtered by
    a label that names actions ("issues?q=label:"action: review next""), the way a chair
    opens the review of the action items.
    """
    for url in _URL.findall(text):
        parts = urlsplit(url if "://" in url else f"//{url}")
        for values in parse_qs(parts.query).values():
            if any(_ACTION_LABEL.search(value) for value in values):
                return "action items", "Action items"
        path = parts.path
        last = unquote(path.rstrip("/").rsplit("/", 1)[-1]).replace("-", " ").replace("_", " ")
        for kind, pattern in _AGENDA.items():
            if last and pattern.fullmatch(last.strip()) is not None:
                return kind, last.strip()
    return None


def _lines(messages: Sequence[Mapping[str, Any]], people: Mapping[int, Speaker]) -> list[_Line]:
    lines: list[_Line] = []
    for index, message in enumerate(messages):
        pid = int(message["person_id"])
        text = str(message["text"] or "")
        if message.get("deleted") or pid not in people or not text.strip():
            continue
        if _BOT_OUTPUT.match(text) or _CORRECTION.match(text):
            continue
        analysed = message.get("key") is not None
        quiet = analysed and bool(_QUIET_ACTS & set(json_list(message.get("acts"))))
        # A greeting or a queue command with a real sentence after it still counts.
        if (
            (quiet or is_procedural(text))
            and topic_heading(text) is None
            and len(_fallback_phrases(text)) < 3
        ):
            continue
        phrases = json_list(message.get("topics")) if analysed else _fallback_phrases(text)
        phrases = [p for p in phrases if _good_phrase(p)]
        unit = str(message.get("thread") or "") or str(message.get("key") or f"m{index}")
        links = json_list(message.get("links")) if analysed else []
        words = _WORD.findall(_SPEAKER_PREFIX.sub("", text.lower()))
        titled = len(phrases) == 1 and 0 < len(words) <= 5 and not links
        lines.append(
            _Line(
                index,
                float(message["at"]),
                pid,
                text,
                phrases,
                _words_of(phrases),
                links,
                unit,
                titled,
                quiet,
                _signpost(text, phrases),
                agenda_item(text),
            )
        )
    return lines


def _opens_introductions(line: _Line) -> bool:
    """Whether a line is someone introducing themselves ("alice: I work at Acme, on …")."""
    return len(line.text.split()) <= 2 * _AGENDA_WORDS and bool(
        _SELF_INTRODUCTION.search(line.text) or _NAMED_SELF.search(line.text)
    )


def _named(line: _Line) -> bool:
    """Whether a line names someone and where they come from ("Don W. of DIACC")."""
    body = _SPEAKER_PREFIX.sub("", _URL.sub(" ", line.text), count=1).strip()
    return len(body.split()) <= _NAMED_WORDS and bool(_NAMED_FROM.match(body))


def _introduced(lines: Sequence[_Line]) -> set[int]:
    """The lines (indices) that show a round of introductions under way.

    Someone saying who they are and where they work does on its own; a line that names a
    person and where they come from does when another follows within :data:`_NAMED_APART`.
    """
    named = [line for line in lines if line.agenda is None and _named(line)]
    return {line.index for line in lines if _opens_introductions(line)} | _close_pairs(
        named, _NAMED_APART
    )


def _announcing(lines: Sequence[_Line], introduced: set[int]) -> set[int]:
    """Lines that announce something (a date, an event) with another such line soon after."""
    said = [
        line
        for line in lines
        if line.index not in introduced and line.agenda is None and _ANNOUNCING.search(line.text)
    ]
    return _close_pairs(said, _ANNOUNCED_APART)


def _close_pairs(lines: Sequence[_Line], apart: float) -> set[int]:
    """The lines (indices) said within ``apart`` seconds of the one before or after them."""
    found: set[int] = set()
    for first, second in pairwise(lines):
        if second.at - first.at <= apart:
            found |= {first.index, second.index}
    return found


def _groups(lines: list[_Line]) -> list[_Group]:
    """Threads, cut at each heading line (a heading starts a segment and heads its group)."""
    introduced = _introduced(lines)
    announcing = _announcing(lines, introduced)
    announced = any(line.agenda is not None and line.agenda[0] == "announcements" for line in lines)
    segment = 0
    agenda = ""
    had: set[str] = set()
    by_unit: dict[tuple[int, str], _Group] = {}
    for line in lines:
        heading = topic_heading(line.text)
        if (
            heading is None
            and agenda == "introductions"
            and not announced
            and line.index in announcing
        ):
            # The round of introductions is over and nobody named what comes next: dates and
            # events to come are the announcements (when no line names them anywhere).
            announced = True
            segment += 1
            agenda, heading = "announcements", "Announcements"
            group = by_unit[segment, "#heading"] = _Group(
                segment=segment, heading=heading, agenda=agenda
            )
        elif heading is not None:
            segment += 1
            agenda = ""
            group = by_unit[segment, "#heading"] = _Group(segment=segment, heading=heading)
        elif line.agenda is None and not agenda and not segment and line.index in introduced:
            # Nobody named the round of introductions, but it has started: people say who
            # they are before any other standing item of the meeting.
            segment += 1
            agenda, heading = "introductions", "Introductions"
            group = by_unit[segment, "#heading"] = _Group(
                segment=segment, heading=heading, agenda=agenda
            )
        elif (
            agenda in ("introductions", "announcements")
            and "action items" not in had
            and _ACTION_ITEMS_SAID.search(line.text)
        ):
            # The action items talked about after the other standing items, nobody having
            # named the move ("there are a lot of action items"): the chair has moved on.
            segment += 1
            agenda, heading = "action items", "Action items"
            group = by_unit[segment, "#heading"] = _Group(
                segment=segment, heading=heading, agenda=agenda
            )
        elif line.agenda is not None and line.agenda[0] != agenda:
            # A chair moving on to a standing item ("Announcements and reminders") starts it;
            # saying it again ("any other announcements?") does not.
            segment += 1
            agenda, heading = line.agenda
            group = by_unit[segment, "#heading"] = _Group(
                segment=segment, heading=heading, agenda=agenda
            )
        else:
            group = by_unit.setdefault((segment, line.unit), _Group(segment=segment))
        had.add(agenda)
        group.add(line)
    groups: list[_Group] = []
    for (segment, unit), group in by_unit.items():
        head = by_unit.get((segment, "#heading"))
        if head is not None and unit != "#heading":
            head.absorb(group)  # what follows a heading is under it
        else:
            groups.append(group)
    return sorted((g.ordered() for g in groups), key=lambda g: g.start)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    shared = sum(a[w] * b[w] for w in a.keys() & b.keys())
    if not shared:
        return 0.0
    return shared / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _count(counts: Counter[str], words: Iterable[str], step: int) -> None:
    """Add ``step`` to each word's count; a word counted nowhere leaves ``counts``."""
    for word in words:
        left = counts[word] + step
        if left:
            counts[word] = left
        else:
            del counts[word]


def _split(group: _Group) -> list[_Group]:
    """Cut a long thread where its vocabulary changes (TextTiling: depth of cohesion valleys).

    A line that only names a subject ("Action items") deepens the valley before it: it is
    how people announce the next subject.
    """
    lines = group.lines
    if (
        (group.heading and not group.agenda)
        or len(lines) < 2 * _TILE
        or lines[-1].at - lines[0].at < _TILE_SECONDS
    ):
        return [group]
    gaps: list[float] = []
    # The windows slide one line at a time: a line joins one side and leaves the other.
    before: Counter[str] = Counter(lines[0].words)
    after: Counter[str] = Counter(w for line in lines[1 : 1 + _TILE] for w in line.words)
    for i in range(1, len(lines)):
        if i > 1:
            _count(before, lines[i - 1].words, 1)
            if i - 1 - _TILE >= 0:
                _count(before, lines[i - 1 - _TILE].words, -1)
            _count(after, lines[i - 1].words, -1)
            if i - 1 + _TILE < len(lines):
                _count(after, lines[i - 1 + _TILE].words, 1)
        gaps.append(_cosine(before, after))
    depths: list[float] = []
    for i, value in enumerate(gaps):
        left = max(gaps[max(0, i - _TILE) : i + 1])
        right = max(gaps[i : i + _TILE + 1])
        depth = (left - value) + (right - value)
        if lines[i + 1].titled:
            depth += _TITLED_DEPTH
        depths.append(depth)
    mean = sum(depths) / len(depths)
    spread = math.sqrt(sum((d - mean) ** 2 for d in depths) / len(depths))
    cutoff = mean + spread / 2
    cuts: list[int] = []  # sorted
    for i in sorted(range(len(depths)), key=lambda i: -depths[i]):
        at = i + 1
        if depths[i] <= cutoff:
            break
        # At least a tile away from every cut so far: from the nearest on either side.
        place = bisect.bisect(cuts, at)
        if (
            (place == 0 or at - cuts[place - 1] >= _TILE)
            and (place == len(cuts) or cuts[place] - at >= _TILE)
            and _TILE <= at <= len(lines) - _TILE // 2
        ):
            cuts.insert(place, at)
    parts: list[_Group] = []
    for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
        # A standing agenda item is short: only the talk before the first cut is under it.
        first = not parts
        part = _Group(
            segment=group.segment,
            heading=group.heading if first else "",
            agenda=group.agenda if first else "",
        )
        for line in lines[start:end]:
            part.add(line)
        parts.append(part)
    return parts


def _similarity(a: _Group, b: _Group) -> float:
    shared = sum(min(a.words[w], b.words[w]) for w in a.words.keys() & b.words.keys())
    if not shared:
        return 0.0
    return shared / math.sqrt(sum(a.words.values()) * sum(b.words.values()))


def _closeness(a: _Group, b: _Group) -> float:
    gap = max(a.start, b.start) - min(a.end, b.end)
    return 1.0 if gap <= 0 else max(0.0, 1.0 - gap / (4 * NEAR_SECONDS))


def _score(a: _Group, b: _Group) -> float:
    if a.segment != b.segment or (a.heading and b.heading):
        return -1.0
    if max(a.start, b.start) - min(a.end, b.end) > _SILENCE:
        return -1.0  # talk an hour apart, in a catch-up over days, is two conversations
    if bool(a.agenda) != bool(b.agenda) and min(len(a.lines), len(b.lines)) >= SMALL:
        # A standing item is short: the talk cut off after it is the next subject, not
        # more of it (only asides of a line or two join it).
        return -1.0
    return _similarity(a, b) + 0.5 * _closeness(a, b)


def _merge(groups: list[_Group], target: int) -> list[_Group]:
    """Merge small groups into their best neighbour, then the best pairs down to ``target``.

    Only neighbours in time order are compared (a linked list over the groups sorted by
    start, and a heap of pair scores), so a long session of unthreaded lines stays fast.
    """
    groups = sorted(groups, key=lambda g: g.start)
    count = len(groups)
    alive = [True] * count
    before = list(range(-1, count - 1))
    after = list(range(1, count + 1))

    def unlink(j: int) -> None:
        alive[j] = False
        if before[j] >= 0:
            after[before[j]] = after[j]
        if after[j] < count:
            before[after[j]] = before[j]

    def around(i: int, width: int, *, back: bool = True) -> list[int]:
        found: list[int] = []
        j = before[i]
        while back and j >= 0 and len(found) < width:
            found.append(j)
            j = before[j]
        j, ahead = after[i], 0
        while j < count and ahead < width:
            found.append(j)
            j, ahead = after[j], ahead + 1
        return found

    for i in sorted(range(count), key=lambda i: len(groups[i].lines)):
        small = groups[i]
        if not alive[i] or len(small.lines) >= SMALL or small.heading:
            continue
        near = [
            j
            for j in around(i, 2 * _NEIGHBOURS)
            if groups[j].segment == small.segment
            and max(groups[j].start, small.start) - min(groups[j].end, small.end) <= NEAR_SECONDS
        ]
        if near:
            j = max(near, key=lambda j: (_score(small, groups[j]), len(groups[j].lines)))
            groups[j].absorb(small)
            unlink(i)

    left = sum(alive)
    version = [0] * count
    heap: list[tuple[float, int, int, int, int]] = []

    def push(i: int, *, back: bool = True) -> None:
        for j in around(i, _NEIGHBOURS, back=back):
            a, b = min(i, j), max(i, j)
            # Small groups merge first: two long parts of the talk stay apart if they can.
            size = min(len(groups[a].lines), len(groups[b].lines)) / SMALL
            score = _score(groups[a], groups[b]) / math.log2(2 + size)
            if score > _UNRELATED:
                heapq.heappush(heap, (-score, a, b, version[a], version[b]))

    for i in range(count):
        if alive[i]:
            push(i, back=False)
    while left > target and heap:
        _, a, b, seen_a, seen_b = heapq.heappop(heap)
        if not (alive[a] and alive[b]) or (version[a], version[b]) != (seen_a, seen_b):
            continue
        groups[a].absorb(groups[b])
        unlink(b)
        version[a] += 1
        left -= 1
        push(a)
    return sorted(
        (g.ordered() for g, keep in zip(groups, alive, strict=True) if keep), key=lambda g: g.start
    )


def _pagerank(edges: Mapping[int, Mapping[int, float]], size: int, rounds: int = 20) -> list[float]:
    if not size:
        return []
    # Each round, every node (in the order of ``edges``) adds its share to each of its
    # targets. A dense graph (many lines sharing words) does one node's targets at once
    # with numpy: the same additions in the same order, so the very same ranks.
    plan = [
        (node, total, targets)
        for node, targets in edges.items()
        if (total := sum(targets.values())) > 0
    ]
    if plan and sum(len(targets) for _, _, targets in plan) >= _DENSE * len(plan):
        return _dense_pagerank(plan, size, rounds)
    rank = [1.0 / size] * size
    steps = [(node, total, tuple(targets.items())) for node, total, targets in plan]
    for _ in range(rounds):
        new = [0.15 / size] * size
        for node, total, pairs in steps:
            share = 0.85 * rank[node] / total
            for target, weight in pairs:
                new[target] += share * weight
        rank = new
    return rank


def _dense_pagerank(
    plan: Sequence[tuple[int, float, Mapping[int, float]]], size: int, rounds: int
) -> list[float]:
    steps = [
        (
            node,
            total,
            np.fromiter(targets.keys(), dtype=np.intp, count=len(targets)),
            np.fromiter(targets.values(), dtype=np.float64, count=len(targets)),
        )
        for node, total, targets in plan
    ]
    rank = np.full(size, 1.0 / size)
    for _ in range(rounds):
        new = np.full(size, 0.15 / size)
        for node, total, to, weights in steps:
            new[to] += 0.85 * float(rank[node]) / total * weights
        rank = new
    return [float(value) for value in rank]


def _word_ranks(lines: Sequence[_Line]) -> dict[str, float]:
    """TextRank over words: linked when said in the same line."""
    vocabulary = sorted({w for line in lines for w in line.words})
    position = {w: i for i, w in enumerate(vocabulary)}
    edges: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for line in lines:
        ids = sorted(position[w] for w in line.words)
        for a in ids:
            for b in ids:
                if a != b:
                    edges[a][b] += 1.0
    ranks = _pagerank(edges, len(vocabulary))
    return {w: ranks[i] for w, i in position.items()}


def _candidates(phrases: Iterable[str]) -> Iterable[str]:
    """Each phrase and its shorter endings ("new work item" also says "work item")."""
    for phrase in phrases:
        words = phrase.split()
        for start in range(len(words)):
            tail = words[start:]
            if tail[0] not in _unwanted():
                yield " ".join(tail)


def _ranked_phrases(
    group: _Group,
    word_spread: Mapping[str, int],
    groups: int,
    names: frozenset[str],
) -> list[tuple[float, int, str]]:
    """The group's candidate headlines, best first: (weight, words, phrase)."""
    ranks = _word_ranks(group.lines)
    mean_rank = 1.0 / len(ranks) if ranks else 1.0
    counts: Counter[str] = Counter()
    signposts: set[str] = set()
    for line in group.lines:
        found = dict.fromkeys(_candidates(line.phrases), 1)
        counts.update(found)
        if line.signpost:
            signposts.update(found)
    ranked: list[tuple[float, int, str]] = []
    for phrase, count in counts.items():
        words = [w for w in phrase.split() if w in ranks]
        if not words or any(w in names for w in phrase.split()):
            continue
        # Said often here, seldom in the other discussions, central in the word graph.
        distinct = sum(math.log(1 + groups / word_spread.get(w, 1)) for w in words) / len(words)
        central = sum(ranks[w] for w in words) / len(words) / mean_rank
        weight = count * count * distinct * (0.5 + 0.5 * min(central, 2.0))
        weight *= _MULTIWORD if len(phrase.split()) > 1 else 1.0
        # A chair or scribe naming the next subject on a line of its own says what it is.
        weight *= _SIGNPOST_BOOST if phrase in signposts else 1.0
        # Rounded, so that float noise never decides; on a tie the longer phrase says more,
        # then the one said first (``counts`` is in the order phrases were first said).
        ranked.append((round(weight, 9), len(phrase.split()), phrase))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)  # stable: first said first
    return ranked


def _headline(
    group: _Group,
    word_spread: Mapping[str, int],
    groups: int,
    names: frozenset[str],
    used: set[str],
) -> str:
    if group.heading:
        return group.heading
    ranked = [r for r in _ranked_phrases(group, word_spread, groups, names) if r[2] not in used]
    if not ranked:
        return ""
    weight, _, phrase = ranked[0]
    # "resolver task force" says more than "task force" when it is most of how it was said.
    for other, _, longer in ranked[1:]:
        if other < _EXTENDED * weight:
            break
        if longer.endswith(f" {phrase}") or longer.startswith(f"{phrase} "):
            return longer
    return phrase


def _same_word(written: str, lemma: str) -> bool:
    """Whether a written word is a form of ``lemma`` ("issuers", "data" for "datum")."""
    if written == lemma:
        return True
    stem = max(3, len(lemma) - 2)
    # Not a shorter word that the lemma extends: "edit" is no form of "editor".
    return (
        len(lemma) > 3
        and written.startswith(lemma[:stem])
        and len(lemma) - 1 <= len(written) <= len(lemma) + 3
    )


def written_as(phrase: str, texts: Sequence[str]) -> str:
    """A key phrase as ``texts`` write it: its words are lemmas ("meta datum" for "metadata").

    The form written most often wins; a word keeps its capitals only when nobody wrote it
    in lower case ("LEI", not "Legal" for a line that starts with it). No form found: the
    phrase as it is.
    """
    lemmas = phrase.split()
    size = len(lemmas)
    forms: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        if lemmas[0][:3] not in text.lower():
            continue
        words = _WRITTEN_WORD.findall(text)
        lower = [w.lower() for w in words]
        for i in range(len(words) - size + 1):
            if all(_same_word(lower[i + k], lemmas[k]) for k in range(size)):
                forms[tuple(words[i : i + size])] += 1
        if size == 2:  # written as one word: "metadata" for "meta datum"
            for word, low in zip(words, lower, strict=True):
                head, tail = low[: len(lemmas[0])], low[len(lemmas[0]) :].removeprefix("-")
                if head == lemmas[0] and tail and _same_word(tail, lemmas[1]):
                    forms[(word,)] += 1
    if not forms:
        return phrase
    best = max(forms.items(), key=lambda item: item[1])[0]
    lowered = {w.lower() for form in forms for w in form if w == w.lower()}
    return " ".join(w.lower() if w.lower() in lowered else w for w in best)


def _line_ranks(lines: Sequence[_Line]) -> list[tuple[_Line, float]]:
    """TextRank over lines linked by the content words they share, most central first.

    Ranks are scaled so that 1.0 is an average line of the discussion.
    """
    candidates = [line for line in lines if len(line.words) >= 2]
    if len(candidates) > _RANKED_LINES:
        candidates = sorted(candidates, key=lambda line: -len(line.words))[:_RANKED_LINES]
        candidates.sort(key=lambda line: line.index)
    if not candidates:
        return []
    edges: dict[int, dict[int, float]] = defaultdict(dict)
    words = [line.words for line in candidates]
    logs = [math.log(1 + len(w)) for w in words]
    for i, (mine, own) in enumerate(zip(words, logs, strict=True)):
        for j in range(i + 1, len(candidates)):
            shared = len(mine & words[j])
            if shared:
                edges[i][j] = edges[j][i] = shared / (own + logs[j])
    ranks = _pagerank(edges, len(candidates))
    order = sorted(range(len(candidates)), key=lambda i: (-ranks[i], candidates[i].index))
    return [(candidates[i], ranks[i] * len(candidates)) for i in order]


def _key_lines(ranked: Sequence[tuple[_Line, float]]) -> list[_Line]:
    """The most central lines, in the order they were said; greetings only if nothing else."""
    said = [line for line, _ in ranked if not line.chatter] or [line for line, _ in ranked]
    return sorted(said[:KEY_LINES], key=lambda line: line.index)


def _has_subject(group: _Group) -> bool:
    """Whether some phrase comes up on two lines or more (small talk names nothing twice)."""
    seen: set[str] = set()
    for line in group.lines:
        found = set(_candidates(line.phrases))
        if found & seen:
            return True
        seen |= found
    return False


def _target(lines: Sequence[_Line], segments: int) -> int:
    if not lines:
        return 0
    minutes = (lines[-1].at - lines[0].at) / 60
    by_time = round(minutes / MINUTES_PER_DISCUSSION)
    by_lines = len(lines) // LINES_PER_DISCUSSION
    return max(1, segments, min(MOST, by_time, by_lines))


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def build_discussions(
    messages: Sequence[Mapping[str, Any]], people: Mapping[int, Speaker]
) -> tuple[Discussion, ...]:
    """Group a session's message rows (as ``read_session`` returns them) into discussions.

    ``people`` names each person who counts (Presence itself is left out by not being
    there). The result is ordered by weight: discussions with a notable member first,
    then by people times lines.
    """
    return map_discussions(messages, people).discussions


def map_discussions(
    messages: Sequence[Mapping[str, Any]], people: Mapping[int, Speaker]
) -> DiscussionMap:
    """The discussions of :func:`build_discussions`, with the lines that make each one."""
    lines = _lines(messages, people)
    if not lines:
        return DiscussionMap()
    groups = [part for group in _groups(lines) for part in _split(group)]
    segments = len({g.segment for g in groups if g.heading})
    groups = _merge(groups, _target(lines, segments))
    # Before a meeting's first standing item, short talk is the logistics of getting there.
    opened = min((g.start for g in groups if g.agenda), default=-math.inf)
    groups = [
        g for g in groups if g.heading or g.end >= opened or len(g.lines) >= _BEFORE_THE_MEETING
    ]
    # What stayed small and apart is an aside, not a discussion.
    groups = [
        g
        for g in groups
        if g.heading
        or (
            len(g.lines) >= SMALL
            and len({line.person for line in g.lines}) > 1
            and (len(g.lines) >= LINES_PER_DISCUSSION or _has_subject(g))
        )
    ]
    spread: Counter[str] = Counter()
    for group in groups:
        spread.update(group.words.keys())
    discussions: list[tuple[tuple[bool, int], Discussion, _Group]] = []
    centrality: dict[int, float] = {}
    names = frozenset(
        w for speaker in people.values() for w in _WORD.findall(speaker.name.lower())
    ) | frozenset(w for m in messages for w in _WORD.findall(str(m.get("nick") or "").lower()))
    names |= _scribed_names(lines) | _nick_names(lines, messages)
    used: set[str] = set()
    for group in sorted(groups, key=lambda g: -len(g.lines)):
        headline = _headline(group, spread, len(groups), names, used)
        if not headline:
            continue
        used.add(headline)
        if not group.heading:
            headline = written_as(headline, [line.text for line in group.lines])
        said: Counter[int] = Counter(line.person for line in group.lines)
        participants = sorted(
            (Participant(people[p].name, n, people[p].notable) for p, n in said.items()),
            key=lambda part: (not part.notable, -part.lines, part.name),
        )
        links = tuple(dict.fromkeys(url for line in group.lines for url in line.links))
        ranked = _line_ranks(group.lines)
        centrality.update((line.index, rank) for line, rank in ranked)
        key_lines = tuple(
            KeyLine(_at(line.at), people[line.person].name, line.text)
            for line in _key_lines(ranked)
        )
        discussion = Discussion(
            headline=headline,
            started_at=_at(group.start),
            ended_at=_at(group.end),
            lines=len(group.lines),
            participants=tuple(participants),
            links=links,
            key_lines=key_lines,
            heading=bool(group.heading) and not group.agenda,
        )
        notable = any(part.notable for part in participants)
        discussions.append(((notable, len(said) * len(group.lines)), discussion, group))
    discussions.sort(key=lambda item: (not item[0][0], -item[0][1], item[1].started_at))
    of_message = {
        line.index: position
        for position, (_, _, group) in enumerate(discussions)
        for line in group.lines
    }
    return DiscussionMap(tuple(d for _, d, _ in discussions), of_message, centrality)
