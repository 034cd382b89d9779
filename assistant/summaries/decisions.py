"""Decisions and actions without MeetBot: the lines that decide, assign or agree.

Rules over the stored text (no pipeline is loaded, so a long session stays fast):

- a **decision** states what the group will do: "let's move the chat to Thursdays", "we
  agreed to keep the RSS feed", "we decided…", "resolved: …", "decision: …", "+1 from me,
  merging". A "let's…" that asks ("let's…?") is only a proposal;
- an **action** assigns work: "action: bob to update the docs", "bob will update the docs"
  (bob taking part in the session), "I'll take care of the docs", "I will send the draft
  tomorrow", "I'm on it". The one who is to do it is the assignee (the author for "I…");
- an **agreement** is a bare "+1", "agreed", "sounds good", "yes" (the analyzer's
  ``agreement`` act, or those words alone) that follows a proposal: the last substantive
  line before it (within :data:`AGREE_LINES` lines and :data:`AGREE_SECONDS`) by someone
  else, or the line it replies to, or the latest line of the person it addresses, is a
  decision, an action or a proposal ("shall we…?", "how about…", "I suggest…"). A "+1"
  with nothing proposed before it is no agreement.

MeetBot's own ``#agreed`` / ``#action`` commands stay in the meeting minutes: command lines
are never listed here, nor a plain line that a MeetBot item repeats. Procedure ("let's
start", "let's move on") decides nothing. In a scribed meeting the speaker a scribe wrote
a line for is its author.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.events import irc_casefold
from assistant.summaries.discussions import DiscussionMap, Speaker, content_words, is_procedural
from assistant.summaries.model import Decision, KeyLine
from assistant.summaries.still_open import voices
from assistant.summaries.text import json_list

__all__ = [
    "AGREE_LINES",
    "AGREE_SECONDS",
    "PER_HOUR",
    "Found",
    "build_decisions",
    "find_decisions",
]

AGREE_LINES = 4
"""How many substantive lines back an agreement may look for what it agrees with."""
AGREE_SECONDS = 300.0
PER_HOUR = 10
"""The most decisions and actions listed per hour of session (at least this many in all)."""

_PREFIX = re.compile(r"^\s*(?:[.…]+\s*)?(?:@?([\w\-\[\]`|^{}]+)\s*[:,]\s+)?")
_MEETBOT = re.compile(
    r"^\s*#(startmeeting|endmeeting|topic|info|action|agreed?|accept(?:ed)?|reject(?:ed)?|idea|"
    r"link|help|halp|chair|unchair|nick|undo|meetingname)\b\s*(.*?)\s*$",
    re.IGNORECASE,
)
_MEETBOT_ITEMS = frozenset({"agreed", "agree", "accepted", "accept", "action"})
_LABEL = re.compile(
    r"^(?P<label>resolved|resolution|decided|decision|agreed|consensus|action(?:\s+items?)?|"
    r"actions?|todo)\s*[:\-\u2013]\s*(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_DECISION_LABELS = frozenset(
    {"resolved", "resolution", "decided", "decision", "agreed", "consensus"}
)
# Procedure: "let's start", "let's move on", "let's see" decide nothing.
_LETS_NOT = (
    r"(?:see|start|begin|get\s+started|move\s+on|go\s+on|go\b(?!\s+with)|continue|wrap\s+up|"
    r"hope|say|chat|talk|discuss|wait|not\s+forget|recap|review\s+the\s+agenda|pause|look\s+at|"
    r"take\s+a\s+look|walk\s+through|go\s+(?:over|through)|hear|get\s+(?:going|into))\b"
)
_LETS = re.compile(
    rf"(?:^|[,.;!]\s*|\b(?:so|ok|okay|then|alright|right)\s+)let'?s\s+(?!{_LETS_NOT})\w+"
)
_WE_DECIDED = re.compile(
    r"\bwe(?:'ve|\s+have)?\s+(?:all\s+)?(?:agreed|decided|settled)\s+(?:to|that|on)\b|"
    r"\b(?:it'?s|it\s+is|that'?s|that\s+is)\s+(?:decided|settled|agreed)\b|"
    r"\bwe(?:'ll|\s+will|'re\s+going|\s+are\s+going)\s+(?:to\s+)?go\s+with\b|"
    r"\b(?:the\s+)?consensus\s+is\b"
)
_MERGING = re.compile(
    r"(?:^|[,.;!]\s*)(?:i'?m\s+|i\s+am\s+)?(?:merging|merged|shipping|shipped|landing|landed|"
    r"approved|approving)(?:\s+(?:it|this|that|now))?\s*[.!]*\s*$"
)
_AGREE_WORDS = (
    r"\+1|\+\+|👍|agreed|i\s+(?:totally\s+|fully\s+|completely\s+)?agree|sounds\s+good|"
    r"sounds\s+great|sgtm|lgtm|seconded|yes|yep|yeah|yup|sure|ok(?:ay)?|fine\s+by\s+me|"
    r"works\s+for\s+me|good\s+idea|great\s+idea|deal|makes\s+sense|let'?s\s+do\s+(?:it|that)|"
    r"do\s+it|ship\s+it|absolutely|definitely|exactly"
)
_AGREES = re.compile(rf"^(?:{_AGREE_WORDS})(?=$|[\s,.;!:)])")
_CUES = (
    *("let", "agree", "decid", "settled", "resolv", "action", "todo", "consensus", "merg"),
    *("ship", "land", "approv", "'ll", "will", "going to", "can take", "volunteer", "on it"),
    *("with me", " to "),
)
"""Words without which a line neither decides nor assigns (a quick test before the rules)."""
_CUE = re.compile("|".join(re.escape(cue) for cue in _CUES))
_BARE_WORDS = 3
"""An agreement with more content words than this says something of its own."""
_SELF = (
    r"i'?ll|i\s+will|i'?m\s+going\s+to|i\s+am\s+going\s+to|i\s+can\s+take|i\s+volunteer\s+to|"
    r"i'?m\s+on\s+it|leave\s+it\s+with\s+me"
)
_SELF_NOT = (
    r"(?:be|bet|admit|guess|pass|never|miss|probably\s+not|not|have\s+to|need|say|tell\s+you\s+"
    r"what|see|believe|take\s+(?:that\s+as|it\s+as)|stick\s+to|keep\s+(?:that|it)\s+in\s+mind|"
    r"note|mention|go\s+(?:over|through)|talk|explain|share\s+my\s+screen|just|only|drop\s+off|"
    r"leave|head\s+(?:off|out)|be\s+back|brb|quickly|repeat|let\s+you\s+(?:go|finish)|admit)\b"
)
_I_WILL = re.compile(
    rf"(?:^|[,.;:!]\s*|\b(?:and|so|ok|okay|sure|yes|yeah|yep|then|fine|alright|cool|thanks)\s+)"
    rf"(?:{_SELF})(?!\s+{_SELF_NOT})(?:\s+\w|\s*[.!]*$)"
)
_NICK_WILL = re.compile(
    r"^@?([\w\-\[\]`|^{}]+)\s+(?:will|'ll|is\s+going\s+to|to)\s+(?!be\b|need\b|have\b)\w+"
)
_ASSIGNEE = re.compile(r"^@?([\w\-\[\]`|^{}]+)\s*(?:to|will|should|:|-|\u2013)\s+\w")
_PROPOSAL = re.compile(
    r"^(?:so\s+|ok(?:ay)?,?\s+|maybe\s+|then\s+)?(?:"
    r"(?:shall|should|can|could)\s+we\s+(?!move\s+on|go\s+on|start|begin)|"
    r"how\s+about|what\s+about\s+(?:we\b|\w+ing\b)|why\s+don'?t\s+we|what\s+if\s+we|"
    r"we\s+(?:should|could|might\s+as\s+well|ought\s+to)|i\s+(?:propose|suggest|move\s+that)|"
    rf"(?:i\s+think\s+)?we\s+should|proposal\s*:|proposed\s*:|let'?s\s+(?!{_LETS_NOT})|"
    r"(?:pr|patch|pull\s+request|mr)\b.*\b(?:review|merge|look)|please\s+review|ready\s+to\s+merge)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Found:
    """A line that decides, assigns or agrees."""

    index: int
    """Its message's position in the session's rows."""
    person: int
    voice: str
    """Who said it: the writer's nick, or the speaker a scribe wrote it for (casefolded)."""
    kind: str
    """``decision``, ``action`` or ``agreement``."""
    text: str
    assignee: str = ""
    """For an action: who is to do it (a nick as written, or the author's voice)."""
    agrees_with: int | None = None
    """The index of the line it agrees with (a proposal, a decision or an action)."""
    agrees_voice: str = ""
    """Who said the line it agrees with."""


