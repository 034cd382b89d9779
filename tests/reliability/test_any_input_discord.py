"""Any values in the documented fields of Discord's payloads: translation never raises.

Messages, edits, member arrivals, nickname and status changes are built by discord.py itself
from gateway-shaped JSON (a ``discord.Client`` that never connects supplies the state), with
Hypothesis choosing the values of the fields Discord documents: content with any mention and
emoji markup (known, unknown and out-of-range snowflakes), mentions, attachments, embeds,
replies, message types, thread and forum channels, names and statuses. The translator either
gives its event (or None, for what it documents as not news) or nothing: it never raises,
which in the connector would drop the event and log a traceback. Fixed, derandomised budget.
"""

from __future__ import annotations

import itertools
from typing import Any

import discord
from discord.message import Message
from discord.presences import RawPresenceUpdateEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.connectors.discord import translate
from assistant.events import MessageEdited, MessageReceived

NET = "community"
WHEN = "2024-01-07T08:30:00+00:00"
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_ids = itertools.count(1)


def snowflake() -> int:
    return 175928847299117063 + next(_ids)


def user(name: str, uid: int, global_name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": False,
        "public_flags": 0,
        "flags": 0,
    }


def member(uid: int, name: str, nick: str | None = None, global_name: str | None = None) -> Any:
    return {
        "user": user(name, uid, global_name),
        "roles": [],
        "joined_at": WHEN,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": nick,
    }


class World:
    """A guild with a text channel, a thread in it, a forum with a post, and one member."""

    def __init__(self) -> None:
        self.client = discord.Client(intents=discord.Intents.all())
        self.state: Any = self.client._connection
        self.state.user = discord.ClientUser(state=self.state, data=user("presence", snowflake()))
        self.guild_id = snowflake()
        self.general, self.forum, self.thread, self.post = (snowflake() for _ in range(4))
        self.role, self.alice = snowflake(), snowflake()

        def thread(tid: int, name: str, parent: int) -> dict[str, Any]:
            return {
                "id": str(tid),
                "type": 11,
                "parent_id": str(parent),
                "name": name,
                "guild_id": str(self.guild_id),
                "owner_id": str(self.alice),
                "message_count": 1,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": WHEN,
                    "locked": False,
                },
            }

        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": "1071698660929"}
        self.guild = self.state._add_guild_from_data(
            {
                "id": str(self.guild_id),
                "name": "Guild",
                "roles": [everyone, {"id": str(self.role), "name": "mods", "permissions": "0"}],
                "channels": [
                    {"id": str(self.general), "type": 0, "name": "general", "position": 0},
                    {"id": str(self.forum), "type": 15, "name": "help", "position": 1},
                ],
                "threads": [
                    thread(self.thread, "side chat", self.general),
                    thread(self.post, "a post", self.forum),
                ],
                "members": [member(self.alice, "alice", nick="Ally")],
                "presences": [],
                "member_count": 1,
                "large": False,
                "unavailable": False,
                "joined_at": WHEN,
            }
        )

    def channel(self, which: str) -> Any:
        cid = {"general": self.general, "thread": self.thread, "post": self.post}[which]
        return self.guild.get_channel_or_thread(cid)


SNOWFLAKES = st.integers(min_value=0, max_value=2**64 - 1)  # documented: 64-bit unsigned
# What markup may hold: the 15 to 21 digits the mention patterns take, valid or not.
MARKUP_IDS = SNOWFLAKES | st.integers(min_value=10**14, max_value=10**21 - 1)
NAMES = st.text(max_size=40)


