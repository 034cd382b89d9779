"""The assistant's spaCy components, registered by name (``assistant_*``).

Each sets one of the extensions in `assistant.nlp.extensions`. They are rules over tokens (and
over tags/parse when the pipeline has them), because en_core_web_sm is trained on edited text:
it tags leading nicks as entities and lets fillers into noun chunks (see the spaCy notes).
Run order matters: links, then addressees (marks nick tokens), then question, acts, topics.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

from assistant.nlp.chat_tokens import is_emoji
from assistant.nlp.chat_words import (
    AFFIRMATIVE,
    ASKING_PHRASES,
    AUX,
    FILLERS,
    GENERIC_WORDS,
    GREETING_FOLLOWERS,
    GREETING_WORDS,
    NEGATION,
    NEGATORS,
    PRONOUNS,
    RHETORICAL,
    ROOM_WORDS,
    SECOND_PERSON,
    SINGULAR_S,
    SOFT_OPENERS,
    STRONG_AGREEMENT,
    SUBJECT_PRONOUNS,
    SUBJECT_WORDS,
    WH,
    act_patterns,
)
from assistant.nlp.extensions import register_extensions
from assistant.nlp.reply_features import nick_key

__all__ = [
    "ACTS",
    "COMPONENTS",
    "Acts",
    "Addressees",
    "Links",
    "Question",
    "Topics",
]


COMPONENTS = (
    "assistant_links",
    "assistant_addressees",
    "assistant_question",
    "assistant_acts",
    "assistant_topics",
)
ACTS = (
    "greeting",
    "thanks",
    "request_for_help",
    "share_own_work",
    "agreement",
    "gives_up",
    "invites",
    "work_news",
    "asks_room",
    "asks_you",
    "short_question",
    "aside",
)
"""Dialogue acts. The last four describe a question's form (only set on questions): put to
the room ("anyone know..."), put to one person ("what is your address?"), a verbless
fragment ("which version?"), or an aside expecting agreement ("isn't it...?")."""

_ENTITY_LABELS = frozenset(
    (
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    )
)
_URL = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*://|www\.)\S+|[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}/\S*", re.IGNORECASE
)
_DISCORD_MENTION = re.compile(r"<@&?(\d+)>")
# Nicks that are also words count only where addressing is explicit.
_COMMON_WORDS = frozenset(STOP_WORDS) | GENERIC_WORDS | FILLERS


def _after_prefix(doc: Doc | Span) -> int:
    """Index of the first token after a leading ``nick:``/``nick,``/``@nick`` address (if any)."""
    i = 0
    n = len(doc)
    while i < n and doc[i]._.assistant_is_nick:
        i += 1
        if i < n and doc[i].text in (":", ",", ">"):
            i += 1
    return i


def _sentences(doc: Doc) -> list[Span]:
    if doc.has_annotation("SENT_START"):
        return list(doc.sents)
    return [doc[:]]


@Language.factory("assistant_links")
def make_links(nlp: Language, name: str) -> Links:
    """Build the link finder (a factory so the pipeline can add it by name)."""
    return Links()


class Links:
    """Marks URL tokens and lists them on ``doc._.assistant_links``."""

    def __init__(self) -> None:
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        links: list[str] = []
        for token in doc:
            if _URL.fullmatch(token.text):
                token._.assistant_is_link = True
                if token.text not in links:
                    links.append(token.text)
        doc._.assistant_links = tuple(links)
        return doc


@Language.factory("assistant_addressees")
def make_addressees(nlp: Language, name: str) -> Addressees:
    """Build the addressee finder; its roster is set later with `Addressees.set_roster`."""
    return Addressees()


class _Roster:
    """One channel's nicks, by lower case and by loose key, and its Discord ids."""

    __slots__ = ("exact", "ids", "keys")

    def __init__(self, nicks: Iterable[str], discord_ids: Mapping[str, str] | None) -> None:
        self.exact: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.ids = dict(discord_ids or {})
        for nick in (*nicks, *self.ids.values()):
            if nick:
                self.exact.setdefault(nick.lower(), nick)
                self.keys.setdefault(nick_key(nick), nick)


_NOBODY = _Roster((), None)