def _agreement_act(message: Mapping[str, Any]) -> bool:
    """Whether the analyzer found the ``agreement`` act in the line."""
    return "agreement" in json_list(message.get("acts"))


def _said(text: str) -> tuple[str, str]:
    """The line without its addressee (or scribe's speaker) prefix, lower-cased; the prefix."""
    plain = text.replace("\u2019", "'").strip()
    prefix = _PREFIX.match(plain)
    if prefix and _LABEL.match(plain[prefix.start(1) if prefix.group(1) else 0 :].lower()):
        prefix = None  # "action: bob to…" is a label, not someone addressed
    addressed = prefix.group(1) or "" if prefix else ""
    rest = plain[prefix.end() :] if prefix else plain
    return rest.strip().lower(), irc_casefold(addressed)


def _classify(said: str, nicks: set[str]) -> tuple[str, str] | None:
    """``(kind, assignee)`` of a line that decides or assigns by its own words, else None.

    ``assignee`` is ``""`` for a decision and ``"*"`` for the author themselves.
    """
    if not said or not _CUE.search(said) or is_procedural(said):
        return None
    label = _LABEL.match(said)
    if label is not None:
        rest = label.group("rest")
        if label.group("label").lower() in _DECISION_LABELS:
            return "decision", ""
        found = _ASSIGNEE.match(rest)
        return "action", found.group(1) if found else ""
    asking = said.rstrip().endswith("?")
    if asking:
        return None
    if _WE_DECIDED.search(said) or _LETS.search(said):
        return "decision", ""
    if _AGREES.match(said) and _MERGING.search(said):
        return "decision", ""
    if _I_WILL.search(said):
        return "action", "*"
    named = _NICK_WILL.match(said)
    if named is not None and irc_casefold(named.group(1)) in nicks:
        return "action", named.group(1)
    return None


