"""Who is who, against real daemons: SASL login, accounts recorded, the owner verified by account.

InspIRCd with atheme services has accounts (SASL, account-tag, extended-join, account-notify);
ngircd has none, so there owner-only commands fail closed: a nick alone never makes the owner.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from assistant.testing.daemon import DaemonServer
from assistant.testing.inspircd import InspircdServer
from assistant.testing.irc_client import SimulatedMember

pytestmark = pytest.mark.ircd

WAIT = 10.0
ENV = "PRESENCE_TEST_SASL_PASSWORD"
REFUSED = "Sorry, only my owner can use !secret."
Live = Any  # conftest's Live
Start = Callable[..., Awaitable[Live]]
People = Callable[..., Awaitable[list[SimulatedMember]]]
Net = Callable[..., dict[str, Any]]


async def identify(member: SimulatedMember, password: str) -> None:
    """Log a simulated member in to its NickServ account (its nick is the account)."""
    await member.say("NickServ", f"IDENTIFY {password}")
    await member.wait_for(r"NickServ!\S+ NOTICE \S+ :You are now identified", WAIT)


async def reply_to(member: SimulatedMember, me: str, channel: str) -> str:
    line = await member.wait_for(rf"^(@\S+ )?:{me}!\S+ PRIVMSG {channel} :", WAIT)
    return line.split(f"PRIVMSG {channel} :", 1)[1]


def assert_secret_absent(caplog: pytest.LogCaptureFixture, account: str, password: str) -> None:
    encoded = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
    for secret in (password, encoded):
        assert secret not in caplog.text
        assert not any(secret in str(record.args) for record in caplog.records)


async def test_sasl_login_accounts_recorded_and_owner_verified_impostor_refused(
    inspircd: InspircdServer,
    presence: Start,
    people: People,
    net: Net,
    uid: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    me, boss, channel = f"pres{uid}", f"boss{uid}", f"#owner{uid}"
    password = f"pw-{uid}-Tr0ub4dor&3"
    await asyncio.gather(
        inspircd.register_account(me, password), inspircd.register_account(boss, "bosspw")
    )
    monkeypatch.setenv(ENV, password)
    table = net(inspircd, me, [channel], sasl_username=me, sasl_password_env=ENV)
    live, (owner,) = await asyncio.gather(
        presence({"testnet": table}, owner_account=boss), people(inspircd, boss)
    )
    await identify(owner, "bosspw")
    await owner.join(channel)
    await live.until(lambda: boss in live.connector().members(channel))
    assert live.connector().logged_in_as == me

    await owner.say(channel, "!secret")
    assert await reply_to(owner, me, channel) == f"owner verified: {boss}"
    await live.until_rows(
        "SELECT nick, account FROM identities WHERE nick = ?", boss, expect=[(boss, boss)]
    )

    await owner.quit("brb")
    await live.until(lambda: boss not in live.connector().members(channel))
    (impostor,) = await people(inspircd, boss)  # the nick is free again, the account is not
    await impostor.join(channel)
    await live.until(lambda: boss in live.connector().members(channel))
    assert live.connector().account(boss) is None
    await impostor.say(channel, "!secret")
    assert await reply_to(impostor, me, channel) == REFUSED
    assert_secret_absent(caplog, me, password)


async def test_a_refused_sasl_login_is_reported_and_presence_carries_on(
    inspircd: InspircdServer,
    presence: Start,
    people: People,
    net: Net,
    uid: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    me, channel, wrong = f"pres{uid}", f"#nologin{uid}", f"wrong-{uid}-password"
    monkeypatch.setenv(ENV, wrong)
    table = net(inspircd, me, [channel], sasl_username=f"nosuch{uid}", sasl_password_env=ENV)
    live, (alice,) = await asyncio.gather(presence({"testnet": table}), people(inspircd, "a" + uid))
    await alice.join(channel)
    await live.until(lambda: f"a{uid}" in live.connector().members(channel))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        "testnet: SASL login as" in error and "904" in error and ENV in error for error in errors
    ), errors
    assert live.connector().logged_in_as is None and live.connector().connected
    assert_secret_absent(caplog, f"nosuch{uid}", wrong)


@pytest.mark.parametrize("daemon", ["ngircd"], indirect=True)
async def test_without_accounts_a_nick_alone_never_passes_for_the_owner(
    daemon: DaemonServer, presence: Start, people: People, net: Net, uid: str
) -> None:
    me, boss, channel = f"pres{uid}", f"boss{uid}", f"#nick{uid}"
    live, (impostor,) = await asyncio.gather(
        presence({"testnet": net(daemon, me, [channel])}, owner_account=boss),
        people(daemon, boss),
    )
    await impostor.join(channel)
    await live.until(lambda: boss in live.connector().members(channel))
    await impostor.say(channel, "!secret")
    assert await reply_to(impostor, me, channel) == REFUSED
