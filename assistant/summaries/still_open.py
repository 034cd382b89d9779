"""Still open: the questions of a session that really stayed unanswered, a handful per hour.

A line the analyzer took for a question (or, unanalysed, a line ending in "?") is *asked*
when it is substantive: not procedure (the W3C queue's ``q+``/``q?``, "#903 next?", "move
on to the next topic?", "any other questions?"), not a clarification ("what do you mean
separate?"), not a verbless fragment ("which version?") or an aside that expects a yes
("isn't it a new chain?"), and with at least two content words.

An asked question is *answered* when, later in the session, a line by another voice

- links to it as a reply (the analyzer's ``reply_to`` or the platform's reply reference);
- addresses the asker while the question is still the asker's latest line;
- comes within :data:`FOLLOW_SECONDS` in its thread (the lines joined to it by reply links);
- or follows within :data:`FOLLOW_LINES` lines and :data:`FOLLOW_SECONDS` and shares a
  content word with it, takes it up ("good question"), or opens with a yes or a no: in a
  meeting the next speakers on the same subject answer it.

The asker closing it themselves ("never mind, found it"), or thanking after someone else
spoke ("ah I see, thanks"), also ends it. A *voice* is the
person who wrote the line, except in a scribed meeting (``Scribe: nick``), where the
scribe's ``name: text`` lines are that name speaking and ``... text`` lines continue it:
a scribe's next line is usually somebody else's answer.

The questions left are ranked (notable members first, then questions to the room and
requests for help, then by content words) and at most :data:`PER_HOUR` per hour of the
session are listed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.events import irc_casefold
from assistant.summaries.discussions import content_words, is_procedural
from assistant.summaries.text import json_list

__all__ = [
    "FOLLOW_LINES",
    "FOLLOW_SECONDS",
    "PER_HOUR",
    "Asked",
    "asked_questions",
    "is_substantive",
    "reply_threads",
    "still_open",
    "voices",
]

PER_HOUR = 5
"""The most still-open questions listed per hour of session (at least this many in all)."""
FOLLOW_LINES = 4
"""How many of the next lines by other voices may answer a question by sharing its subject."""
FOLLOW_SECONDS = 180.0
"""How soon after the question those lines must come."""
ADDRESS_SECONDS = 900.0
"""How soon after the question addressing the asker still answers them."""
SCRIBE_LINES = 5
"""Lines starting "..." that make their writer a scribe when no ``Scribe:`` line says so."""

_PREFIX = re.compile(r"^\s*(?:[.…]+\s*)?(?:@?([\w\-\[\]`|^{}]+)\s*[:,]\s+)?")
_SCRIBE = re.compile(r"^\s*scribe(?:nick)?\s*:\s*@?([\w\-\[\]`|^{}]+)", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(?:\.{2,}|…)")
# Running the meeting: the queue, the agenda, moving on, calling for comments, the call itself.
_ROUTINE = re.compile(
    r"^(?:and\s+|so\s+|ok(?:ay)?,?\s+)?(?:"
    r"q\s*[+?\-]|"
    r"#?\w+\s+next\b|next\s+(?:topic|item|issue|one|agenda)\b|next\b\W*$|"
    r"(?:shall|should|can|could)\s+we\s+(?:now\s+)?(?:move|go)\s+on\b|(?:and\s+)?move\s+on\b|"
    r"(?:are\s+there\s+|do\s+we\s+have\s+|we\s+have\s+)?(?:any(?:one|body)?\s+)(?:else|other|more"
    r"|further|new)\b|any\s+(?:questions?|comments?|objections?|concerns?)\b|"
    r"(?:does\s+)?anyone\s+(?:else\s+)?(?:want|have)\s+(?:to\s+)?(?:any\s+)?"
    r"(?:say|add|comment|questions?|comments?)\b|"
    r"objections?\b|who\s+(?:is|will|wants\s+to)\s+scrib|(?:can|could)\s+(?:you|everyone|"
    r"people|anyone)\s+hear\b|(?:is|are)\s+\S+\s+(?:on|in)\s+the\s+(?:call|queue)\b|"
    r"(?:is\s+)?(?:that|this)\s+(?:it|all)\b|anything\s+else\b)",
    re.IGNORECASE,
)
_CLARIFY = re.compile(
    r"^(?:sorry,?\s+)?(?:(?:what|how)\s+do\s+you\s+mean|(?:do|did)\s+you\s+mean|you\s+mean|"
    r"meaning|pardon|come\s+again|which\s+one|say\s+(?:that\s+)?again)\b",
    re.IGNORECASE,
)
# Roll calls, introductions and the call's own mechanics, anywhere in the line.
_CALL = re.compile(
    r"\b(?:re-?)?introduc\w*\b|\bare\s+you\s+(?:here|there|with\s+us|on\s+the\s+call)\b|"
    r"\b(?:take\s*over|close\s*out)\b|\bdial\s*in\b|\bhear\s+(?:me|us)\b|\bmuted?\b|"
    r"\bscreen\s*shar|\blet'?s\s+(?:start|begin|move|go\s+on)\b|\bfill\s+in\s+on\b|"
    r"\b(?:re-?)?(?:post|share|paste|drop)\s+(?:the|that|a)\s+(?:[\w-]+\s+){0,3}(?:link|url)\b|"
    r"\b(?:on\s+)?(?:today'?s|this)\s+call\b|\bdid\s+i\s+(?:cover|miss|forget)\b|"
    r"\bwhat'?s\s+going\s+on\s+(?:here|in\s+here)\b",
    re.IGNORECASE,
)
# A real question mark: right after a word (a scribe's "and ?" marks a word they missed).
_ASKS = re.compile(r"[\w)\]\"'][?]")
_LINK_ASKED = re.compile(r"\b(?:link|url|slides?|deck|doc(?:ument)?)\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_TAG = re.compile(r"(?:,\s*|\s)(?:right|no|eh|huh|innit|isn'?t\s+it|ok|okay|yes)\s*\?+\s*$", re.I)
_NOT_ASKING = frozenset({"short_question", "aside"})
_ASIDE = re.compile(r"\([^()]*\)")
"""A parenthesis: "(again?)" inside a line asks nothing of anyone."""
_TAKES_UP = re.compile(
    r"^(?:yes|yeah|yep|yup|no|nope|nah|not\s+yet|sure|correct|exactly)\b|\bgood\s+(?:question|point)\b",
    re.IGNORECASE,
)
_SEES = re.compile(
    r"\b(?:thanks|thank\s+you|thx|ty|i\s+see|got\s+it|makes\s+sense)\b", re.IGNORECASE
)
_POLITE = frozenset({"greeting", "thanks"})
"""A greeting or thanks asks nothing, unless a real question follows it ("evening all! what…")."""
_POLITE_WORDS = 3
_CLOSES = frozenset({"gives_up"})
_KEEN = frozenset({"asks_room", "request_for_help"})


@dataclass(frozen=True, slots=True)
class Asked:
    """A substantive question of the session and what became of it."""

    index: int
    """Its message's position in the session's rows."""
    person: int
    """Who wrote the line (for a scribed line, the scribe)."""
    voice: str
    """Who asked it: the writer's nick, or the speaker a scribe wrote it for."""
    text: str
    words: int
    keen: bool
    """Asked the room or for help: more worth an answer."""
    answered: bool


