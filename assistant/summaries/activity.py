"""What happened in a session, from its messages and stays: the core sections of a summary.

Attendance (notable members first, exact lines said), topics, questions nobody else
answered, links, the owner's exchanges, follow-ups and the timeline picture's rows are all
derived here from plain rows, without a database, so they are easy to test and fast
(a 5,000-message session takes milliseconds).

A question is answered when a later message of the session by another person links to it
as a reply (the analyzer's ``reply_to``, or the platform's reply reference). Messages that
were never analysed fall back to plain rules: a line ending in "?" is a question, an URL
is a link, and a line starting with the asker's nick answers them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from assistant.events import irc_casefold
from assistant.summaries.decisions import build_decisions
from assistant.summaries.discussions import (
    DiscussionMap,
    Speaker,
    is_chatter,
    is_talk,
    map_discussions,
    names_said,
    written_as,
)
from assistant.summaries.members import member_parts
from assistant.summaries.model import (
    AttendanceRow,
    Decision,
    Discussion,
    Exchange,
    FollowUp,
    Link,
    MemberPart,
    MemberTopics,
    PersonActivity,
    Question,
    TopicCount,
)
from assistant.summaries.roles import KnownIdentity, Roles
from assistant.summaries.still_open import Asked, asked_questions, still_open
from assistant.summaries.text import json_list

__all__ = ["Activity", "build_activity"]

_URL = re.compile(r"https?://[^\s<>\"']+")
_NICK_PREFIX = re.compile(r"^\s*@?([^\s:,]+)[:,]")
MEMBER_TOPICS = 5


@dataclass(slots=True)
class Activity:
    """The derived sections, ready to go into a ``Summary``."""

    attendance: tuple[AttendanceRow, ...] = ()
    lines: int = 0
    discussions: tuple[Discussion, ...] = ()
    topics: tuple[TopicCount, ...] = ()
    member_topics: tuple[MemberTopics, ...] = ()
    unanswered: tuple[Question, ...] = ()
    members: tuple[MemberPart, ...] = ()
    links: tuple[Link, ...] = ()
    decisions: tuple[Decision, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    timeline: tuple[PersonActivity, ...] = ()


@dataclass(slots=True)
class _Person:
    id: int
    identities: list[KnownIdentity] = field(default_factory=list)
    nick_lines: Counter[str] = field(default_factory=Counter)
    last_nick: str = ""
    stays: list[tuple[float, float]] = field(default_factory=list)
    ticks: list[float] = field(default_factory=list)
    lines: int = 0
    first_words: str = ""
    last_words: str = ""
    topics: Counter[str] = field(default_factory=Counter)
    watch_name: str | None = None
    owner: bool = False

    @property
    def name(self) -> str:
        if self.nick_lines:
            return self.nick_lines.most_common(1)[0][0]
        return self.last_nick or f"person {self.id}"


def _dt(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _merge(stays: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(stays):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _people(data: dict[str, Any], roles: Roles) -> dict[int, _Person]:
    start, end = float(data["start"]), float(data["end"])
    people: dict[int, _Person] = {}

    def get(pid: int) -> _Person:
        found = people.get(pid)
        if found is None:
            found = people[pid] = _Person(pid)
        return found

    for ident in data["identities"]:
        get(int(ident["person_id"])).identities.append(
            KnownIdentity(str(ident["nick"]), ident["account"], ident["user_id"])
        )
    for stay in data["stays"]:
        person = get(int(stay["person_id"]))
        left = end if stay["left_at"] is None else min(float(stay["left_at"]), end)
        person.stays.append((max(float(stay["joined_at"]), start), left))
        person.last_nick = str(stay["nick"])
    for message in data["messages"]:
        if message["deleted"]:  # as the sessions work counts lines: what is still there
            continue
        person = get(int(message["person_id"]))
        person.lines += 1
        person.nick_lines[str(message["nick"])] += 1
        person.ticks.append(float(message["at"]))
        person.first_words = person.first_words or str(message["text"])
        person.last_words = str(message["text"])
        if is_talk(str(message["text"])):  # "q+", "ack bob", "voip: mute 301" name nothing
            person.topics.update(json_list(message["topics"]))
    for pid, person in list(people.items()):
        if roles.is_presence(person.identities) and not roles.is_owner(person.identities):
            del people[pid]
            continue
        person.owner = roles.is_owner(person.identities)
        person.watch_name = roles.watch_name(pid, person.identities)
    return people


def _attendance(
    people: dict[int, _Person], start: float, end: float, stored: dict[int, dict[str, Any]]
) -> list[AttendanceRow]:
    rows = []
    for person in people.values():
        stays = _merge(person.stays)
        if stays:
            arrived, left = stays[0][0], stays[-1][1]
            seconds = sum(b - a for a, b in stays)
        elif person.ticks:
            arrived, left = person.ticks[0], person.ticks[-1]
            seconds = left - arrived
        else:
            continue
        left_at: float | None = None if left >= end and stays else left
        lines = person.lines
        saved = stored.get(person.id)
        if saved is not None:  # the sessions work stored attendance: it is the reference
            arrived = float(saved["arrived_at"]) if saved["arrived_at"] is not None else arrived
            left_at = None if saved["left_at"] is None else float(saved["left_at"])
            lines = int(saved["lines"])
            seconds = float(saved.get("present_seconds", seconds))
        rows.append(
            AttendanceRow(
                person_id=person.id,
                name=person.name,
                notable=person.watch_name is not None,
                watch_name=person.watch_name or "",
                is_owner=person.owner,
                arrived_at=_dt(arrived),
                left_at=None if left_at is None else _dt(left_at),
                minutes_present=round(seconds / 60, 1),
                lines=lines,
                first_words=person.first_words,
                last_words=person.last_words,
            )
        )
    rows.sort(key=lambda r: (not r.notable, -r.lines, r.arrived_at or _dt(start), r.name))
    return rows


def _questions_and_replies(
    messages: list[dict[str, Any]], people: dict[int, _Person]
) -> tuple[list[int], set[int], dict[int, set[int]]]:
    """Return the questions (message indices), those another person replied to, and, per
    message index, the messages it replies to."""
    by_key: dict[str, int] = {}
    by_platform_id: dict[str, int] = {}
    nick_owner: dict[str, int] = {}
    replies_to: dict[int, set[int]] = defaultdict(set)
    answered: set[int] = set()
    questions: list[int] = []
    open_set: set[int] = set()
    latest: dict[int, int] = {}  # person → index of their latest message
    for index, message in enumerate(messages):
        pid = int(message["person_id"])
        nick_owner[irc_casefold(str(message["nick"]))] = pid
        targets: set[int] = set()
        for key in json_list(message["reply_to"]):
            if key in by_key:
                targets.add(by_key[key])
        if message["platform_reply"] and message["platform_reply"] in by_platform_id:
            targets.add(by_platform_id[message["platform_reply"]])
        if message["key"] is None:
            prefix = _NICK_PREFIX.match(str(message["text"]))
            addressed = nick_owner.get(irc_casefold(prefix.group(1))) if prefix else None
            # Addressing the asker answers their question only while it is their latest line.
            if addressed is not None and latest.get(addressed) in open_set:
                targets.add(latest[addressed])
        for target in targets:
            if int(messages[target]["person_id"]) != pid:
                answered.add(target)
        replies_to[index] = targets
        latest[pid] = index
        if message["key"] is not None:
            by_key[str(message["key"])] = index
        if message["message_id"]:
            by_platform_id[str(message["message_id"])] = index
        if message["kind"] == "notice" or message["deleted"]:
            continue
        is_question = (
            bool(message["is_question"])
            if message["key"] is not None
            else str(message["text"]).rstrip().endswith("?")
        )
        if is_question and pid in people:
            questions.append(index)
            open_set.add(index)
    return questions, answered, replies_to


def _discussion_of(messages: list[dict[str, Any]], index: int, mapped: DiscussionMap) -> str:
    """The headline of a line's discussion; for a line in none, of the one under way then."""
    where = mapped.of_message.get(index)
    if where is not None:
        return mapped.discussions[where].headline
    at = float(messages[index]["at"])
    around = [
        d for d in mapped.discussions if d.started_at.timestamp() <= at <= d.ended_at.timestamp()
    ]
    return max(around, key=lambda d: d.lines).headline if around else ""


