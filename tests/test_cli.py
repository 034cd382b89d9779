"""The `presence` command as a user runs it: a real subprocess, real files, a real IRC server."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from assistant.testing.cli import run_presence
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd


def presence(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd, env=env)


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = presence("--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("init", "config", "run", "demo"):
        assert name in result.stdout


def test_version_names_the_installed_release(tmp_path: Path) -> None:
    result = presence("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"presence {version('chat-presence-assistant')}"


def test_init_writes_a_config_that_checks_clean(tmp_path: Path) -> None:
    assert presence("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "presence.toml").is_file()
    again = presence("init", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    check = presence("config", "check", "--config", "presence.toml", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "is valid" in check.stdout
    assert "PRESENCE_LIBERA_PASSWORD is not set" in check.stdout


def test_config_check_names_every_secret_variable_not_set(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(
        '[networks.club]\nplatform = "discord"\ntoken_env = "PRESENCE_CLUB_TOKEN"\n'
        '[summaries]\nwebhook_url_env = "PRESENCE_SUMMARY_HOOK"\n',
        encoding="utf-8",
    )
    result = presence("config", "check", "-c", "p.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PRESENCE_CLUB_TOKEN is not set" in result.stdout
    assert "PRESENCE_SUMMARY_HOOK is not set" in result.stdout
    given = presence(
        "config", "check", "-c", "p.toml", cwd=tmp_path, env={"PRESENCE_CLUB_TOKEN": "x"}
    )
    assert "PRESENCE_CLUB_TOKEN" not in given.stdout
    assert "PRESENCE_SUMMARY_HOOK is not set" in given.stdout


def test_broken_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[storage]\nbatch_size = -1\n", encoding="utf-8")
    result = presence("config", "check", "-c", "bad.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "storage.batch_size" in result.stderr


def test_unknown_plugin_section_exits_2(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text("[plugins.nosuch]\nenabled = true\n", encoding="utf-8")
    result = presence("config", "check", "-c", "p.toml", cwd=tmp_path)
    assert result.returncode == 2 and "plugins.nosuch" in result.stderr


def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(
        '[networks.x]\nport = 1\ntls = false\nsasl_username = "ann"\n'
        'sasl_password_env = "PRESENCE_PW"\n',
        encoding="utf-8",
    )
    result = presence(
        "-v", "config", "check", "-c", "p.toml", cwd=tmp_path, env={"PRESENCE_PW": "hunter2-xyz"}
    )
    assert result.returncode == 0
    assert "hunter2-xyz" not in result.stdout + result.stderr


@pytest.mark.ircd
async def test_run_records_and_sigterm_leaves_with_the_quit_message(tmp_path: Path) -> None:
    async with run_ngircd() as server:
        config = tmp_path / "presence.toml"
        config.write_text(
            f"""
[networks.local]
host = "{server.host}"
port = {server.port}
tls = false
nick = "presence"
quit_message = "see you next week"
[[networks.local.channels]]
name = "#chat"
""",
            encoding="utf-8",
        )
        alice = await SimulatedMember.connect(server.host, server.port, "alice")
        await alice.join("#chat")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "assistant",
            "run",
            "--config",
            str(config),
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await alice.wait_for(r":presence!\S+ JOIN :?#chat", timeout=20)
            await alice.say("#chat", "hello from alice")
            await alice.say("#chat", "!seen alice")
            reply = await alice.wait_for(r":presence!\S+ PRIVMSG #chat :", timeout=10)
            assert "alice" in reply
            process.send_signal(signal.SIGTERM)
            quit_line = await alice.wait_for(r":presence!\S+ QUIT", timeout=10)
            assert "see you next week" in quit_line
            assert await asyncio.wait_for(process.wait(), timeout=20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await alice.quit("bye")
    with sqlite3.connect(tmp_path / "presence.sqlite3") as db:
        texts = [row[0] for row in db.execute("SELECT text FROM messages ORDER BY id")]
    assert texts[:2] == ["hello from alice", "!seen alice"]