def _is_bare_agreement(said: str, agreement: bool) -> bool:
    if said.rstrip().endswith("?"):
        return False
    found = _AGREES.match(said)
    if found is None and not agreement:
        return False
    rest = said[found.end() :] if found else said
    return len(content_words(rest)) <= _BARE_WORDS


def _meetbot_items(messages: Sequence[Mapping[str, Any]]) -> set[str]:
    """The texts of MeetBot ``#agreed`` / ``#action`` items (normalised), listed in minutes."""
    items: set[str] = set()
    for message in messages:
        command = _MEETBOT.match(str(message.get("text") or ""))
        if command and command.group(1).lower() in _MEETBOT_ITEMS and command.group(2):
            items.add(_normal(command.group(2)))
    return items


def _normal(text: str) -> str:
    said = _LABEL.match(text.strip().lower())
    return " ".join((said.group("rest") if said else text.lower()).split()).rstrip(".!")


def find_decisions(
    messages: Sequence[Mapping[str, Any]], counted: set[int] | frozenset[int]
) -> list[Found]:
    """The decisions, actions and agreements of a session's rows, in the order said.

    ``counted`` holds the people whose lines count (Presence itself is left out).
    """
    spoken, _ = voices(messages)
    minutes = (
        _meetbot_items(messages)
        if any(str(m.get("text") or "").lstrip().startswith("#") for m in messages)
        else set()
    )
    nicks = {irc_casefold(str(m["nick"])) for m in messages}
    by_key: dict[str, int] = {}
    latest: dict[str, int] = {}  # voice → index of their latest substantive line
    proposals: dict[int, str] = {}  # index → kind ("proposal", "decision", "action")
    recent: list[int] = []  # substantive lines, newest last
    found: list[Found] = []
    for index, message in enumerate(messages):
        text = str(message.get("text") or "")
        if message.get("key") is not None:
            by_key[str(message["key"])] = index
        pid = int(message["person_id"])
        if message.get("deleted") or not text.strip() or pid not in counted:
            continue
        if _MEETBOT.match(text):
            continue  # MeetBot's commands are in the minutes
        voice = spoken[index]
        said, addressed = _said(text)
        if voice != irc_casefold(str(message["nick"])):
            addressed = ""  # a scribe's prefix names the speaker, not an addressee
        classified = _classify(said, nicks)
        bare = classified is None and _is_bare_agreement(said, _agreement_act(message))
        if bare or (classified is not None and _AGREES.match(said)):
            target = _agreed_with(
                messages, index, spoken, addressed, proposals, recent, latest, by_key
            )
        else:
            target = None
        if bare:
            if target is not None:
                found.append(
                    Found(
                        index,
                        pid,
                        voice,
                        "agreement",
                        text,
                        agrees_with=target,
                        agrees_voice=spoken[target],
                    )
                )
            continue  # a bare agreement proposes nothing of its own
        if is_procedural(text):
            continue
        if classified is not None and _normal(said) not in minutes:
            kind, assignee = classified
            found.append(
                Found(
                    index,
                    pid,
                    voice,
                    kind,
                    text,
                    assignee=voice if assignee == "*" else assignee,
                    agrees_with=target,
                    agrees_voice="" if target is None else spoken[target],
                )
            )
            proposals[index] = kind
        elif _PROPOSAL.match(said) and len(content_words(said)) >= 2:
            proposals[index] = "proposal"
        recent.append(index)
        latest[voice] = index
    return found


