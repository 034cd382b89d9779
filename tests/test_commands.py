"""Chat commands become data, run safely, and trust only the verified owner."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from assistant import CommandContext, Identity, MessageReceived, Plugin, Settings, command
from assistant.commands import (
    CommandError,
    CommandTable,
    collect_commands,
    is_verified_owner,
)
from assistant.config import parse_settings
from assistant.plugins import PluginError, PluginHost
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

WHEN = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)
OWNER = parse_settings(
    {
        "owner": {
            "identities": [
                {"platform": "irc", "network": "libera", "account": "carol", "nick": "carol"},
                {"platform": "discord", "user_id": "4242"},
            ]
        }
    }
)


class Sent:
    """A send callable that remembers what was sent."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, str]] = []

    async def __call__(self, network: str, target: str, text: str) -> None:
        self.lines.append((network, target, text))

    @property
    def texts(self) -> list[str]:
        return [text for _, _, text in self.lines]


def message(
    text: str,
    *,
    nick: str = "alice",
    account: str | None = None,
    channel: str | None = "#chan",
    platform: str = "irc",
    network: str = "libera",
    user_id: str | None = None,
    kind: Any = "message",
) -> MessageReceived:
    actor = Identity(platform, network, nick, account=account, user_id=user_id)
    return ChatScript(network, platform).said(actor, text, channel, kind, at=WHEN)


class Tools(Plugin):
    """A plugin with a few commands, to look at from the outside."""

    @command("echo", example="!echo hello")
    async def echo(self, cmd: CommandContext) -> None:
        """Repeat what you said.

        Longer explanation that is not part of the one-line help.
        """
        await cmd.reply(cmd.args or "(nothing)")

    @command("shutdown", example="!shutdown", owner_only=True)
    async def shutdown(self, cmd: CommandContext) -> None:
        """Pretend to do something only the owner may do."""
        await cmd.reply("done, boss")

    @command("whisper", example="!whisper hello")
    async def whisper(self, cmd: CommandContext) -> None:
        """Repeat what you said, to you alone."""
        await cmd.reply_privately(cmd.args)

    @command("boom", example="!boom")
    async def boom(self, cmd: CommandContext) -> None:
        """Always fail."""
        raise RuntimeError("kaboom")


def table_with_tools() -> CommandTable:
    table = CommandTable()
    table.add(collect_commands("tools", Tools(None)))  # type: ignore[arg-type]
    return table


async def dispatch(
    table: CommandTable, event: MessageReceived, settings: Settings = OWNER
) -> tuple[bool, Sent, Counter[str]]:
    sent, errors = Sent(), Counter[str]()
    handled = await table.dispatch(event, settings=settings, send=sent, errors=errors)
    return handled, sent, errors


def test_decorated_methods_become_command_data() -> None:
    plugin = Tools(None)  # type: ignore[arg-type]
    commands = {c.name: c for c in collect_commands("tools", plugin)}
    assert sorted(commands) == ["boom", "echo", "shutdown", "whisper"]
    echo = commands["echo"]
    assert echo.help == "Repeat what you said."
    assert echo.example == "!echo hello"
    assert echo.plugin == "tools"
    assert not echo.owner_only
    assert commands["shutdown"].owner_only
    assert echo.handler == plugin.echo


@pytest.mark.parametrize(
    ("name", "example", "problem"),
    [
        ("Seen", "!Seen x", "lowercase"),
        ("seen", "!other x", "must start with '!seen'"),
        ("seen", "!seenx", "must start with '!seen'"),
    ],
)
def test_bad_declarations_are_refused(name: str, example: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        command(name, example=example)


def test_a_command_needs_a_docstring_and_async() -> None:
    async def undocumented(self: object, cmd: CommandContext) -> None:
        pass

    def not_async(self: object, cmd: CommandContext) -> None:
        """Do it."""

    with pytest.raises(CommandError, match="docstring"):
        command("x", example="!x")(undocumented)
    with pytest.raises(CommandError, match="async def"):
        command("x", example="!x")(not_async)  # type: ignore[type-var]


async def test_a_command_runs_and_replies_in_the_channel() -> None:
    handled, sent, _ = await dispatch(table_with_tools(), message("!echo  hi there "))
    assert handled
    assert sent.lines == [("libera", "#chan", "hi there")]


async def test_a_command_name_is_case_insensitive_and_may_end_with_a_tab() -> None:
    _, sent, _ = await dispatch(table_with_tools(), message("!ECHO\tloud"))
    assert sent.texts == ["loud"]


async def test_a_private_command_is_answered_privately() -> None:
    _, sent, _ = await dispatch(table_with_tools(), message("!echo psst", channel=None))
    assert sent.lines == [("libera", "alice", "psst")]


async def test_a_private_discord_command_is_answered_to_the_user_id() -> None:
    event = message("!echo psst", channel=None, platform="discord", user_id="99")
    _, sent, _ = await dispatch(table_with_tools(), event)
    assert sent.lines == [("libera", "99", "psst")]


@pytest.mark.parametrize(
    ("platform", "user_id", "target"), [("irc", None, "alice"), ("discord", "99", "99")]
)
async def test_a_private_answer_to_a_channel_command_goes_to_the_asker_alone(
    platform: str, user_id: str | None, target: str
) -> None:
    event = message("!whisper a\r\nQUIT :bye", platform=platform, user_id=user_id)
    _, sent, _ = await dispatch(table_with_tools(), event)
    assert sent.lines == [("libera", target, "a QUIT :bye")]


async def test_replies_cannot_inject_protocol_lines() -> None:
    _, sent, _ = await dispatch(table_with_tools(), message("!echo a\r\nQUIT :bye"))
    assert sent.texts == ["a QUIT :bye"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("!nosuch thing", "message"),
        ("just talking", "message"),
        ("!echo x", "notice"),
        ("!echo x", "action"),
        ("!", "message"),
        ("! echo x", "message"),
    ],
)
async def test_what_is_not_a_command_is_ignored_silently(text: str, kind: str) -> None:
    handled, sent, errors = await dispatch(table_with_tools(), message(text, kind=kind))
    assert not handled
    assert sent.lines == []
    assert not errors


