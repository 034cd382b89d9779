"""Features of (message, earlier candidate) pairs, computed live from the messages seen so far.

`ReplyContext` keeps what the reply linker knows of the recent past: who spoke when, whom they
addressed by nick, their content words and an online document frequency. For each new message
it builds one feature row per candidate antecedent (the message itself first, meaning "starts
a new conversation", then the previous messages nearest first), using only earlier messages.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

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
# Message-level features, the last columns, the same on every row of a message.
_MESSAGE_RUN = slice(_INDEX["msg_system"], len(FEATURES))
# Adjacent columns are filled with one slice assignment each, so their order is relied on.
_STATIC_RUN = slice(_INDEX["cand_question"], _INDEX["cand_log_length"] + 1)
_GAP_RUN = slice(_INDEX["gap<=0min"], _INDEX["gap>10min"] + 1)
_OVERLAP_RUN = slice(_INDEX["overlap_words"], _INDEX["overlap_idf"] + 1)
assert FEATURES[_STATIC_RUN] == _STATIC[1:]
assert FEATURES[_GAP_RUN] == (*(f"gap<={g}min" for g in _GAPS), "gap>10min")
assert FEATURES[_OVERLAP_RUN] == ("overlap_words", "overlap_jaccard", "overlap_idf")
_GAP_BOUNDS = np.asarray(_GAPS, dtype=np.float64)
_CAND_SYSTEM = _INDEX["cand_system"]
_LOG_GAP = _INDEX["log_gap"]
_SAME_AUTHOR = _INDEX["same_author"]
_MSG_PREFIX_NAMES = _INDEX["msg_prefix_names_cand_author"]
_MSG_MENTIONS = _INDEX["msg_mentions_cand_author"]
_CAND_PREFIX_NAMES = _INDEX["cand_prefix_names_msg_author"]
_CAND_MENTIONS = _INDEX["cand_mentions_msg_author"]
_LATEST_OF_AUTHOR = _INDEX["cand_latest_of_its_author"]
_AUTHOR_RANK = _INDEX["cand_author_rank"]
_IS_PREVIOUS = _INDEX["cand_is_msg_author_previous"]
_LATEST_BY_ADDRESSEE = _INDEX["cand_latest_by_msg_addressee"]
_SPOKE_BETWEEN = _INDEX["msg_author_spoke_between"]
_LATEST_NAMING = _INDEX["cand_latest_naming_msg_author"]
_PAIR_HISTORY = _INDEX["pair_history"]
_PREVIOUS_NAMED = _INDEX["msg_author_previous_named_cand_author"]
_NAMES_SOMEONE_ELSE = _INDEX["cand_names_someone_else"]
_AUTHOR_ACTIVITY = _INDEX["cand_author_activity"]

# Entries kept in each per-context memo of pure functions of a word before starting afresh.
_CACHE_SIZE = 50_000
_NICK_TOKEN = re.compile(r"[\w\-\[\]\\`^{}|]+")
_URL = re.compile(r"https?://|www\.|\w\.(?:com|org|net)\b", re.IGNORECASE)
_PREFIX = re.compile(r"@?([^\s:,]+)\s*[:,]")
_THANKS = ("thank", "thx", "ty ", "ty!", "tnx", "cheers", "thanx", "ta ")
_YES_NO = ("yes", "no", "yeah", "yep", "nope", "nah", "ok", "okay", "sure", "right", "correct")
_GREETINGS = ("hi", "hello", "hey", "hiya", "howdy", "morning", "evening", "yo", "greetings")
# Words that are also common nicks' normal forms would otherwise count as mentions everywhere.
_NOT_MENTIONS = STOP_WORDS | {"help", "ubuntu", "linux", "sudo", "apt", "root", "ok", "yes", "no"}


# Strings the shared tokenizer may hold before it is replaced by a fresh one.
_MAX_STRINGS = 100_000


@functools.cache
def _tokenizing() -> Language:
    """One blank English pipeline per process, shared by every context for tokenizing.

    Building one takes ~200 ms: a linker that made its own on each rebuild stalled for that
    long every 2,000 messages. Its vocabulary keeps each word it has seen (that is what makes
    tokenizing fast; a memory zone would rebuild every word's entry each time, 2x slower), so
    it is replaced once it holds `_MAX_STRINGS` strings, rarely in real chat.
    """
    return spacy.blank("en")


def nick_key(nick: str) -> str:
    """Normalise a nick so ``Matt|away``, ``matt_``, ``@matt`` and ``Matt2`` compare equal."""
    key = nick.lower().strip("@+~&%")
    key = key.strip("|")
    if "|" in key:
        key = key.split("|", 1)[0]
    stripped = key.rstrip("_-^`").rstrip("0123456789").rstrip("_-^`")
    return stripped or key or nick.lower()


def _starts(text: str, openers: tuple[str, ...]) -> bool:
    return text[:12].lower().startswith(openers)


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
    """The recent past of one channel, and the feature rows of each new message's candidates.

    `add` runs for every chat message, in a worker that shares the CPU with the spaCy pipeline,
    so the per-candidate features are computed with numpy over arrays kept per message and per
    author instead of a Python loop over the window: a candidate's rank among its author's
    messages is the author's message count now minus the count when it was said, the window's
    per-author activity is a running count, and "who named whom" and "who said what" are kept
    as per-author index lists, so only the few candidates they point at are visited. The rows
    must stay exactly those the scorers were trained on (same operations, same float32 values),
    which is why some values come from tables and overlap scores keep the set's summing order.
    """

    def __init__(self, window: int = 100) -> None:
        self.window = window
        self._ids: dict[str, int] = {}
        self._keys: dict[str, str] = {}
        self._content: dict[str, bool] = {}
        """Word → whether it counts as a content word."""
        self._seen: list[_Seen] = []
        self._words_seen: list[frozenset[str]] = []
        self._df: Counter[str] = Counter()
        self._last_minute = 0.0
        self._origin: datetime | None = None
        self._spoken: set[int] = set()
        # Per message, by index.
        self._authors = np.zeros(0, dtype=np.int64)
        self._minutes = np.zeros(0, dtype=np.float64)
        self._static = np.zeros((0, len(_STATIC)), dtype=np.float32)
        self._prefixes = np.zeros(0, dtype=np.int64)
        """The author a message's ``nick:`` prefix names, or -1."""
        self._ordinals = np.zeros(0, dtype=np.int64)
        """How many messages (system lines included) its author had, counting it."""
        # Per author, by id.
        self._counts = np.zeros(0, dtype=np.int64)
        self._in_window = np.zeros(0, dtype=np.int64)
        """Messages among the last `window` ones, i.e. the next message's candidates."""
        self._tally = np.zeros(0, dtype=np.int64)
        """Scratch counts, all zero between messages."""
        self._own: dict[int, list[int]] = {}
        """Author → ascending indices of their non-system messages."""
        self._naming: dict[int, list[int]] = {}
        """Author → ascending indices of the messages that mention them."""
        # The rows' self and distance columns depend only on the candidate's position.
        self._base = np.zeros((window + 1, len(FEATURES)), dtype=np.float32)
        self._base[0, _INDEX["self"]] = 1.0
        dist = np.arange(1, window + 1, dtype=np.float64)
        lower = 0.0
        for d in _DISTANCES:
            self._base[1:, _INDEX[f"dist<={d}"]] = (dist > lower) & (dist <= d)
            lower = d
        self._base[1:, _INDEX["dist>60"]] = dist > lower
        self._base[1:, _INDEX["log_dist"]] = np.log(dist) / math.log(101.0)
        self._gap_cells = np.arange(1, window + 1) * len(FEATURES) + _GAP_RUN.start
        """Flat position in the rows of each candidate's first gap column."""
        # Counts within the window map to feature values through tables computed with the
        # same numpy operations on arrays of every possible count. A pair is counted at most
        # once per candidate for each side, so its history stays under twice the window.
        counts = np.arange(2 * window + 1)
        self._rank_values = np.log1p(counts.astype(np.float32)) / 3.0
        self._activity_values = (np.log1p(counts) / 3.0).astype(np.float32)
        self._pair_values = np.log1p(counts).astype(np.float32)

    def __len__(self) -> int:
        return len(self._seen)

    def _author_id(self, nick: str) -> int:
        return self._ids.setdefault(self._key(nick), len(self._ids))

    def _key(self, token: str) -> str:
        """`nick_key`, remembered: every nick-like token of every message goes through it."""
        key = self._keys.get(token)
        if key is None:
            if len(self._keys) >= _CACHE_SIZE:
                self._keys.clear()
            key = self._keys[token] = nick_key(token)
        return key

    def _minute(self, when: datetime | None) -> float:
        if when is not None:
            if self._origin is None:
                self._origin = when
            self._last_minute = (when - self._origin).total_seconds() / 60.0
        return self._last_minute

    def _words(self, text: str) -> frozenset[str]:
        content = self._content
        words = set()
        nlp = _tokenizing()
        for token in nlp.tokenizer(text.lower()):
            word = token.text
            keep = content.get(word)
            if keep is None:
                # These are properties of the word itself (spaCy lexeme flags), so kept.
                if len(content) >= _CACHE_SIZE:
                    content.clear()
                keep = content[word] = not (
                    token.is_punct
                    or token.is_space
                    or len(word) < 2
                    or word in STOP_WORDS
                    or token.like_url
                )
            if keep:
                words.add(word)
        if len(nlp.vocab.strings) > _MAX_STRINGS:
            _tokenizing.cache_clear()
        return frozenset(words)

    def _analyse(self, utterance: Utterance) -> _Seen:
        text = utterance.text
        author = self._author_id(utterance.author)
        prefix: set[int] = set()
        mentions: set[int] = set()
        if not utterance.system:
            match = _PREFIX.match(text)
            if match is not None:
                key = self._key(match[1])
                if key in self._ids:
                    prefix.add(self._ids[key])
            for token in _NICK_TOKEN.findall(text):
                key = self._key(token)
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
        seen = self._read(utterance)
        rows = self._features(index, seen, utterance)
        self._remember(seen)
        return [index, *range(index - 1, max(-1, index - 1 - self.window), -1)], rows

    def remember(self, utterance: Utterance) -> None:
        """Take the next message as context only: what `add` keeps, without its feature rows.

        For priming a fresh context with the recent past, which nobody asks about again.
        """
        self._remember(self._read(utterance))

    def _read(self, utterance: Utterance) -> _Seen:
        # System-line nicks are remembered before analysis so "X has joined" lets later
        # messages address X.
        if utterance.system:
            words = utterance.text.split()
            if words:
                self._author_id(words[0].strip("[]()<>"))
            if words[1:5] == ["is", "now", "known", "as"] and len(words) > 5:
                self._author_id(words[5])
        return self._analyse(utterance)

    def _remember(self, seen: _Seen) -> None:
        self._store(seen)
        self._df.update(seen.words)

    def _grow(self) -> None:
        """Make room for the next message and for every author id handed out so far."""
        size = len(self._authors)
        if len(self._seen) == size:
            grow = max(1024, size)
            self._authors = np.concatenate([self._authors, np.zeros(grow, dtype=np.int64)])
            self._minutes = np.concatenate([self._minutes, np.zeros(grow)])
            extra = np.zeros((grow, len(_STATIC)), dtype=np.float32)
            self._static = np.concatenate([self._static, extra])
            self._prefixes = np.concatenate([self._prefixes, np.zeros(grow, dtype=np.int64)])
            self._ordinals = np.concatenate([self._ordinals, np.zeros(grow, dtype=np.int64)])
        authors = len(self._counts)
        if len(self._ids) > authors:
            grow = max(256, len(self._ids) - authors, authors)
            self._counts = np.concatenate([self._counts, np.zeros(grow, dtype=np.int64)])
            self._in_window = np.concatenate([self._in_window, np.zeros(grow, dtype=np.int64)])
            self._tally = np.zeros(len(self._counts), dtype=np.int64)

    def _store(self, seen: _Seen) -> None:
        self._grow()
        index = len(self._seen)
        author = seen.author
        self._authors[index] = author
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
        (self._prefixes[index],) = seen.prefix or (-1,)
        self._counts[author] += 1
        self._ordinals[index] = self._counts[author]
        self._in_window[author] += 1
        if index >= self.window:
            self._in_window[self._authors[index - self.window]] -= 1
        if not seen.system:
            self._own.setdefault(author, []).append(index)
        for named in seen.mentions:
            self._naming.setdefault(named, []).append(index)
        self._seen.append(seen)
        self._words_seen.append(seen.words)

    def _features(self, index: int, m: _Seen, utterance: Utterance) -> npt.NDArray[np.float32]:
        first = max(0, index - self.window)
        n = index - first
        x = self._base[: n + 1].copy()
        me = m.author
        # Message-level features go on every row so a non-linear scorer can combine them.
        message: list[float] = [
            m.system,
            bool(m.prefix),
            _PREFIX.match(utterance.text) is not None and not m.system,
            bool(m.mentions),
            m.question,
            m.url,
            m.thanks,
            _first_word_is(utterance.text, _YES_NO),
            m.greeting,
            m.log_length,
        ]
        if n == 0:
            x[:, _MESSAGE_RUN.start : _MESSAGE_RUN.start + len(message)] = message
            return x
        # Candidates are nearest first: row k of `rows` is message index - 1 - k.
        rows = x[1:]
        window = slice(index - 1, first - 1 if first else None, -1)
        authors = self._authors[window]
        static = self._static[window]
        rows[:, _CAND_SYSTEM] = static[:, 0]
        rows[:, _STATIC_RUN] = static[:, 1:]
        gap = np.maximum(m.minute - self._minutes[window], 0.0)
        # Gaps are never negative: the column is how many bounds of _GAPS the gap exceeds.
        # Set through flat positions, much cheaper than writing a strided block.
        x.reshape(-1)[self._gap_cells[:n] + _GAP_BOUNDS.searchsorted(gap)] = 1.0
        rows[:, _LOG_GAP] = np.log1p(gap) / 5.0
        same = authors == me
        rows[:, _SAME_AUTHOR] = same
        if m.mentions:
            rows[:, _MSG_MENTIONS] = _member(authors, m.mentions)
        prefixes = self._prefixes[window]
        names_me = prefixes == me
        rows[:, _CAND_PREFIX_NAMES] = names_me
        rows[:, _NAMES_SOMEONE_ELSE] = (prefixes >= 0) ^ names_me

        # A candidate's rank among its author's messages, nearest first.
        ranks = self._counts[authors] - self._ordinals[window]
        latest = ranks == 0
        rows[:, _LATEST_OF_AUTHOR] = latest
        rows[:, _AUTHOR_RANK] = self._rank_values[ranks]
        rows[:, _IS_PREVIOUS] = latest & same
        if m.prefix:
            addressee = _member(authors, m.prefix)
            rows[:, _MSG_PREFIX_NAMES] = addressee
            rows[:, _LATEST_BY_ADDRESSEE] = latest & addressee
        rows[:, _AUTHOR_ACTIVITY] = self._activity_values[self._in_window[authors]]

        own = _from(self._own.get(me), first)
        naming = _from(self._naming.get(me), first)
        # Pair history: how often the message's author named each candidate author in the
        # window, plus how often that author named them.
        partners = [named for i in own for named in self._seen[i].mentions]
        if naming:
            rows[[index - 1 - i for i in naming], _CAND_MENTIONS] = 1.0
            rows[index - 1 - naming[-1], _LATEST_NAMING] = 1.0
            partners += self._authors[naming].tolist()
        if partners:
            tally = self._tally
            np.add.at(tally, partners, 1)
            rows[:, _PAIR_HISTORY] = self._pair_values[tally[authors]]
            tally[partners] = 0
        previous = self._seen[own[-1]] if own else None
        if previous is not None:
            rows[index - own[-1] :, _SPOKE_BETWEEN] = 1.0
            if previous.mentions:
                rows[:, _PREVIOUS_NAMED] = _member(authors, previous.mentions)

        words = m.words
        if words:
            window_words = self._words_seen[first:index]
            found = [i for i, other in enumerate(window_words) if not words.isdisjoint(other)]
            if found:
                total = len(self._seen) + 1
                df = self._df
                idf = {w: math.log(total / (1 + df.get(w, 0))) for w in words}
                overlaps = []
                for i in found:
                    other = window_words[i]
                    shared = words & other
                    union = len(words) + len(other) - len(shared)
                    # Summed in the set's own order, as the scorer was trained with.
                    score = sum(map(idf.__getitem__, shared)) / 10.0
                    overlaps.append((math.log1p(len(shared)), len(shared) / union, score))
                rows[[n - 1 - i for i in found], _OVERLAP_RUN] = overlaps

        since_author = m.minute - previous.minute if previous is not None else 120.0
        message += [
            previous is None,
            math.log1p(max(since_author, 0.0)) / 5.0,
            math.log1p(max(gap[0], 0.0)) / 5.0,
        ]
        x[:, _MESSAGE_RUN] = message
        return x


def _member(authors: npt.NDArray[np.int64], ids: frozenset[int]) -> npt.NDArray[np.bool_]:
    """``np.isin(authors, list(ids))`` without its set-up cost, for the usual zero to two ids."""
    if len(ids) == 1:
        (author,) = ids
        same: npt.NDArray[np.bool_] = authors == author
        return same
    found = np.zeros(len(authors), dtype=np.bool_)
    for author in ids:
        found |= authors == author
    return found


def _from(indices: list[int] | None, first: int) -> list[int]:
    """The ascending ``indices`` that are at least ``first``."""
    if not indices or indices[-1] < first:
        return []
    return indices[bisect_left(indices, first) :]