def _question(
    messages: list[dict[str, Any]],
    asked: Asked,
    people: dict[int, _Person],
    mapped: DiscussionMap,
) -> Question:
    person = people[asked.person]
    discussion = _discussion_of(messages, asked.index, mapped)
    own = irc_casefold(person.name) == asked.voice or any(
        irc_casefold(i.nick) == asked.voice for i in person.identities
    )
    return Question(
        at=_dt(float(messages[asked.index]["at"])),
        asker=person.name if own else asked.voice,
        text=asked.text,
        notable=own and person.watch_name is not None,
        discussion=discussion,
        answered=asked.answered,
    )


def _links(messages: list[dict[str, Any]], people: dict[int, _Person]) -> list[tuple[int, Link]]:
    """Each link shared (the first time), with the id of the person who shared it."""
    seen: set[str] = set()
    links = []
    for message in messages:
        person = people.get(int(message["person_id"]))
        if person is None or message["deleted"]:
            continue
        urls = (
            json_list(message["links"])
            if message["key"] is not None
            else _URL.findall(str(message["text"]))
        )
        for url in urls:
            if url not in seen:
                seen.add(url)
                links.append(
                    (
                        person.id,
                        Link(
                            _dt(float(message["at"])),
                            person.name,
                            url,
                            person.watch_name is not None,
                        ),
                    )
                )
    return links