async def test_the_prefix_comes_from_settings() -> None:
    settings = parse_settings({"commands": {"prefix": "."}})
    handled, sent, _ = await dispatch(table_with_tools(), message(".echo hi"), settings)
    assert handled and sent.texts == ["hi"]
    handled, _, _ = await dispatch(table_with_tools(), message("!echo hi"), settings)
    assert not handled
    _, sent, _ = await dispatch(table_with_tools(), message(".help echo"), settings)
    assert sent.texts == [".echo: Repeat what you said. Example: .echo hello"]


async def test_help_lists_the_commands() -> None:
    _, sent, _ = await dispatch(table_with_tools(), message("!help"))
    assert sent.texts == [
        "Commands: boom, echo, help, shutdown, whisper. Say !help NAME for details."
    ]


async def test_help_explains_one_command_with_its_example() -> None:
    _, sent, _ = await dispatch(table_with_tools(), message("!help shutdown"))
    assert sent.texts == [
        "!shutdown (owner only): Pretend to do something only the owner may do. Example: !shutdown"
    ]
    _, sent, _ = await dispatch(table_with_tools(), message("!help !echo"))
    assert sent.texts == ["!echo: Repeat what you said. Example: !echo hello"]
    _, sent, _ = await dispatch(table_with_tools(), message("!help nosuch"))
    assert sent.texts == ["I know no command 'nosuch'. Say !help for the list."]


async def test_owner_only_is_refused_to_a_bare_nick_even_the_owners() -> None:
    handled, sent, _ = await dispatch(table_with_tools(), message("!shutdown", nick="carol"))
    assert handled
    assert sent.texts == ["Sorry, only my owner can use !shutdown."]


async def test_owner_only_runs_for_the_verified_account() -> None:
    event = message("!shutdown", nick="somenick", account="Carol")
    _, sent, _ = await dispatch(table_with_tools(), event)
    assert sent.texts == ["done, boss"]


async def test_owner_only_is_refused_to_the_account_on_another_network() -> None:
    event = message("!shutdown", nick="carol", account="carol", network="oftc")
    _, sent, _ = await dispatch(table_with_tools(), event)
    assert sent.texts == ["Sorry, only my owner can use !shutdown."]


@pytest.mark.parametrize(
    ("identity", "verified"),
    [
        (Identity("irc", "libera", "carol"), False),
        (Identity("irc", "libera", "carol", userhost="carol@owner.example"), False),
        (Identity("irc", "libera", "x", account="carol"), True),
        (Identity("irc", "libera", "carol", account="mallory"), False),
        (Identity("irc", "oftc", "carol", account="carol"), False),
        (Identity("discord", "guild", "carol", user_id="4242"), True),
        (Identity("discord", "guild", "4242"), False),
        (Identity("discord", "guild", "carol", user_id="1"), False),
    ],
)
def test_is_verified_owner_never_trusts_a_nick(identity: Identity, verified: bool) -> None:
    assert is_verified_owner(identity, OWNER.owner) is verified


async def test_a_failing_command_is_logged_counted_and_apologised_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    handled, sent, errors = await dispatch(table_with_tools(), message("!boom"))
    assert handled
    assert sent.texts == ["Sorry, that failed."]
    assert errors == Counter({"tools": 1})
    [record] = caplog.records
    assert record.name == "assistant.plugins.tools"
    assert "plugin tools" in record.getMessage() and "!boom" in record.getMessage()
    assert record.exc_info is not None


def test_duplicate_command_names_are_a_clear_error() -> None:
    table = table_with_tools()
    with pytest.raises(CommandError, match=r"'boom' of plugin 'other' clashes with .* 'tools'"):
        table.add(collect_commands("other", Tools(None)))  # type: ignore[arg-type]
    assert {c.plugin for c in table.commands} == {"core", "tools"}


async def test_duplicate_command_names_stop_the_host_at_start() -> None:
    class Copycat(Plugin):
        @command("echo", example="!echo me too")
        async def echo(self, cmd: CommandContext) -> None:
            """Echo as well."""

    async with temporary_database() as db:
        host = PluginHost(Settings(), db, Sent(), plugin_classes={"tools": Tools, "copy": Copycat})
        with pytest.raises(PluginError, match=r"plugin 'tools'.*'echo' of plugin 'tools'.*'copy'"):
            await host.start()


async def test_every_command_example_produces_a_reply() -> None:
    """Examples become tests: each installed plugin's examples run on a fresh database."""
    async with temporary_database() as db:
        sent = Sent()
        host = PluginHost(Settings(), db, sent)
        await host.start()
        try:
            assert "seen" in host.names
            for cmd in host.commands.commands:
                before = len(sent.lines)
                assert await host.handle_command(message(cmd.example)), cmd.example
                assert len(sent.lines) > before, f"{cmd.example} gave no reply"
                assert host.errors[cmd.plugin] == 0, f"{cmd.example} failed"
        finally:
            await host.stop()
