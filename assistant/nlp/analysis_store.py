"""Where finished analyses go: one row per message in ``message_analyses``, and an event.

Each result is written through the database's one writer, after the message row it belongs
to (the recorder queued that first), gets its conversation thread from the reply links, and
is published as a :class:`~assistant.events.MessageAnalyzed` through the callback the app
gives. Nothing here waits: rows are queued on the writer, events handed to the callback.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.events import MessageAnalyzed, MessageReceived
from assistant.nlp.threads import ConversationThreads
from assistant.nlp.worker_messages import Request, Result
from assistant.storage.database import Database

__all__ = ["AnalysisStore"]

log = logging.getLogger(__name__)

# The message row is found by what the recorder wrote (it writes by key, without ids): the
# first row of that channel, author, time and text that has no analysis yet, so two equal
# lines said in the same instant get one analysis each.
_NETWORK = "(SELECT id FROM networks WHERE name = ?1)"
_CHANNEL = f"(SELECT id FROM channels WHERE network_id = {_NETWORK} AND key = ?2)"
_IDENTITY = f"(SELECT id FROM identities WHERE network_id = {_NETWORK} AND key = ?3)"
_INSERT_ANALYSIS = (
    "INSERT INTO message_analyses (message_id, key, topics, is_question, addressees, links, "
    "acts, reply_to, thread, analyzed_at) "
    "SELECT m.id, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?13 FROM messages AS m "
    f"WHERE m.channel_id = {_CHANNEL} AND m.identity_id = {_IDENTITY} AND m.at = ?4 "
    "AND m.text = ?5 "
    "AND NOT EXISTS (SELECT 1 FROM message_analyses AS a WHERE a.message_id = m.id) "
    "ORDER BY m.id LIMIT 1"
)


class AnalysisStore:
    """Stores and publishes analyses, in the order the messages were said."""

    def __init__(self, db: Database, publish: Callable[[MessageAnalyzed], None]) -> None:
        self._db = db
        self._publish = publish
        self._threads = ConversationThreads()

    def store(
        self,
        requests: Sequence[Request],
        messages: Sequence[MessageReceived],
        results: Sequence[Result],
        links: Sequence[tuple[str, ...]] | None,
    ) -> int:
        """Queue a row and publish an event per message; return how many were stored.

        ``links`` (the reply linker's answer) replaces each result's explicit links when given.
        """
        if links is not None:
            results = [
                replace(result, reply_to=reply_to)
                for result, reply_to in zip(results, links, strict=True)
            ]
        submit = self._db.writer.submit
        now = time.time()
        publish = self._publish
        for request, message, result in zip(requests, messages, results, strict=True):
            thread = self._threads.assign(
                result.network, result.channel, result.key, result.reply_to
            )
            submit(
                (
                    _INSERT_ANALYSIS,
                    (
                        result.network,
                        result.channel,
                        message.actor.key,
                        request.at.timestamp(),
                        request.text,
                        result.key,
                        json.dumps(result.topics),
                        int(result.is_question),
                        json.dumps(result.addressees),
                        json.dumps(result.links),
                        json.dumps(result.acts),
                        json.dumps(result.reply_to),
                        now,
                        thread,
                    ),
                )
            )
            try:
                publish(
                    MessageAnalyzed(
                        platform=message.platform,
                        network=result.network,
                        timestamp=request.at,
                        # Only channel messages are analysed: the channel is always set.
                        channel=message.channel or result.channel,
                        message_id=result.key,
                        message=message,
                        topics=result.topics,
                        is_question=result.is_question,
                        addressees=result.addressees,
                        links=result.links,
                        acts=result.acts,
                        reply_to=result.reply_to,
                        thread=thread,
                    )
                )
            except Exception:
                log.exception("analysis: publishing a result failed")
        return len(results)
