"""Chat-aware tokenization: nicks, #channels, @mentions, Discord markup and emoji stay whole.

spaCy's English tokenizer splits ``dave``` into ``dave`` + ``` `` ```, ``#python`` into ``#`` +
``python`` and a family emoji into its code points; every later rule (addressees, topics) would
then see fragments. A `token_match` that knows the current roster plus prefix/suffix hooks that
leave protected tokens alone (and peel off trailing punctuation one character at a time) fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from spacy.language import Language

__all__ = ["ChatTokenMatch", "configure_tokenizer", "is_emoji"]

# One emoji: a flag (two regional indicators), a keycap, or a pictograph with optional VS16,
# skin tone and tag characters, joined to more of them by ZWJ.
_PICT = (
    r"[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    r"\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001F000-\U0001FAFF]"
)
_MODS = r"[\ufe0f\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]*"
_EMOJI = (
    r"(?:[\U0001F1E6-\U0001F1FF]{2}|[0-9#*]\ufe0f?\u20e3"
    rf"|{_PICT}{_MODS}(?:\u200d{_PICT}{_MODS})*)"
)
_EMOJI_ONE = re.compile(_EMOJI)
_EMOJI_PREFIX = re.compile(rf"^{_EMOJI}")
_EMOJI_SUFFIX = re.compile(rf"{_EMOJI}$")

_NICK_CHARS = r"[\w\[\]\\`^{}|\-]"
_PROTECTED = re.compile(
    "|".join(
        (
            rf"@{_NICK_CHARS}+",  # @mentions
            r"[#&]{1,2}[\w\-+.]*[\w+]",  # #channels, ##channels, &local ones
            r"<@&?\d+>|<#\d+>",  # Discord user/role/channel mention markup
            r"\w+[_`^]+",  # nicks with trailing _ ` ^ (carol_, dave`)
            r"\w+\[\w{1,3}\]",  # bridged nicks (wendy[m])
            _EMOJI,
        )
    )
)
_TRAILING = frozenset(".,:;!?)]}'\"…>")
_LAST_CHAR = re.compile(r".$", re.DOTALL)


class ChatTokenMatch:
    """`token_match` for chat: the roster's nicks (any case) and the chat patterns above."""

    def __init__(self, nicks: Iterable[str] = ()) -> None:
        self.nicks = frozenset(n.lower() for n in nicks if n)

    def __call__(self, text: str) -> bool:
        return text.lower() in self.nicks or _PROTECTED.fullmatch(text) is not None

    def protects(self, text: str) -> bool:
        """Whether ``text``, less up to three trailing punctuation marks, is one chat token."""
        for cut in range(4):
            if cut and (len(text) <= cut or text[-cut] not in _TRAILING):
                return False
            if self(text[: len(text) - cut] if cut else text):
                return True
        return False


class _ChatPrefix:
    """Prefix search that leaves protected tokens alone and peels emoji off as wholes."""

    def __init__(self, default: Callable[[str], Any], match: ChatTokenMatch) -> None:
        self.default = default
        self.match = match

    def __call__(self, text: str) -> Any:
        if self.match.protects(text):
            return None
        emoji = _EMOJI_PREFIX.search(text)
        return emoji if emoji is not None else self.default(text)


class _ChatSuffix:
    """Suffix search that strips one trailing mark from a protected token, and whole emoji."""

    def __init__(self, default: Callable[[str], Any], match: ChatTokenMatch) -> None:
        self.default = default
        self.match = match

    def __call__(self, text: str) -> Any:
        if len(text) > 1 and text[-1] in _TRAILING and self.match.protects(text[:-1]):
            return _LAST_CHAR.search(text)
        if self.match(text):
            return None
        emoji = _EMOJI_SUFFIX.search(text)
        return emoji if emoji is not None else self.default(text)


def configure_tokenizer(nlp: Language, nicks: Iterable[str] = ()) -> None:
    """Install (or refresh for a new roster) the chat rules on ``nlp``'s tokenizer.

    Installing assigns three tokenizer hooks, and each assignment makes spaCy rebuild every
    special case (~0.8 s together); a busy channel changes its roster every few seconds. Once
    installed, the hooks share one nick matcher, so a refresh gives it the new nicks and flushes
    the token cache: a nick that joined since is kept whole from the next message on.
    """
    tokenizer: Any = nlp.tokenizer  # spaCy's Tokenizer is a Cython class; its setters are untyped
    installed = tokenizer.token_match
    if isinstance(installed, ChatTokenMatch) and isinstance(tokenizer.prefix_search, _ChatPrefix):
        installed.nicks = ChatTokenMatch(nicks).nicks
        tokenizer._flush_cache()
        return
    match = ChatTokenMatch(nicks)
    prefix = tokenizer.prefix_search
    suffix = tokenizer.suffix_search
    if isinstance(prefix, _ChatPrefix):
        prefix = prefix.default
    if isinstance(suffix, _ChatSuffix):
        suffix = suffix.default
    tokenizer.token_match = match
    tokenizer.prefix_search = _ChatPrefix(prefix, match)
    tokenizer.suffix_search = _ChatSuffix(suffix, match)


def is_emoji(text: str) -> bool:
    """Whether ``text`` is exactly one emoji sequence (kept out of topics and addressees)."""
    return _EMOJI_ONE.fullmatch(text) is not None