def _acts(message: Mapping[str, Any]) -> set[str]:
    return set(json_list(message.get("acts")))


def _addressees(message: Mapping[str, Any]) -> set[str]:
    names = {irc_casefold(v) for v in json_list(message.get("addressees"))}
    prefix = _PREFIX.match(str(message.get("text") or ""))
    if prefix and prefix.group(1):
        names.add(irc_casefold(prefix.group(1)))
    return names


def is_substantive(text: str, acts: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether a question deserves an answer: not procedure, a clarification, a fragment or
    an aside, and with at least two content words."""
    if is_procedural(text) or acts & _NOT_ASKING:
        return False
    said = _PREFIX.sub("", text, count=1).strip()
    if not (_ASKS.search(_ASIDE.sub("", _URL.sub("", said))) or acts & _KEEN):
        return False  # a statement the analyzer read as a question
    if _ROUTINE.match(said) or _CLARIFY.match(said) or _CALL.search(said) or _TAG.search(said):
        return False
    return len(content_words(said)) >= (_POLITE_WORDS if acts & _POLITE else 2)


def voices(messages: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[bool]]:
    """Who speaks in each line (its writer, or the speaker a scribe wrote it for), and
    whether a scribe wrote it."""
    # Whoever writes many "... more" lines is scribing, declared or not.
    going_on: Counter[int] = Counter(
        int(m["person_id"]) for m in messages if _CONTINUES.match(str(m["text"] or ""))
    )
    scribes = {pid for pid, lines in going_on.items() if lines >= SCRIBE_LINES}
    nick_person: dict[str, int] = {}
    speaking: dict[int, str] = {}
    said_by: list[str] = []
    scribed: list[bool] = []
    for message in messages:
        pid = int(message["person_id"])
        nick = irc_casefold(str(message["nick"]))
        text = str(message["text"] or "")
        nick_person[nick] = pid
        named = _SCRIBE.match(text)
        if named:
            scribe = nick_person.get(irc_casefold(named.group(1)))
            scribes.add(pid if scribe is None else scribe)
        if pid in scribes and not named:
            prefix = _PREFIX.match(text)
            if prefix and prefix.group(1) and not _CONTINUES.match(text):
                speaking[pid] = irc_casefold(prefix.group(1))
            # "... more" and a bare line (a link, a note) go on with the same speaker.
            said_by.append(speaking.get(pid, nick))
            scribed.append(True)
        else:
            said_by.append(nick)
            scribed.append(False)
    return said_by, scribed


def asked_questions(
    messages: Sequence[Mapping[str, Any]],
    questions: Sequence[int],
    replied: set[int],
    counted: set[int] | frozenset[int],
) -> list[Asked]:
    """The substantive questions among ``questions`` (message indices), each with its fate.

    ``replied`` holds the indices some later line by another person links to as a reply;
    ``counted`` the people whose questions count (Presence itself is left out).
    """
    spoken, scribed_lines = voices(messages)
    threads = reply_threads(messages)
    found: list[Asked] = []
    for index in questions:
        message = messages[index]
        text = str(message["text"] or "")
        acts = _acts(message)
        pid = int(message["person_id"])
        if pid not in counted or not is_substantive(text, acts):
            continue
        voice = spoken[index]
        scribed = scribed_lines[index]
        wants_link = bool(_LINK_ASKED.search(text))
        words = set(content_words(text))
        answered = index in replied
        at = float(message["at"])
        followers = 0
        rhetorical = False
        latest = True  # addressing the asker answers them while this is their latest line
        for later in range(index + 1, len(messages)):
            after = messages[later]
            after_text = str(after["text"] or "")
            seconds = float(after["at"]) - at
            if answered or seconds > ADDRESS_SECONDS:
                break
            if after.get("deleted") or not after_text.strip():
                continue
            if spoken[later] == voice:
                if scribed and not followers and seconds <= FOLLOW_SECONDS / 3:
                    rhetorical = True  # the speaker went straight on: a point, not a question
                    break
                # "never mind, found it"; "ah I see, thanks" once someone else spoke (their
                # next words: thanks later in the talk are for something else).
                answered = bool(_acts(after) & _CLOSES) or bool(
                    latest and followers and _SEES.search(after_text)
                )
                latest = False
                continue
            if latest and voice in _addressees(after):
                answered = True
            elif (
                threads[later] == threads[index]
                and seconds <= FOLLOW_SECONDS
                and not is_procedural(after_text)
            ):
                answered = True  # a reply in its thread
            elif (
                followers < FOLLOW_LINES
                and seconds <= FOLLOW_SECONDS
                and not is_procedural(after_text)
            ):
                followers += 1
                # In a scribed meeting the next speaker answers; else one on the same subject.
                answered = (
                    (scribed and followers == 1)
                    or bool(words & set(content_words(after_text)))
                    or (wants_link and bool(_URL.search(after_text)))
                    or bool(_TAKES_UP.search(_PREFIX.sub("", after_text, count=1).strip()))
                )
        if rhetorical:
            continue
        found.append(
            Asked(
                index=index,
                person=pid,
                voice=voice,
                text=text,
                words=len(words),
                keen=bool(acts & _KEEN),
                answered=answered,
            )
        )
    return found


def reply_threads(messages: Sequence[Mapping[str, Any]]) -> list[int]:
    """The thread (a root index) of each message, joining messages by their reply links."""
    parent = list(range(len(messages)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_key = {str(m["key"]): i for i, m in enumerate(messages) if m.get("key") is not None}
    for index, message in enumerate(messages):
        for key in json_list(message.get("reply_to")):
            if key in by_key:
                parent[root(index)] = root(by_key[key])
    return [root(i) for i in range(len(messages))]


def still_open(
    asked: Sequence[Asked], notable: set[int] | frozenset[int], hours: float
) -> list[Asked]:
    """The unanswered ones, ranked, at most :data:`PER_HOUR` per hour of session.

    A question its asker repeated word for word (the same question a week later, over a
    catch-up of several days) is listed once, as last asked, and not at all once an asking
    of it was answered after the others.
    """
    most = max(PER_HOUR, math.ceil(PER_HOUR * hours - 1e-9))
    latest: dict[tuple[str, str], Asked] = {}
    for a in sorted(asked, key=lambda a: a.index):
        key = (irc_casefold(a.voice), " ".join(a.text.casefold().split()))
        latest.pop(key, None)
        if not a.answered:
            latest[key] = a
    left = list(latest.values())
    left.sort(key=lambda a: (a.person not in notable, not a.keen, -a.words, a.index))
    return left[:most]
