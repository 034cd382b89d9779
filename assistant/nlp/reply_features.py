"""Features of (message, earlier candidate) pairs, computed live from the messages seen so far.

`ReplyContext` keeps what the reply linker knows of the recent past: who spoke when, whom they
addressed by nick, their content words and an online document frequency. For each new message
it builds one feature row per candidate antecedent (the message itself first, meaning "starts
a new conversation", then the previous messages nearest first), using only earlier messages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import spacy
from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["FEATURES", "ReplyContext", "Utterance", "nick_key"]


@dataclass(frozen=True, slots=True)
class Utterance:
    """One chat line as the linker sees it: who said what, when, and whether it is a system line.

    System lines are joins, quits, nick changes and similar notices; their ``author`` is the
    nick the notice is about. ``time`` may be None (system lines often carry no time).
    """

    author: str
    text: str
    time: datetime | None = None
    system: bool = False


_DISTANCES = (1, 2, 3, 4, 5, 8, 12, 20, 35, 60)
_GAPS = (0, 1, 3, 10)
FEATURES: tuple[str, ...] = (
    "self",
    *(f"dist<={d}" for d in _DISTANCES),
    "dist>60",
    "log_dist",
    *(f"gap<={g}min" for g in _GAPS),
    "gap>10min",
    "log_gap",
    "cand_system",
    "same_author",
    "msg_prefix_names_cand_author",
    "msg_mentions_cand_author",
    "cand_prefix_names_msg_author",
    "cand_mentions_msg_author",
    "cand_latest_of_its_author",
    "cand_author_rank",
    "cand_is_msg_author_previous",
    "cand_latest_by_msg_addressee",
    "msg_author_spoke_between",
    "cand_latest_naming_msg_author",
    "pair_history",
    "msg_author_previous_named_cand_author",
    "cand_names_someone_else",
    "cand_question",
    "cand_url",
    "cand_thanks",
    "cand_greeting",
    "cand_first_of_author",
    "cand_log_length",
    "cand_author_activity",
    "overlap_words",
    "overlap_jaccard",
    "overlap_idf",
    "msg_system",
    "msg_prefix_names_known",
    "msg_prefix_looks_like_nick",
    "msg_mentions_known",
    "msg_question",
    "msg_url",
    "msg_thanks",
    "msg_yes_no",
    "msg_greeting",
    "msg_log_length",
    "msg_author_first_in_window",
    "msg_log_minutes_since_author",
    "msg_log_minutes_since_previous",
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}
# Candidate features that depend on the candidate alone, stored once per message.
_STATIC = (
    "cand_system",
    "cand_question",
    "cand_url",
    "cand_thanks",
    "cand_greeting",
    "cand_first_of_author",
    "cand_log_length",
)
_STATIC_COLUMNS = [_INDEX[name] for name in _STATIC]

_NICK_TOKEN = re.compile(r"[\w\-\[\]\\`^{}|]+")
_URL = re.compile(r"https?://|www\.|\w\.(?:com|org|net)\b", re.IGNORECASE)
_PREFIX = re.compile(r"@?([^\s:,]+)\s*[:,]")
_THANKS = ("thank", "thx", "ty ", "ty!", "tnx", "cheers", "thanx", "ta ")
_YES_NO = ("yes", "no", "yeah", "yep", "nope", "nah", "ok", "okay", "sure", "right", "correct")
_GREETINGS = ("hi", "hello", "hey", "hiya", "howdy", "morning", "evening", "yo", "greetings")
# Words that are also common nicks' normal forms would otherwise count as mentions everywhere.
_NOT_MENTIONS = STOP_WORDS | {"help", "ubuntu", "linux", "sudo", "apt", "root", "ok", "yes", "no"}


def nick_key(nick: str) -> str:
    """Normalise a nick so ``Matt|away``, ``matt_``, ``@matt`` and ``Matt2`` compare equal."""
    key = nick.lower().strip("@+~&%")
    key = key.strip("|")
    if "|" in key:
        key = key.split("|", 1)[0]
    stripped = key.rstrip("_-^`").rstrip("0123456789").rstrip("_-^`")
    return stripped or key or nick.lower()


def _starts(text: str, openers: tuple[str, ...]) -> bool:
    first = text[:12].lower()
    return any(first == o or first.startswith(o + " ") or first.startswith(o) for o in openers)


def _first_word_is(text: str, words: tuple[str, ...]) -> bool:
    head = text.split(maxsplit=1)
    return bool(head) and head[0].lower().strip("!.,:;") in words


@dataclass(slots=True)
class _Seen:
    """What the context keeps of one earlier message."""

    author: int
    minute: float
    system: bool
    prefix: frozenset[int]
    mentions: frozenset[int]
    words: frozenset[str]
    question: bool
    url: bool
    thanks: bool
    greeting: bool
    first_of_author: bool
    log_length: float


class ReplyContext:
    """The recent past of one channel, and the feature rows of each new message's candidates."""

    def __init__(self, window: int = 100) -> None:
        self.window = window
        self._tokenizer = spacy.blank("en").tokenizer
        self._ids: dict[str, int] = {}
        self._seen: list[_Seen] = []
        self._df: Counter[str] = Counter()
        self._last_minute = 0.0
        self._origin: datetime | None = None
        self._spoken: set[int] = set()
        self._authors = np.zeros(0, dtype=np.int64)
        self._minutes = np.zeros(0, dtype=np.float64)
        self._static = np.zeros((0, len(_STATIC)), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._seen)

    def _author_id(self, nick: str) -> int:
        return self._ids.setdefault(nick_key(nick), len(self._ids))

    def _minute(self, when: datetime | None) -> float:
        if when is not None:
            if self._origin is None:
                self._origin = when
            self._last_minute = (when - self._origin).total_seconds() / 60.0
        return self._last_minute

    def _words(self, text: str) -> frozenset[str]:
        words = set()
        for token in self._tokenizer(text.lower()):
            if token.is_punct or token.is_space or len(token.text) < 2:
                continue
            if token.text in STOP_WORDS or token.like_url:
                continue
            words.add(token.text)
        return frozenset(words)

    def _analyse(self, utterance: Utterance) -> _Seen:
        text = utterance.text
        author = self._author_id(utterance.author)
        prefix: set[int] = set()
        mentions: set[int] = set()
        if not utterance.system:
            match = _PREFIX.match(text)
            if match is not None:
                key = nick_key(match[1])
                if key in self._ids:
                    prefix.add(self._ids[key])
            for token in _NICK_TOKEN.findall(text):
                key = nick_key(token)
                if len(key) >= 3 and key not in _NOT_MENTIONS and key in self._ids:
                    mentions.add(self._ids[key])
            mentions |= prefix
            mentions.discard(author)
        first = author not in self._spoken
        if not utterance.system:
            self._spoken.add(author)
        return _Seen(
            author=author,
            minute=self._minute(utterance.time),
            system=utterance.system,
            prefix=frozenset(prefix),
            mentions=frozenset(mentions),
            words=self._words(text) if not utterance.system else frozenset(),
            question="?" in text and not utterance.system,
            url=bool(_URL.search(text)),
            thanks=_starts(text, _THANKS),
            greeting=_first_word_is(text, _GREETINGS),
            first_of_author=first,
            log_length=math.log1p(len(text.split())) / 4.0,
        )

    def add(self, utterance: Utterance) -> tuple[list[int], npt.NDArray[np.float32]]:
        """Take the next message; return its candidate ids (itself first) and their feature rows."""
        index = len(self._seen)
        # System-line nicks are remembered before analysis so "X has joined" lets later
        # messages address X.
        if utterance.system:
            words = utterance.text.split()
            if words:
                self._author_id(words[0].strip("[]()<>"))
            if words[1:5] == ["is", "now", "known", "as"] and len(words) > 5:
                self._author_id(words[5])
        seen = self._analyse(utterance)
        rows = self._features(index, seen, utterance)
        self._store(seen)
        self._df.update(seen.words)
        return [index, *range(index - 1, max(-1, index - 1 - self.window), -1)], rows

    def _store(self, seen: _Seen) -> None:
        index = len(self._seen)
        if index == len(self._authors):
            grow = max(1024, index)
            self._authors = np.concatenate([self._authors, np.zeros(grow, dtype=np.int64)])
            self._minutes = np.concatenate([self._minutes, np.zeros(grow)])
            extra = np.zeros((grow, len(_STATIC)), dtype=np.float32)
            self._static = np.concatenate([self._static, extra])
        self._authors[index] = seen.author
        self._minutes[index] = seen.minute
        self._static[index] = (
            seen.system,
            seen.question,
            seen.url,
            seen.thanks,
            seen.greeting,
            seen.first_of_author,
            seen.log_length,
        )
        self._seen.append(seen)

    def _features(self, index: int, m: _Seen, utterance: Utterance) -> npt.NDArray[np.float32]:
        first = max(0, index - self.window)
        cands = self._seen[first:index][::-1]  # nearest first
        n = len(cands)
        x = np.zeros((n + 1, len(FEATURES)), dtype=np.float32)
        f = _INDEX
        x[0, f["self"]] = 1.0
        # Message-level features go on every row so a non-linear scorer can combine them.
        prefix_word = _PREFIX.match(utterance.text)
        x[:, f["msg_system"]] = m.system
        x[:, f["msg_prefix_names_known"]] = bool(m.prefix)
        x[:, f["msg_prefix_looks_like_nick"]] = prefix_word is not None and not m.system
        x[:, f["msg_mentions_known"]] = bool(m.mentions)
        x[:, f["msg_question"]] = m.question
        x[:, f["msg_url"]] = m.url
        x[:, f["msg_thanks"]] = m.thanks
        x[:, f["msg_yes_no"]] = _first_word_is(utterance.text, _YES_NO)
        x[:, f["msg_greeting"]] = m.greeting
        x[:, f["msg_log_length"]] = m.log_length
        if n == 0:
            return x
        rows = x[1:]
        authors = self._authors[first:index][::-1]
        minutes = self._minutes[first:index][::-1]
        rows[:, _STATIC_COLUMNS] = self._static[first:index][::-1]
        dist = np.arange(1, n + 1, dtype=np.float64)
        lower = 0.0
        for d in _DISTANCES:
            rows[:, f[f"dist<={d}"]] = (dist > lower) & (dist <= d)
            lower = d
        rows[:, f["dist>60"]] = dist > lower
        rows[:, f["log_dist"]] = np.log(dist) / math.log(101.0)
        gap = np.maximum(m.minute - minutes, 0.0)
        lower = -1.0
        for g in _GAPS:
            rows[:, f[f"gap<={g}min"]] = (gap > lower) & (gap <= g)
            lower = g
        rows[:, f["gap>10min"]] = gap > lower
        rows[:, f["log_gap"]] = np.log1p(gap) / 5.0
        same = authors == m.author
        rows[:, f["same_author"]] = same
        rows[:, f["msg_prefix_names_cand_author"]] = np.isin(authors, list(m.prefix))
        rows[:, f["msg_mentions_cand_author"]] = np.isin(authors, list(m.mentions))

        me = m.author
        between: list[bool] = []
        rank: list[int] = []
        prefix_me: list[bool] = []
        names_me: list[bool] = []
        someone_else: list[bool] = []
        counts: Counter[int] = Counter()
        history: Counter[int] = Counter()
        naming_at = -1
        own_previous: _Seen | None = None
        spoke = False
        overlaps: list[tuple[int, frozenset[str]]] = []
        words = m.words
        for k, c in enumerate(cands):
            between.append(spoke)
            a = c.author
            if a == me and not c.system:
                spoke = True
                if own_previous is None:
                    own_previous = c
                for other in c.mentions:
                    history[other] += 1
            rank.append(counts[a])
            counts[a] += 1
            named = me in c.mentions
            names_me.append(named)
            if named:
                history[a] += 1
                if naming_at < 0:
                    naming_at = k
            prefix_me.append(me in c.prefix)
            someone_else.append(bool(c.prefix) and me not in c.prefix)
            if words and c.words:
                shared = words & c.words
                if shared:
                    overlaps.append((k, shared))
        if naming_at >= 0:
            rows[naming_at, f["cand_latest_naming_msg_author"]] = 1.0
        rows[:, f["cand_prefix_names_msg_author"]] = prefix_me
        rows[:, f["cand_mentions_msg_author"]] = names_me
        rows[:, f["cand_names_someone_else"]] = someone_else
        total = len(self._seen) + 1
        df = self._df
        for k, shared in overlaps:
            rows[k, f["overlap_words"]] = math.log1p(len(shared))
            rows[k, f["overlap_jaccard"]] = len(shared) / len(words | cands[k].words)
            rows[k, f["overlap_idf"]] = sum(math.log(total / (1 + df[w])) for w in shared) / 10.0
        rank_array = np.asarray(rank, dtype=np.float32)
        latest = rank_array == 0
        rows[:, f["cand_latest_of_its_author"]] = latest
        rows[:, f["cand_author_rank"]] = np.log1p(rank_array) / 3.0
        rows[:, f["cand_is_msg_author_previous"]] = latest & same
        rows[:, f["cand_latest_by_msg_addressee"]] = latest & np.isin(authors, list(m.prefix))
        rows[:, f["msg_author_spoke_between"]] = between
        author_list = authors.tolist()
        rows[:, f["pair_history"]] = np.log1p([history[a] for a in author_list])
        if own_previous is not None:
            rows[:, f["msg_author_previous_named_cand_author"]] = np.isin(
                authors, list(own_previous.mentions)
            )
        rows[:, f["cand_author_activity"]] = np.log1p([counts[a] for a in author_list]) / 3.0
        x[:, f["msg_author_first_in_window"]] = own_previous is None
        since_author = m.minute - own_previous.minute if own_previous is not None else 120.0
        x[:, f["msg_log_minutes_since_author"]] = math.log1p(max(since_author, 0.0)) / 5.0
        x[:, f["msg_log_minutes_since_previous"]] = math.log1p(max(gap[0], 0.0)) / 5.0
        return x