def _agreed_with(
    messages: Sequence[Mapping[str, Any]],
    index: int,
    spoken: Sequence[str],
    addressed: str,
    proposals: Mapping[int, str],
    recent: Sequence[int],
    latest: Mapping[str, int],
    by_key: Mapping[str, int],
) -> int | None:
    """What a bare agreement agrees with, or None when nothing was proposed just before."""
    at = float(messages[index]["at"])
    voice = spoken[index]

    def fits(target: int | None) -> bool:
        return (
            target is not None
            and target in proposals
            and spoken[target] != voice
            and at - float(messages[target]["at"]) <= AGREE_SECONDS
        )

    for key in json_list(messages[index].get("reply_to")):
        target = by_key.get(key)
        if fits(target):
            return target
    if addressed:
        target = latest.get(addressed)
        return target if fits(target) else None
    for target in reversed(recent[-AGREE_LINES:]):
        if spoken[target] == voice:
            continue  # the agreer's own earlier line
        return target if fits(target) else None  # the line just before must propose
    return None


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def build_decisions(
    messages: Sequence[Mapping[str, Any]],
    speakers: Mapping[int, Speaker],
    mapped: DiscussionMap,
    hours: float,
) -> tuple[Decision, ...]:
    """The session's decisions, actions and agreements, ready for the summary, in time order.

    ``speakers`` names the people who count. At most :data:`PER_HOUR` per hour of session
    are kept: decisions first, then actions, then agreements, notable members first.
    """
    found = find_decisions(messages, frozenset(speakers))
    most = max(PER_HOUR, math.ceil(PER_HOUR * hours - 1e-9))
    if len(found) > most:
        order = {"decision": 0, "action": 1, "agreement": 2}
        found = sorted(
            found, key=lambda f: (order[f.kind], not speakers[f.person].notable, f.index)
        )[:most]
        found.sort(key=lambda f: f.index)
    nicks = {irc_casefold(str(m["nick"])): int(m["person_id"]) for m in messages}

    def shown(voice: str) -> Speaker:
        """How a voice is shown: its person when it is one who took part, else as said."""
        pid = nicks.get(voice)
        return speakers[pid] if pid is not None and pid in speakers else Speaker(voice)

    decisions = []
    for item in found:
        message = messages[item.index]
        author = shown(item.voice)
        assignee = shown(irc_casefold(item.assignee)).name if item.assignee else ""
        if assignee and irc_casefold(item.assignee) not in nicks:
            assignee = item.assignee  # a name as written, not a nick of the session
        agreed = None
        if item.agrees_with is not None:
            target = messages[item.agrees_with]
            agreed = KeyLine(
                _at(float(target["at"])), shown(item.agrees_voice).name, str(target["text"])
            )
        where = mapped.of_message.get(item.index)
        if where is None and item.agrees_with is not None:
            where = mapped.of_message.get(item.agrees_with)
        decisions.append(
            Decision(
                at=_at(float(message["at"])),
                person=author.name,
                kind=item.kind,
                text=str(message["text"]),
                notable=author.notable,
                assignee=assignee,
                agrees_with=agreed,
                discussion="" if where is None else mapped.discussions[where].headline,
            )
        )
    return tuple(decisions)