class Addressees:
    """Whom a message addresses: prefixed nicks, @mentions, Discord markup, roster nicks named.

    A roster nick counts anywhere as a whole token, except nicks that are also common words
    ("will", "help"), which count only as a prefix or an @mention. Each channel has its own
    roster: a doc whose ``._.assistant_roster`` names a channel is read with that channel's
    nicks only (someone in another channel is not being addressed here).
    """

    def __init__(self) -> None:
        register_extensions()
        self._rosters: dict[Hashable, _Roster] = {None: _NOBODY}

    def set_roster(
        self,
        nicks: Iterable[str],
        discord_ids: Mapping[str, str] | None = None,
        *,
        channel: Hashable = None,
    ) -> None:
        """Replace ``channel``'s nicks and (for Discord) its user id -> display nick mapping."""
        self._rosters[channel] = _Roster(nicks, discord_ids)

    def nicks(self) -> set[str]:
        """Every nick on any roster (the tokenizer keeps them all whole)."""
        return {nick for roster in self._rosters.values() for nick in roster.exact.values()}

    @staticmethod
    def _nick(roster: _Roster, text: str, *, loose: bool) -> str | None:
        """The roster nick ``text`` names; ``loose`` also accepts ``matt_`` for ``Matt|away``."""
        found = roster.exact.get(text.lower())
        if found is None and loose:
            found = roster.keys.get(nick_key(text))
        return found

    def __call__(self, doc: Doc) -> Doc:
        roster = self._rosters.get(doc._.assistant_roster, _NOBODY)
        found: list[str] = []
        start = True  # still inside the leading run of addressed nicks
        for i, token in enumerate(doc):
            text = token.text
            nick: str | None = None
            explicit = False
            mention = _DISCORD_MENTION.fullmatch(text)
            if mention is not None:
                nick = roster.ids.get(mention.group(1))
                explicit = True
            elif text.startswith("@") and len(text) > 1:
                nick = self._nick(roster, text[1:], loose=True) or text[1:]
                explicit = True
            elif not token._.assistant_is_link and not token.is_punct:
                following = doc[i + 1].text if i + 1 < len(doc) else ""
                prefix = start and following in (":", ",")
                # Loose matches and word-like nicks only where addressing is explicit: "apt" in
                # "sudo apt install" must not address apt2, nor "will" address will.
                nick = self._nick(roster, text, loose=prefix)
                if nick is not None and not prefix and text.lower() in _COMMON_WORDS:
                    nick = None
            if nick is not None or (explicit and mention is not None):
                token._.assistant_is_nick = True
            if nick is not None and nick not in found:
                found.append(nick)
            if not (token._.assistant_is_nick or text in (":", ",")):
                start = False
        doc._.assistant_addressees = tuple(found)
        return doc


@Language.factory("assistant_question")
def make_question(nlp: Language, name: str) -> Question:
    """Build the question detector."""
    return Question()


