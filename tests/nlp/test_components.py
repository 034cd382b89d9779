"""Each assistant component on real-looking chat lines: addressees, links, questions, acts."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from assistant.nlp.pipeline import load_pipeline, normalize_text, set_roster

ROSTER = ("dave`", "carol_", "wendy[m]", "sam__", "will", "Matt|away", "ikonia", "apt2")


@pytest.fixture(scope="module")
def nlp() -> Language:
    pipeline = load_pipeline()
    set_roster(pipeline, ROSTER, discord_ids={"81234": "alice", "99": "bob"})
    return pipeline


def _doc(nlp: Language, text: str) -> Doc:
    return nlp(normalize_text(text))


# Addressees


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("dave`: did the upgrade go through?", ("dave`",)),
        ("carol_, wendy[m]: thanks, that fixed it!", ("carol_", "wendy[m]")),
        ("@sam__ nice, thanks!", ("sam__",)),
        ("matt: still there?", ("Matt|away",)),  # the reply linker's nick_key: matt ~ Matt|away
        ("DAVE`: ping", ("dave`",)),
        ("<@!81234> any idea why my build fails on arm64", ("alice",)),
        ("<@99> and <@81234>, standup in 5", ("bob", "alice")),
        ("I think ikonia said to use the hwe kernel", ("ikonia",)),
        ("will: you were right about the firmware", ("will",)),
        ("@newcomer welcome!", ("newcomer",)),  # an explicit @mention counts off-roster too
    ],
)
def test_addressees(nlp: Language, line: str, expected: tuple[str, ...]) -> None:
    assert _doc(nlp, line)._.assistant_addressees == expected


@pytest.mark.parametrize(
    "line",
    [
        "will it work with secure boot enabled?",  # a nick that is also a word, not as a prefix
        "<@555> are you the maintainer?",  # an unknown Discord id resolves to nobody
        "see https://github.com/dave/dotfiles for the config",  # a nick inside a link
        "sudo apt install build-essential",  # apt2 is on the roster: only exact nicks count here
        "matt said it works",  # a loose match (Matt|away) counts only as a prefix
    ],
)
def test_no_addressees(nlp: Language, line: str) -> None:
    assert _doc(nlp, line)._.assistant_addressees == ()


def test_nick_tokens_are_marked(nlp: Language) -> None:
    doc = _doc(nlp, "carol_: ask wendy[m] about #matrix")
    assert [t.text for t in doc if t._.assistant_is_nick] == ["carol_", "wendy[m]"]


# Links


def test_links(nlp: Language) -> None:
    doc = _doc(nlp, "docs: https://docs.python.org/3/whatsnew/3.12.html, mirror at www.example.org")
    assert doc._.assistant_links == (
        "https://docs.python.org/3/whatsnew/3.12.html",
        "www.example.org",
    )
    assert _doc(nlp, "pastebin.com/raw/x8Yq2 has the log")._.assistant_links == (
        "pastebin.com/raw/x8Yq2",
    )
    assert _doc(nlp, "node.js 20 or e.g. deno?")._.assistant_links == ()
    assert _doc(nlp, "<https://example.com/no-embed>")._.assistant_links == (
        "https://example.com/no-embed",
    )


# Questions


@pytest.mark.parametrize(
    "line",
    [
        "anyone tried 24.04 on a raspberry pi 5?",
        "anyone know how to mount an encrypted partition at boot",
        "does the new kernel work with nvidia drivers",
        "how do I get wifi working on a thinkpad x220",
        "is there a way to keep tmux sessions after logout",
        "dave`: can you paste the output of dmesg",
        "hi all, what's the best way to back up a postgres db",
        "why does pip keep reinstalling numpy",
        "any idea why my build fails on arm64",
        "was wondering if the 6.8 kernel fixes suspend",
        "so which version are you on",
        "doesn't it handle that for you",
        "ok. it boots now. but where is the log file",
    ],
)
def test_questions(nlp: Language, line: str) -> None:
    assert _doc(nlp, line)._.assistant_is_question


@pytest.mark.parametrize(
    "line",
    [
        "see https://askubuntu.com/questions/1234/why?tab=votes for the details",
        "what I did was reinstall grub from a live usb",
        "how cool is that!",
        "can't believe that worked",
        "will do, thanks",
        "have fun at the conference",
        "do it from a tty then",
        "right?",
        "you know?",
        "it works now",
        "what a mess",
    ],
)
def test_not_questions(nlp: Language, line: str) -> None:
    assert not _doc(nlp, line)._.assistant_is_question


# Dialogue acts


@pytest.mark.parametrize(
    ("line", "act"),
    [
        ("hey everyone o/", "greeting"),
        ("morning all", "greeting"),
        ("hi, how do I enable ssh on boot?", "greeting"),
        ("good evening", "greeting"),
        ("carol_: hello!", "greeting"),
        ("thanks, that fixed it", "thanks"),
        ("ty dave`", "thanks"),
        ("thank you so much for the patch", "thanks"),
        ("much appreciated 🙏", "thanks"),
        ("can someone help me with postgres replication", "request_for_help"),
        ("I'm stuck on a grub rescue prompt, any help?", "request_for_help"),
        ("i need some help with nginx reverse proxy", "request_for_help"),
        (
            "I just published my new blog post on rust async https://blog.example.org/rust-async",
            "share_own_work",
        ),
        (
            "check out my little tool for tmux layouts: https://github.com/sam/tmuxl",
            "share_own_work",
        ),
        (
            "we released v2.0 of the plugin today https://pypi.org/project/presence-x/",
            "share_own_work",
        ),
        ("+1", "agreed"[:0] or "agreement"),
        ("+1 agreed", "agreement"),
        ("exactly.", "agreement"),
        ("same here", "agreement"),
        ("^ this", "agreement"),
        ("carol_: I totally agree", "agreement"),
        ("good point, I'll change it", "agreement"),
    ],
)
def test_acts(nlp: Language, line: str, act: str) -> None:
    assert act in _doc(nlp, line)._.assistant_acts


@pytest.mark.parametrize(
    ("line", "act"),
    [
        ("morning standup got moved to 10", "greeting"),
        ("hey that broke my build", "greeting"),
        ("the hello world example segfaults", "greeting"),
        ("thanks to the new kernel, suspend works again", "thanks"),
        ("no thanks, I'm fine", "thanks"),
        ("happy to help if you ask nicely", "request_for_help"),
        ("the help page is down again", "request_for_help"),
        ("check out my reply above", "share_own_work"),  # no link
        ("check out this post https://lwn.net/Articles/9999/", "share_own_work"),  # not theirs
        ("exactly which version are you running?", "agreement"),
        ("I don't agree with that at all", "agreement"),
        ("we agreed to ship on friday", "agreement"),
        ("this is broken on wayland", "agreement"),
    ],
)
def test_acts_near_misses(nlp: Language, line: str, act: str) -> None:
    assert act not in _doc(nlp, line)._.assistant_acts


def test_acts_come_in_a_fixed_order(nlp: Language) -> None:
    assert _doc(nlp, "hi all! thanks for the help yesterday")._.assistant_acts == (
        "greeting",
        "thanks",
    )


# Topics


def test_topics_are_lemmatised_and_lowercased(nlp: Language) -> None:
    topics = _doc(nlp, "is there a way to keep tmux sessions alive")._.assistant_topics
    assert topics == ("tmux session",)
    topics = _doc(nlp, "any tips for running postgres replicas on kubernetes")._.assistant_topics
    assert topics == ("postgres replica", "kubernetes")
    topics = _doc(nlp, "what's the best way to back up postgres databases")._.assistant_topics
    assert topics == ("postgres", "database")
    assert "postgres" in _doc(nlp, "we moved from MySQL to postgres")._.assistant_topics


def test_topics_exclude_fillers_pronouns_and_generic_words(nlp: Language) -> None:
    topics = _doc(nlp, "tbh the Python docs are pretty confusing lol")._.assistant_topics
    assert "python doc" in topics
    assert not {"tbh", "lol", "the python docs"} & set(topics)
    topics = _doc(nlp, "fwiw I think this stuff works better on Ubuntu imo")._.assistant_topics
    assert topics == ("ubuntu",)
    assert _doc(nlp, "anyone know a way to do it?")._.assistant_topics == ()


def test_topics_exclude_nicks_links_channels_and_emoji(nlp: Language) -> None:
    doc = _doc(
        nlp,
        "carol_: Dave` said the family emoji 👨‍👩‍👧 breaks in #python-dev, see https://bugs.python.org/issue1",
    )
    topics = doc._.assistant_topics
    assert any(t.startswith("family emoji") for t in topics)
    assert not any(("carol" in t or "dave" in t or "http" in t or "#" in t) for t in topics)


def test_topics_keep_entities_once(nlp: Language) -> None:
    topics = _doc(nlp, "Canonical announced that Ubuntu 24.04 drops Python 2")._.assistant_topics
    assert "canonical" in topics
    assert topics.count("ubuntu") <= 1
    assert len(topics) == len(set(topics))
