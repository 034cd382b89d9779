"""Notables and owners are found as users write them: ``name#1234``, a name, a user id, a nick."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
from assistant_openings.notability import WatchlistNotability

from assistant.commandline import main
from assistant.config import parse_settings
from assistant.events import Identity
from assistant.importers.importer import ImportOptions, LogImporter
from assistant.recorder import Recorder
from assistant.storage.database import Database

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "Synthetic Guild - help [7].csv"  # a DiscordChatExporter CSV, made up


def replay(capsys: pytest.CaptureFixture[str], notable: str) -> tuple[list[dict[str, str]], str]:
    args = ["--replay", str(EXPORT), "--owner", "me#0042", "--notable", notable]
    status = main(["openings", *args, "--interests", "Skype interviews"])
    assert status == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    return lines, captured.err


def test_a_notable_given_as_the_export_shows_them_surfaces_openings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines, err = replay(capsys, "problogger#1234")
    assert [line["kind"] for line in lines][:1] == ["unanswered_question"]
    assert lines[0]["nick"] == "problogger"
    assert "never appears" not in err


def test_a_name_not_in_the_log_is_a_warning_naming_the_closest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines, err = replay(capsys, "problogger#9999")
    assert lines == []
    warnings = [line for line in err.splitlines() if "never appears" in line]
    assert len(warnings) == 1
    assert "'problogger#9999'" in warnings[0]
    assert "closest identities seen: problogger#1234" in warnings[0]


def imported() -> list[Identity]:
    """The identities the Discord CSV importer records for the export."""

    async def read(folder: Path) -> list[Identity]:
        db = await Database.open(folder / "p.sqlite3")
        try:
            importer = LogImporter(db, Recorder(db), ImportOptions(network="guild"))
            await importer.import_file(EXPORT)
            rows = await db.fetchall("SELECT nick, account, user_id FROM identities")
        finally:
            await db.close()
        return [Identity("discord", "guild", r[0], account=r[1], user_id=r[2]) for r in rows]

    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(read(Path(folder)))


@pytest.mark.parametrize(
    "written", ["problogger#1234", "problogger", "ProBlogger", "100000000000000009"]
)
def test_every_written_form_finds_the_imported_identity(written: str) -> None:
    settings = parse_settings(
        {"watchlist": [{"name": "pb", "identities": [{"platform": "discord", "nick": written}]}]}
    )
    notability = WatchlistNotability(settings.watchlist)
    found = {i.nick for i in imported() if notability.lookup(i) is not None}
    assert found == {"problogger"}


def test_a_tag_finds_a_live_display_name_but_not_another_tag() -> None:
    settings = parse_settings(
        {"watchlist": [{"name": "pb", "identities": [{"platform": "discord", "nick": "pb#1234"}]}]}
    )
    notability = WatchlistNotability(settings.watchlist)
    live = Identity("discord", "guild", "pb", user_id="7")  # live chat shows no tag
    other = Identity("discord", "guild", "pb", account="pb#4321", user_id="8")
    assert notability.lookup(live) is not None
    assert notability.lookup(other) is None


def test_config_check_names_a_notable_nothing_recorded_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "p.toml"
    config.write_text(
        '[storage]\npath = "p.sqlite3"\n'
        '[[watchlist]]\nname = "pb"\n'
        'identities = [{platform = "discord", nick = "problogger#1234"}]\n'
        '[[watchlist]]\nname = "carl"\nidentities = [{platform = "discord", nick = "carl#4004"}]\n',
        encoding="utf-8",
    )
    assert main(["config", "check", "-c", str(config)]) == 0
    assert "no database at" in capsys.readouterr().out  # says what it cannot know yet

    async def record() -> None:
        db = await Database.open(tmp_path / "p.sqlite3")
        try:
            await LogImporter(db, Recorder(db), ImportOptions(network="guild")).import_file(EXPORT)
        finally:
            await db.close()

    asyncio.run(record())
    assert main(["config", "check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if "never appears" in line]
    assert len(warnings) == 1
    assert "'carl, carl#4004'" in warnings[0] and "carol#4004" in warnings[0]