@st.composite
def contents(draw: st.DrawFn) -> str:
    """Text with Discord markup mixed in: mentions, roles, channels, custom emoji."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.text(max_size=30),
                st.builds(
                    lambda k, n: f"<{k}{n}>", st.sampled_from(["@", "@!", "@&", "#"]), MARKUP_IDS
                ),
                st.builds(
                    lambda a, name, n: f"<{a}:{name}:{n}>",
                    st.sampled_from(["", "a"]),
                    NAMES,
                    MARKUP_IDS,
                ),
                st.sampled_from(["<", ">", "<@>", "<#>", "<:x:>", "\n", "\x00", "\u202e"]),
            ),
            max_size=8,
        )
    )
    return "".join(pieces)


@st.composite
def message_payloads(draw: st.DrawFn, world: World) -> tuple[Any, dict[str, Any]]:
    where = draw(st.sampled_from(["general", "thread", "post"]))
    channel = world.channel(where)
    message_id = world.post if where == "post" and draw(st.booleans()) else draw(SNOWFLAKES)
    author = draw(
        st.one_of(
            st.just(user("alice", world.alice)),
            st.builds(user, NAMES, SNOWFLAKES, st.none() | NAMES),
        )
    )
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "guild_id": str(world.guild_id),
        "author": author,
        "content": draw(contents()),
        "timestamp": WHEN,
        "edited_timestamp": draw(st.none() | st.just(WHEN)),
        "tts": False,
        "mention_everyone": draw(st.booleans()),
        "mentions": draw(
            st.lists(st.builds(user, NAMES, SNOWFLAKES, st.none() | NAMES), max_size=3)
        ),
        "mention_roles": [str(r) for r in draw(st.lists(SNOWFLAKES, max_size=2))],
        "attachments": [
            {"id": str(a), "filename": name, "size": 1, "url": url, "proxy_url": url}
            for a, name, url in draw(st.lists(st.tuples(SNOWFLAKES, NAMES, NAMES), max_size=2))
        ],
        "embeds": draw(
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"url": NAMES, "title": NAMES, "description": NAMES, "type": NAMES}
                ),
                max_size=2,
            )
        ),
        "pinned": False,
        "type": draw(st.sampled_from([0, 19]) | st.integers(min_value=0, max_value=60)),
        "flags": 0,
    }
    if draw(st.booleans()):
        data["message_reference"] = {
            "message_id": draw(st.none() | SNOWFLAKES.map(str)),
            "channel_id": str(channel.id),
        }
    return channel, data


@PROPERTY
@given(st.data())
def test_any_message_is_translated_or_ignored_never_raised(data: st.DataObject) -> None:
    world = World()
    channel, payload = data.draw(message_payloads(world))
    message = Message(state=world.state, channel=channel, data=payload)  # type: ignore[arg-type]
    event = translate.message_received(NET, message)
    assert event is None or isinstance(event, MessageReceived)
    if event is not None:
        assert event.channel in ("#general", "#help") and event.message_id == payload["id"]
    update = discord.RawMessageUpdateEvent(
        payload | {"content": payload["content"] + " (ed)"}, message
    )
    edited = translate.message_edited(NET, update)
    assert edited is None or isinstance(edited, MessageEdited)


@PROPERTY
@given(
    nick=st.none() | NAMES,
    global_name=st.none() | NAMES,
    name=NAMES,
    new_nick=st.none() | NAMES,
    status=st.sampled_from(["online", "idle", "dnd", "offline", "invisible", "bogus"]),
    custom=st.none() | NAMES,
)
def test_any_member_change_is_translated_never_raised(
    nick: str | None,
    global_name: str | None,
    name: str,
    new_nick: str | None,
    status: str,
    custom: str | None,
) -> None:
    world = World()
    uid = snowflake()
    data = member(uid, name, nick=nick, global_name=global_name)
    before = discord.Member(data=data, guild=world.guild, state=world.state)
    after = discord.Member(data=data | {"nick": new_nick}, guild=world.guild, state=world.state)
    joined = translate.member_joined(NET, before, world.guild.text_channels)
    assert all(event.actor.user_id == str(uid) for event in joined)
    translate.nick_changed(NET, before, after)
    activities = [] if custom is None else [{"type": 4, "name": "Custom Status", "state": custom}]
    presence = {
        "user": {"id": str(uid)},
        "guild_id": str(world.guild_id),
        "status": status,
        "activities": activities,
        "client_status": {},
    }
    # As discord.py applies a PRESENCE_UPDATE to the member.
    after._presence_update(RawPresenceUpdateEvent(data=presence, state=world.state), {})
    changed = translate.presence_changed(NET, before, after)
    assert changed is None or changed.actor.user_id == str(uid)
    left = translate.member_left(NET, after)
    assert left.channel is None
