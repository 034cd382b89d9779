"""Conversation threads: which conversation each message belongs to, from its reply links.

A message that answers an earlier one joins that message's conversation; one that starts a
new conversation opens its own, named after its key. Summaries and openings then speak of
"the thread problogger started" instead of single lines. Only recent messages are kept, so
memory stays bounded on channels that talk for weeks; a reply to a forgotten message is
filed under that message's key, which is the best name left for its conversation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

__all__ = ["ConversationThreads"]


class ConversationThreads:
    """Assign messages, in order, to conversation threads named by their first message's key."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._threads: OrderedDict[tuple[str, str, str], str] = OrderedDict()

    def assign(self, network: str, channel: str, key: str, reply_to: Sequence[str]) -> str:
        """Return the thread of message ``key`` given the keys it answers (empty: a new one)."""
        thread = key
        for antecedent in reply_to:
            known = self._threads.get((network, channel, antecedent))
            if known is not None:
                thread = known
                break
        else:
            if reply_to:
                thread = reply_to[0]
        self._threads[network, channel, key] = thread
        if len(self._threads) > self.limit:
            self._threads.popitem(last=False)
        return thread