class Question:
    """Whether a message asks something: a '?' outside links, or an interrogative opening.

    Openings: a wh-word not followed by a bare subject ("what I did was ..." is a statement),
    aux-inversion ("does X work", "is there", "can you"), or an asking phrase ("anyone know",
    "any idea", "wondering if"). A sentence of only tag words ("right?", "you know?") is not one.
    """

    def __init__(self) -> None:
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        doc._.assistant_is_question = any(self._asks(sent) for sent in _sentences(doc))
        return doc

    def _asks(self, sent: Span) -> bool:
        start = _after_prefix(sent)
        words = [t for t in sent[start:] if not (t.is_punct or t.is_space or is_emoji(t.text))]
        lowers = [t.lower_ for t in words]
        has_mark = any("?" in t.text and not t._.assistant_is_link for t in sent)
        if has_mark:
            return bool(lowers) and not all(w in RHETORICAL for w in lowers)
        while words and lowers[0] in SOFT_OPENERS:
            # "hi all, what's ...": the greeting's "all"/"everyone" goes with it.
            skip = 2 if len(words) > 1 and lowers[1] in GREETING_FOLLOWERS else 1
            if skip == 2 and lowers[0] not in GREETING_WORDS:
                skip = 1
            words, lowers = words[skip:], lowers[skip:]
        if not words:
            return False
        if any(_contains(lowers, phrase) for phrase in ASKING_PHRASES):
            return True
        first = lowers[0]
        if first in WH:
            return self._wh_question(words)
        if first in AUX:
            return self._inverted(words, lowers)
        return False

    @staticmethod
    def _wh_question(words: list[Token]) -> bool:
        if len(words) == 1:
            return False
        nxt = words[1]
        if nxt.lower_ in ("a", "an"):  # "what a mess"
            return False
        if nxt.lower_ in SUBJECT_PRONOUNS:
            return False  # "what I did was ...", "how it works is ...": a free relative clause
        if words[0].lower_ == "which" and nxt.tag_ in ("VBZ", "VBD") and nxt.pos_ == "VERB":
            return False  # "which means ...": a clause going on from the line before
        if nxt.tag_ == "VBG":
            return False  # "when doing a swap a random port is used": a clause, no "?"
        # "how cool", "how nice is that!": exclamations, not questions.
        exclaims = len(words) <= 3 or words[-1].doc[words[-1].i + 1 :].text.startswith("!")
        return not (words[0].lower_ == "how" and nxt.pos_ in ("ADJ", "ADV") and exclaims)

    @staticmethod
    def _inverted(words: list[Token], lowers: list[str]) -> bool:
        i = 1
        while i < len(words) and lowers[i] in NEGATION:
            i += 1
        if i >= len(words):
            return False
        subject = words[i]
        is_subject = lowers[i] in SUBJECT_WORDS or subject.pos_ in ("PROPN", "NOUN", "PRON")
        if not is_subject or subject.pos_ in ("VERB", "AUX"):
            return False
        if lowers[0] in ("have", "has", "had"):  # "have fun" is advice, "have you" asks
            return lowers[i] in SUBJECT_WORDS and lowers[i] not in ("a", "an", "the")
        if lowers[0] in ("do", "does", "did"):  # "do it now" is an instruction
            if i + 1 >= len(words):
                return False
            if subject.pos_ == "NOUN" and lowers[i] not in SUBJECT_WORDS:
                return False  # "do cat -e": a bare noun after "do" is an instruction's object
            if lowers[i] in ("it", "this", "that"):
                after = words[i + 1]
                return after.pos_ in ("VERB", "AUX") if after.pos_ else after.is_alpha
            return True
        return True


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


@Language.factory("assistant_acts")
def make_acts(nlp: Language, name: str) -> Acts:
    """Build the dialogue-act matcher over ``nlp``'s vocabulary."""
    return Acts(nlp)


class Acts:
    """Dialogue acts that matter for openings, by token patterns with position checks.

    Greetings and agreements must open a sentence (after any addressed nick) and stand alone or
    before punctuation ("exactly." agrees, "exactly which version?" does not); thanks are not
    "thanks to" or "no thanks"; a share of one's own work needs a link in the message.
    """

    def __init__(self, nlp: Language) -> None:
        register_extensions()
        self.matcher = Matcher(nlp.vocab)
        for act, patterns in act_patterns().items():
            self.matcher.add(act, patterns)

    def __call__(self, doc: Doc) -> Doc:
        found: set[str] = set()
        sentence_starts = {_first_word(sent) for sent in _sentences(doc)}
        for match_id, start, end in self.matcher(doc):
            act = doc.vocab.strings[match_id]
            if act in found or not self._fits(act, doc, start, end, sentence_starts):
                continue
            found.add(act)
        if doc._.assistant_is_question:
            found.update(_question_form(doc))
        doc._.assistant_acts = tuple(a for a in ACTS if a in found)
        return doc

    @staticmethod
    def _fits(act: str, doc: Doc, start: int, end: int, sentence_starts: set[int]) -> bool:
        before = doc[start - 1].lower_ if start > 0 else ""
        after = doc[end] if end < len(doc) else None
        alone = after is None or after.is_punct or is_emoji(after.text)
        if act == "greeting":
            return start in sentence_starts and (
                alone
                or (
                    after is not None
                    and (after.lower_ in GREETING_FOLLOWERS or after._.assistant_is_nick)
                )
            )
        if act == "thanks":
            if before in ("no", "nah"):
                return False
            return not (after is not None and after.lower_ in ("to", "god"))
        if act == "agreement":
            if before in NEGATORS or (start > 0 and doc[start - 1].lower_ == "do"):
                return False
            phrase = doc[start:end].text.lower()
            if phrase.endswith("agree"):
                return True
            if phrase in STRONG_AGREEMENT:
                return start in sentence_starts or before in STRONG_AGREEMENT | AFFIRMATIVE
            if doc[start:end].text.lower() in ("yes", "true", "this", "same") and start == 0:
                return alone and len([t for t in doc if not t.is_punct]) <= 2
            return start in sentence_starts and (
                alone or (after is not None and after.lower_ in ("here", "that", "this"))
            )
        if act == "share_own_work":
            return bool(doc._.assistant_links)
        if act == "gives_up":
            # "not sure why you keep ..." argues; "you don't know how ...?" asks.
            if after is not None and after.lower_ in ("why", "what", "how", "that", "if"):
                return False
            return before not in SECOND_PERSON
        if act == "work_news":
            if doc[start].lower_ in ("check", "checkout"):
                return bool(doc._.assistant_links) and not doc._.assistant_addressees
            # "working on it" answers a request; "working on the docs" is news.
            while after is not None and after.lower_ == "on" and after.i + 1 < len(doc):
                after = doc[after.i + 1]
            return after is None or after.lower_ not in ("it", "that", "this", "them", "on")
        return True


