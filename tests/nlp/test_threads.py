"""Conversation threads follow reply links, per channel, in bounded memory."""

from __future__ import annotations

from assistant.nlp.threads import ConversationThreads


def test_replies_join_the_conversation_of_what_they_answer() -> None:
    threads = ConversationThreads()
    assert threads.assign("net", "#c", "q1", ()) == "q1"
    assert threads.assign("net", "#c", "q2", ()) == "q2"  # a second conversation meanwhile
    assert threads.assign("net", "#c", "a1", ("q1",)) == "q1"
    assert threads.assign("net", "#c", "a2", ("a1",)) == "q1"  # a reply to the reply
    assert threads.assign("net", "#c", "b1", ("q2",)) == "q2"


def test_channels_are_kept_apart() -> None:
    threads = ConversationThreads()
    threads.assign("net", "#a", "m1", ())
    assert threads.assign("net", "#b", "m2", ("m1",)) == "m1"  # unknown here: named after it
    assert threads.assign("net", "#b", "m3", ("m2",)) == "m1"


def test_memory_is_bounded_and_a_forgotten_root_still_names_the_thread() -> None:
    threads = ConversationThreads(limit=2)
    threads.assign("net", "#c", "root", ())
    threads.assign("net", "#c", "x", ())
    threads.assign("net", "#c", "y", ())  # evicts "root"
    assert threads.assign("net", "#c", "late", ("root",)) == "root"
    assert threads.assign("net", "#c", "after-late", ("late",)) == "root"  # still remembered
    # Only the newest two are kept: "x" is forgotten, so a reply to it is filed under "x".
    assert threads.assign("net", "#c", "to-x", ("x",)) == "x"
