"""``!missed``: what the owner missed while away, answered privately, to the verified owner only.

The chat goes through the real recorder into each storage backend; the command runs through
the plugin host, and then end to end on InspIRCd with atheme services, where the owner is
known by the account they logged in to (a nick alone never passes for the owner).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from assistant_summaries import SummariesPlugin

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.irc import IrcConnector
from assistant.events import Identity, MessageReceived
from assistant.plugins import PluginHost
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript
from assistant.testing.inspircd import run_inspircd
from assistant.testing.irc_client import SimulatedMember

NET, CHANNEL, QUIET = "libera", "#bloggers", "#quiet"
START = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
NOW = START + timedelta(minutes=40)
QUESTION = "does anyone know a good microphone for recording podcast interviews?"
ANSWERED = "which RSS reader do you all use these days?"
ANSWER = "dave: I use feedly for RSS, it works well on the phone"
LINK = "https://problogger.example/podcast-gear"
SETTINGS = {
    "owner": {"name": "Ann", "identities": [{"platform": "irc", "account": "ann"}]},
    "networks": {NET: {"nick": "presence", "channels": [{"name": CHANNEL}, {"name": QUIET}]}},
    "watchlist": [{"name": "Darren Rowse", "identities": [{"platform": "irc", "nick": "darren"}]}],
    "summaries": {"timezone": "UTC", "formats": []},
}


async def record_away(db: Database) -> None:
    """Ann leaves #bloggers at 08:40 and the chat goes on without her; #quiet stays quiet."""
    chat = ChatScript(NET, start=START, sink=Recorder(db).record)
    ann = chat.who("ann", account="ann")
    for nick in (ann, "darren", "dave", "carol"):
        chat.joined(nick, CHANNEL, already_present=True, at=START)
    chat.joined(ann, QUIET, already_present=True, at=START)
    chat.said(
        ann, "morning all, I'll be back after lunch", CHANNEL, at=START + timedelta(minutes=9)
    )
    chat.said(ann, "nothing to see here", QUIET, at=START + timedelta(minutes=9))
    chat.left(ann, CHANNEL, at=START + timedelta(minutes=10))
    for minute, (who, text) in enumerate(
        [
            ("darren", QUESTION),
            ("dave", ANSWERED),
            ("carol", ANSWER),
            ("darren", f"I wrote up my podcast gear here: {LINK}"),
            ("carol", "darren: nice write-up, the microphone section is great"),
        ],
        start=12,
    ):
        chat.said(who, text, CHANNEL, at=START + timedelta(minutes=minute))
    await db.flush()


class Owner:
    """The plugin host, and what it sent."""

    def __init__(self, host: PluginHost, sent: list[tuple[str, str, str]]) -> None:
        self.host = host
        self.sent = sent

    async def ask(self, text: str, *, account: str | None, nick: str = "ann") -> list[str]:
        actor = Identity("irc", NET, nick, account=account)
        event = MessageReceived(
            platform="irc", network=NET, timestamp=NOW, channel=None, actor=actor, text=text
        )
        before = len(self.sent)
        assert await self.host.handle_command(event)
        replies = self.sent[before:]
        assert replies and all(target == nick for _, target, _ in replies)  # privately
        return [text for _, _, text in replies]


@pytest.fixture
async def owner(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Owner]:
    settings = parse_settings(SETTINGS)
    sent: list[tuple[str, str, str]] = []

    async def send(network: str, target: str, text: str) -> None:
        sent.append((network, target, text))

    async with await open_database(flush_interval=0.01) as db:
        await record_away(db)
        host = PluginHost(settings, db, send, plugin_classes={"summaries": SummariesPlugin})
        await host.start()
        try:
            yield Owner(host, sent)
        finally:
            await host.stop()


async def test_missed_tells_the_owner_what_happened_since_they_left(owner: Owner) -> None:
    head, discussed, *rest = await owner.ask("!missed", account="ann")
    assert head.startswith("While you were away from #bloggers since 08:40 (you left): ")
    assert "1 open question, 5 lines from 3 people." in head
    assert discussed.startswith("Discussed: ")
    assert f"darren asked: “{QUESTION}”" in rest
    assert not any(ANSWERED in line for line in rest)  # carol answered dave
    assert f"Links: {LINK}" in rest
    assert not any(QUIET in line for line in (head, discussed, *rest))  # nothing said there


async def test_missed_for_one_channel_and_a_span(owner: Owner) -> None:
    [head, *_] = await owner.ask("!missed #BLOGGERS 30m", account="ann")
    assert head.startswith("While you were away from #bloggers since 08:40: ")
    assert "5 lines from 3 people" in head
    [quiet] = await owner.ask("!missed #quiet", account="ann")
    assert quiet == "Nothing new while you were away: nothing was said in #quiet since 08:39."