def _exchanges(
    messages: list[dict[str, Any]],
    people: dict[int, _Person],
    replies: dict[int, set[int]],
    mapped: DiscussionMap,
) -> tuple[list[Exchange], dict[int, int]]:
    """Count the owner's messages to each person and theirs to the owner, and say what
    they were about (the discussions those lines were in, most exchanged first).

    Also returns, per person, the index of their last message to the owner that the owner
    did not address afterwards (a follow-up).
    """
    owners = {pid for pid, p in people.items() if p.owner}
    if not owners:
        return [], {}
    nick_person: dict[str, int] = {}
    for pid, person in people.items():
        for ident in person.identities:
            nick_person[irc_casefold(ident.nick)] = pid
    out: Counter[int] = Counter()
    back: Counter[int] = Counter()
    about: dict[int, Counter[str]] = defaultdict(Counter)
    waiting: dict[int, int] = {}
    for index, message in enumerate(messages):
        pid = int(message["person_id"])
        if pid not in people:
            continue
        addressed = {nick_person.get(irc_casefold(n)) for n in json_list(message["addressees"])}
        if message["key"] is None:
            prefix = _NICK_PREFIX.match(str(message["text"]))
            if prefix:
                addressed.add(nick_person.get(irc_casefold(prefix.group(1))))
        addressed |= {int(messages[t]["person_id"]) for t in replies.get(index, ())}
        addressed.discard(None)
        addressed.discard(pid)
        if pid in owners:
            for target in addressed:
                if target is not None and target in people and target not in owners:
                    out[target] += 1
                    about[target][_discussion_of(messages, index, mapped)] += 1
                    waiting.pop(target, None)
        elif addressed & owners:
            back[pid] += 1
            about[pid][_discussion_of(messages, index, mapped)] += 1
            waiting[pid] = index
    exchanges = [
        Exchange(
            person=people[pid].name,
            notable=people[pid].watch_name is not None,
            owner_to_them=out[pid],
            them_to_owner=back[pid],
            discussions=tuple(h for h, _ in about[pid].most_common() if h),
        )
        for pid in set(out) | set(back)
    ]
    exchanges.sort(key=lambda e: (not e.notable, -(e.owner_to_them + e.them_to_owner), e.person))
    return exchanges, waiting


def _names_someone(topic: str, names: frozenset[str]) -> bool:
    """Whether a topic is, or holds, a participant's name ("kim", "daniel hardman")."""
    return topic.replace(" ", "") in names or any(word in names for word in topic.split())


