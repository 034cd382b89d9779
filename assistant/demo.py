"""The first thing a newcomer runs: a scripted chat on a local IRC server, and what was recorded.

It starts ngircd on 127.0.0.1, writes a config for it, runs the real Assistant with the real
IRC connector, lets a few simulated members talk (one asks ``!seen``), shuts Presence down
gracefully and prints what was recorded from the database file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.app import Assistant
from assistant.config import load_settings
from assistant.storage.database import Database
from assistant.storage.presence import attendance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd

__all__ = ["run_demo"]

CHANNEL = "#bloggers"
NETWORK = "demo"
PAUSE = 0.15  # between scripted lines, so arrival times differ visibly

CONFIG = """\
# Written by `presence demo`.
[owner]
name = "You"

[storage]
path = "presence.sqlite3"

[networks.{network}]
host = "{host}"
port = {port}
tls = false
nick = "presence"
quit_message = "Presence is leaving the demo"

[[networks.{network}.channels]]
name = "{channel}"

[[watchlist]]
name = "Darren"
identities = [{{ platform = "irc", network = "{network}", nick = "problogger" }}]
notes = "Runs a big blogging site; podcasts weekly."
priority = 5
"""


async def _script(host: str, port: int, darren: SimulatedMember, console: Console) -> str:
    """Play the chat; return the answer Presence gave to ``!seen``."""
    alice = await SimulatedMember.connect(host, port, "alice")
    await alice.join(CHANNEL)
    await alice.say(CHANNEL, "hi all! anyone else moving their blog to a static site?")
    await asyncio.sleep(PAUSE)
    bob = await SimulatedMember.connect(host, port, "bob")
    await bob.join(CHANNEL)
    await bob.say(CHANNEL, "alice: yes, Hugo. builds in a second")
    await asyncio.sleep(PAUSE)
    await darren.say(CHANNEL, "anyone interviewing guests over Skype? what do you record with?")
    await asyncio.sleep(PAUSE)
    carol = await SimulatedMember.connect(host, port, "carol")
    await carol.join(CHANNEL)
    await carol.action(CHANNEL, "waves from Melbourne")
    await carol.say(CHANNEL, "problogger: I use a Zoom H5 and record locally")
    await asyncio.sleep(PAUSE)
    await bob.change_nick("bob_away")
    await carol.part(CHANNEL, "dinner time")
    await asyncio.sleep(PAUSE)
    await alice.say(CHANNEL, "!seen carol")
    answer = await alice.wait_for(r":presence!\S+ PRIVMSG " + CHANNEL + " :", timeout=10)
    await darren.quit("off to record")
    await asyncio.sleep(PAUSE)
    console.print(f"[dim]alice asked[/] !seen carol [dim]and Presence answered in {CHANNEL}[/]")
    for member in (alice, bob, carol):
        await member.close()
    return answer.split(" :", 1)[1] if " :" in answer else answer


def _clock(when: datetime | None) -> str:
    return when.astimezone().strftime("%H:%M:%S") if when else "-"


async def _report(db_path: Path, seen_answer: str, console: Console) -> None:
    async with await Database.open(db_path) as db:
        rows = await attendance(db, NETWORK, CHANNEL)
        messages = await db.fetchone("SELECT count(*) AS n FROM messages")
    table = Table(title=f"Attendance in {CHANNEL} (recorded by Presence)")
    for column in ("member", "arrived", "left", "lines said", "still here"):
        table.add_column(column, justify="right" if column == "lines said" else "left")
    for row in rows:
        table.add_row(
            row.nick,
            _clock(row.arrived),
            _clock(row.left),
            str(row.lines),
            "yes" if row.present else "no",
        )
    console.print(table)
    console.print(f"Messages recorded: {messages['n'] if messages else 0}")
    console.print(f"The seen answer: [bold]{seen_answer}[/]", highlight=False)


async def run_demo(console: Console, keep: Path | None = None) -> int:
    """Run the demo; keep its files in ``keep`` when given, else in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="presence-demo-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "presence.sqlite3").unlink(missing_ok=True)
        async with run_ngircd() as server:
            console.print(f"Started ngircd on {server.host}:{server.port}")
            config = workdir / "presence.toml"
            config.write_text(
                CONFIG.format(network=NETWORK, host=server.host, port=server.port, channel=CHANNEL),
                encoding="utf-8",
            )
            darren = await SimulatedMember.connect(server.host, server.port, "problogger")
            await darren.join(CHANNEL)
            assistant = Assistant(load_settings(config))
            await assistant.start()
            try:
                await darren.wait_for(r":presence!\S+ JOIN :?" + CHANNEL, timeout=20)
                console.print(f"Presence joined {CHANNEL}; problogger was already there")
                answer = await _script(server.host, server.port, darren, console)
            finally:
                await assistant.stop()
        try:
            await _report(workdir / "presence.sqlite3", answer, console)
        except sqlite3.Error as exc:
            console.print(f"[red]could not read the recording: {exc}[/]")
            return 1
        if keep:
            console.print(f"Config and database kept in {workdir}")
    return 0