_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"|“[^”]*”")
_TAGS = frozenset(("right", "correct", "no", "yeah", "yes", "eh", "ok", "okay", "innit"))
_SELF_ANSWERS = frozenset(
    ("maybe", "probably", "perhaps", "because", "its", "it's", "that's", "thats", "then")
)


def _question_form(doc: Doc) -> set[str]:
    """How a question asks: to the room, to one person, as a fragment, or as an aside."""
    asking = [sent for sent in _sentences(doc) if _is_asking(sent)] or _sentences(doc)
    lowers = [t.lower_ for sent in asking for t in sent]
    forms: set[str] = set()
    room = next((i for i, w in enumerate(lowers) if w in ROOM_WORDS), None)
    you = next((i for i, w in enumerate(lowers) if w in SECOND_PERSON), None)
    if room is not None and you is not None and you < room:
        room = None  # "you voted for someone?": put to one person, about someone
    if room is not None or any(
        _contains(lowers, ("any", w)) for w in ("idea", "ideas", "tips", "suggestions", "thoughts")
    ):
        forms.add("asks_room")
    elif any(w in SECOND_PERSON for w in lowers) or _instructs(doc):
        forms.add("asks_you")  # "which OS? please post the lines above the error" too
    everything = [t for t in doc if not (t.is_punct or t.is_space or is_emoji(t.text))]
    words = [
        t
        for sent in asking
        for t in sent[_after_prefix(sent) :]
        if not (t.is_punct or t.is_space or is_emoji(t.text))
    ]
    tagged = doc.has_annotation("TAG")
    verbs = [t for t in words if t.pos_ in ("VERB", "AUX")] if tagged else []
    short = len(words) <= 2 or (tagged and not verbs and len(words) <= 4)
    if short and len(everything) <= 6:  # "Any ideas?" after a described problem is no fragment
        forms.add("short_question")
    if any(w in ("nobody", "noone") for w in lowers) or _contains(lowers, ("no", "one")):
        forms.add("aside")  # "does nobody use cassette tapes anymore?"
    if any(_contains(lowers, ("why", "would", who)) for who in ROOM_WORDS | {"you", "i"}):
        forms.add("aside")  # "why would anybody believe that?"
    if "?" in doc.text and "?" not in _QUOTED.sub("", doc.text):
        forms.add("aside")  # "`why did they vanish?` maybe ...": quoting someone's question
    sentences = _sentences(doc)
    if asking and asking[-1] is not sentences[-1]:
        after = [t for t in sentences[-1] if not (t.is_punct or t.is_space)]
        if after and after[0].lower_ in _SELF_ANSWERS:
            forms.add("aside")  # "why did they vanish? maybe he removed the wallet file"
    for sent in asking:
        first = [t for t in sent[_after_prefix(sent) :] if not (t.is_punct or t.is_space)]
        if len(first) >= 4 and first[-1].lower_ in _TAGS and first[-2].i + 1 < first[-1].i:
            forms.add("aside")  # "it would have installed otherwise, right?" wants a nod
            continue
        if len(first) >= 2 and first[0].lower_ in AUX and first[1].lower_ in NEGATION:
            forms.add("aside")  # "isn't it a new chain?" expects a yes
        elif first and first[0].lower_ in ("isnt", "arent", "wasnt", "doesnt", "didnt"):
            forms.add("aside")
    return forms