async def test_missed_explains_what_it_cannot_read(owner: Owner) -> None:
    [unknown] = await owner.ask("!missed #nosuch", account="ann")
    assert unknown.startswith("Sorry: no channel #nosuch recorded on libera; known channels: ")
    [bad] = await owner.ask("!missed #bloggers lately", account="ann")
    assert "cannot read the span 'lately'" in bad and "2h, 90m" in bad
    [usage] = await owner.ask("!missed soon later", account="ann")
    assert usage.startswith("Say !missed, !missed #channel or !missed #channel 2h")


async def test_only_the_verified_owner_may_ask(owner: Owner) -> None:
    [refused] = await owner.ask("!missed", account=None)  # the owner's nick, no account
    assert refused == "Sorry, only my owner can use !missed."
    [refused] = await owner.ask("!missed #bloggers", account="mallory", nick="mallory")
    assert refused == "Sorry, only my owner can use !missed."


# --- end to end on a real IRC server -----------------------------------------------------------

WAIT = 10.0


async def identify(member: SimulatedMember, password: str) -> None:
    await member.say("NickServ", f"IDENTIFY {password}")
    await member.wait_for(r"NickServ!\S+ NOTICE \S+ :You are now identified", WAIT)


async def private_lines(member: SimulatedMember, me: str, count: int) -> list[str]:
    got = []
    for _ in range(count):
        line = await member.wait_for(rf"^(@\S+ )?:{me}!\S+ PRIVMSG {member.nick} :", WAIT)
        got.append(line.split(f"PRIVMSG {member.nick} :", 1)[1])
    return got


@pytest.mark.ircd
async def test_missed_on_a_real_irc_server_answers_the_owner_privately(tmp_path: Path) -> None:
    async with run_inspircd(services=True) as server:
        await server.register_account("boss", "bosspw")
        settings = parse_settings(
            {
                "storage": {"path": str(tmp_path / "p.sqlite3"), "flush_interval": 0.02},
                "analysis": {"enabled": False},
                "owner": {"identities": [{"platform": "irc", "account": "boss"}]},
                "summaries": {"formats": []},
                "networks": {
                    "testnet": {
                        "host": server.host,
                        "port": server.port,
                        "tls": False,
                        "nick": "presbot",
                        "channels": [{"name": "#away"}],
                    }
                },
            }
        )
        assistant = Assistant(
            settings, plugin_classes={"summaries": SummariesPlugin}, reconnect_delay=0.05
        )
        await assistant.start()
        boss, darren, impostor = await asyncio.gather(
            *(
                SimulatedMember.connect(server.host, server.port, nick, timeout=WAIT)
                for nick in ("boss", "darren", "bossy")
            )
        )
        try:
            await identify(boss, "bosspw")
            for member in (boss, darren):
                await member.join("#away")
            await asyncio.wait_for(present(assistant, "#away", {"boss", "darren"}), WAIT)
            await boss.say("#away", "back in a bit")
            await boss.part("#away", "lunch")
            # Apart in time from the departure: a line in the same millisecond as it is not
            # reliably counted as missed (seen once; see the session-40 closing note).
            await asyncio.sleep(0.05)
            await darren.say("#away", QUESTION)
            await darren.say("#away", f"I wrote up my podcast gear here: {LINK}")
            await asyncio.wait_for(recorded(assistant, LINK), WAIT)

            await boss.say("presbot", "!missed")
            head, *rest = await private_lines(boss, "presbot", 3)
            assert head.startswith("While you were away from #away since ")
            assert "(you left): " in head and "2 lines from 1 person." in head
            assert f"darren asked: “{QUESTION}”" in rest

            await impostor.say("presbot", "!missed")
            [refused] = await private_lines(impostor, "presbot", 1)
            assert refused == "Sorry, only my owner can use !missed."
        finally:
            for member in (boss, darren, impostor):
                await member.close()
            await assistant.stop()


async def present(assistant: Assistant, channel: str, nicks: set[str]) -> None:
    """Wait until Presence sees ``nicks`` in ``channel`` (whichever joined first)."""
    [connector] = assistant.connectors
    assert isinstance(connector, IrcConnector)
    while not nicks <= set(connector.members(channel)):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def recorded(assistant: Assistant, text: str) -> None:
    """Wait until a line is in the database (which has no event to wait on: it is polled)."""
    sql = "SELECT 1 FROM messages WHERE text LIKE ?"
    while await assistant.db.fetchone(sql, (f"%{text}%",)) is None:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
