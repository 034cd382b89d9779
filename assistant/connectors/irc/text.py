"""Text as IRC carries it: formatting codes, undecodable bytes, line breaks, the 512-byte limit.

Incoming text is cleaned once for recording and NLP (the raw line stays on the event); outgoing
text is made safe as one IRC parameter and cut on a byte budget, because a CR or LF would start
a new command and the server silently truncates what does not fit.
"""

from __future__ import annotations

import functools
import re

from assistant.events import irc_casefold

__all__ = ["casefold", "decode_bytes", "sanitize", "split_message", "strip_formatting"]

# mIRC colours: \x03 then up to two digits, optionally ",bg" with up to two digits; \x04 is the
# hex-colour variant. The other codes are single toggles (bold, italic, underline, strike,
# monospace, reverse, reset).
_FORMATTING = re.compile(
    r"\x03(?:\d{1,2}(?:,\d{1,2})?)?"
    r"|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?"
    r"|[\x02\x0f\x11\x16\x1d\x1e\x1f]"
)
_LINE_BREAKS = re.compile(r"[\r\n]+")


@functools.lru_cache(maxsize=4096)
def casefold(name: str) -> str:
    """:func:`~assistant.events.irc_casefold`, remembered for the nicks and channels seen lately.

    Every line folds the same few names ten times or more (the source, our own nick, the
    channel, each roster and account lookup); during a flood that was a twentieth of the CPU.
    """
    return irc_casefold(name)


def strip_formatting(text: str) -> str:
    """Remove mIRC bold/colour/etc. codes so recorded text and NLP see only the words."""
    if text.isprintable():  # every formatting code is a control character: nothing to strip
        return text
    return _FORMATTING.sub("", text)


def decode_bytes(data: bytes) -> str:
    """Decode one IRC line as UTF-8, falling back to latin-1 so that no byte sequence is fatal."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sanitize(text: str) -> str:
    """Make ``text`` safe as one IRC parameter: line breaks become a space, NUL is dropped.

    A CR or LF in outgoing text would end the command and let the rest run as a new one.
    """
    return _LINE_BREAKS.sub(" ", text).replace("\x00", "")


def split_message(text: str, budget_bytes: int = 400) -> list[str]:
    """Split ``text`` into chunks of at most ``budget_bytes`` UTF-8 bytes, never inside a character.

    Servers silently truncate lines over 512 bytes, so long text must be cut by bytes, not
    characters. A cut prefers the last space of a chunk (the space is dropped) when that keeps
    at least half the budget; otherwise the word is cut at a character boundary.
    """
    if budget_bytes < 4:
        raise ValueError("budget_bytes must be at least 4 (the longest UTF-8 character)")
    chunks: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > budget_bytes:
        encoded = rest.encode("utf-8")[:budget_bytes]
        head = encoded.decode("utf-8", errors="ignore")  # drops a trailing partial character
        cut = head.rfind(" ")
        if cut > 0 and len(head[:cut].encode("utf-8")) >= budget_bytes // 2:
            chunks.append(head[:cut])
            rest = rest[cut + 1 :]
        else:
            chunks.append(head)
            rest = rest[len(head) :]
    if rest or not chunks:
        chunks.append(rest)
    return chunks