_ASKS_TO_DO = frozenset(
    ("post", "paste", "send", "share", "run", "try", "check", "type", "restart", "dm", "pm")
)


def _instructs(doc: Doc) -> bool:
    """Whether a sentence tells its reader to do something ("please post the log")."""
    for sent in _sentences(doc):
        first = [t for t in sent[_after_prefix(sent) :] if not (t.is_punct or t.is_space)]
        if first and first[0].lower_ in ("please", "pls", "plz"):
            first = first[1:]
        if first and first[0].lower_ in _ASKS_TO_DO and first[0].tag_ in ("VB", "VBP", ""):
            return True
    return False


def _is_asking(sent: Span) -> bool:
    return any("?" in t.text and not t._.assistant_is_link for t in sent) or (
        bool(sent) and sent[_after_prefix(sent) :][:1].text.lower() in WH
    )


def _first_word(sent: Span) -> int:
    """Document index of a sentence's first token after an addressed nick prefix."""
    return sent.start + _after_prefix(sent)


@Language.factory("assistant_topics")
def make_topics(nlp: Language, name: str) -> Topics:
    """Build the topic extractor."""
    return Topics()


class Topics:
    """Key phrases: noun chunks and entities, cleaned of chat noise, lemmatised, lowercased.

    Without a parser, content words stand in for noun chunks; without NER there are no entities.
    """

    def __init__(self) -> None:
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        if doc.has_annotation("DEP"):
            spans.extend(doc.noun_chunks)
        else:
            spans.extend(doc[t.i : t.i + 1] for t in doc if t.is_alpha and not t.is_stop)
        if doc.has_annotation("ENT_IOB"):
            spans.extend(e for e in doc.ents if e.label_ in _ENTITY_LABELS)
        spans.sort(key=lambda s: (s.start, -len(s)))
        topics: list[str] = []
        for span in spans:
            topic = _clean(span)
            if topic and topic not in topics:
                topics.append(topic)
        doc._.assistant_topics = tuple(topics)
        return doc


def _keep(token: Token) -> bool:
    lower = token.lower_
    return not (
        token.is_punct
        or token.is_space
        or token.like_num
        or token._.assistant_is_nick
        or token._.assistant_is_link
        or token.pos_ in ("DET", "PRON", "PART", "CCONJ", "ADP", "INTJ", "SYM", "ADV")
        or lower in PRONOUNS
        or lower in FILLERS
        or lower.startswith(("#", "@", "<"))
        or is_emoji(token.text)
    )


def _clean(span: Span) -> str:
    words = [t for t in span if _keep(t)]
    # Stop words at the edges are determiners and quantifiers the tagger missed ("any", "some").
    while words and words[0].is_stop:
        words.pop(0)
    while words and words[-1].is_stop:
        words.pop()
    if not words or all(t.lower_ in GENERIC_WORDS or t.is_stop for t in words):
        return ""
    if words[0].doc.has_annotation("TAG"):
        nouns = [t for t in words if t.pos_ in ("NOUN", "PROPN", "X")]
        # Adjectives alone ("nice") or around a generic noun ("best way") are no topic.
        if all(t.lower_ in GENERIC_WORDS for t in nouns):
            return ""
    # Only the head is lemmatised: modifiers are singular already ("postgres db", "docs page").
    text = " ".join([*(t.lower_ for t in words[:-1]), _form(words[-1])])
    return text if len(text) > 1 else ""


def _form(token: Token) -> str:
    """The lemma of common nouns (``docs`` -> ``doc``), the lowercased text of the rest."""
    if token.lower_ in SINGULAR_S:
        return token.lower_
    if token.pos_ == "NOUN" and token.lemma_:
        return token.lemma_.lower()
    if not token.pos_ and token.lemma_:
        return token.lemma_.lower()
    return token.lower_