def build_activity(data: dict[str, Any], roles: Roles, top_topics: int = 10) -> Activity:
    """Derive attendance, topics, questions, links, decisions, exchanges and timeline from rows."""
    start, end = float(data["start"]), float(data["end"])
    people = _people(data, roles)
    stored = {int(r["person_id"]): r for r in data.get("stored_attendance", [])}
    attendance = _attendance(people, start, end, stored)
    messages: list[dict[str, Any]] = data["messages"]
    questions, replied, replies = _questions_and_replies(messages, people)
    speakers = {row.person_id: Speaker(row.label, row.notable) for row in attendance}
    mapped = map_discussions(messages, speakers)
    asked = asked_questions(messages, questions, replied, frozenset(people))
    notable = frozenset(pid for pid, p in people.items() if p.watch_name is not None)
    unanswered = [
        _question(messages, a, people, mapped)
        for a in still_open(asked, notable, (end - start) / 3600)
    ]
    shared = _links(messages, people)
    links = [link for _, link in shared]
    asked_by_notables = []
    for a in asked:
        if a.person in notable:
            question = _question(messages, a, people, mapped)
            if question.asker == people[a.person].name:  # not one a scribe wrote for another
                asked_by_notables.append((a.person, a.index, question))
    members = member_parts(messages, attendance, mapped, asked_by_notables, shared)
    decisions = build_decisions(messages, speakers, mapped, (end - start) / 3600)
    exchanges, waiting = _exchanges(messages, people, replies, mapped)
    # A participant's name said in talk ("katryna (13)", "daniel hardman") is no topic, nor
    # a greeting ("evening (2)").
    names = names_said(messages, speakers)
    for person in people.values():
        for topic in [t for t in person.topics if _names_someone(t, names) or is_chatter(t)]:
            del person.topics[topic]
    totals: Counter[str] = Counter()
    for person in people.values():
        totals.update(person.topics)
    # The phrases most raised: a lone word said once is not one ("cuppa (1)", "site (1)"),
    # while a phrase of several words names something even said once ("Rode PodMic").
    totals = Counter({topic: n for topic, n in totals.items() if n > 1 or " " in topic})
    talk = [str(m["text"]) for m in messages if is_talk(str(m["text"]))]

    @cache
    def written(topic: str) -> str:
        """A topic (its words lemmas) as the session wrote it: "data", not "datum"."""
        return written_as(topic, talk)

    by_person = {row.person_id: row for row in attendance}
    member_topics = tuple(
        MemberTopics(
            row.label,
            tuple(
                TopicCount(written(t), n)
                for t, n in people[row.person_id].topics.most_common(MEMBER_TOPICS)
            ),
        )
        for row in attendance
        if row.notable and people[row.person_id].topics
    )
    follow_ups = [
        FollowUp(f"Answer {q.asker}'s question: “{q.text}”", q.asker)
        for q in unanswered
        if q.notable
    ]
    follow_ups += [
        FollowUp(f"Reply to {people[pid].name}: “{messages[index]['text']}”", people[pid].name)
        for pid, index in waiting.items()
    ]
    follow_ups += [
        FollowUp(f"Read what {link.person} shared: {link.url}", link.person)
        for link in links
        if link.notable
    ]
    timeline = tuple(
        PersonActivity(
            name=row.label,
            notable=row.notable,
            intervals=tuple((_dt(a), _dt(b)) for a, b in _merge(people[row.person_id].stays)),
            ticks=tuple(_dt(t) for t in people[row.person_id].ticks),
        )
        for row in attendance
        if row.person_id in by_person
    )
    return Activity(
        attendance=tuple(attendance),
        lines=sum(row.lines for row in attendance),
        discussions=mapped.discussions,
        topics=tuple(TopicCount(written(t), n) for t, n in totals.most_common(top_topics)),
        member_topics=member_topics,
        unanswered=tuple(unanswered),
        members=members,
        links=tuple(links),
        decisions=decisions,
        exchanges=tuple(exchanges),
        follow_ups=tuple(follow_ups),
        timeline=timeline,
    )
