"""The dashboard reads PostgreSQL: `presence run` serves what it records there.

The pages' content on each backend is compared in tests/web (each page test runs on an
SQLite file and on PostgreSQL); here the running assistant serves its PostgreSQL database
while it records, and the DSN's password shows in no log.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.daemon import free_port
from assistant.testing.fake import FakeConnector
from assistant.web.access import load_access


async def test_run_serves_the_dashboard_of_what_it_records_in_postgresql(
    tmp_path: Path,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)  # the ranking process inherits it
    monkeypatch.chdir(tmp_path)  # where a relative [storage] path (and the token) would be
    port = free_port()
    settings = parse_settings(
        {
            "storage": {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"},
            "analysis": {"enabled": False},
            "web": {"enabled": True, "port": port},
        }
    )
    fake = FakeConnector()
    assistant = Assistant(settings, connectors=[fake], plugin_classes={})
    pages: dict[str, tuple[int, str]] = {}
    with caplog.at_level(logging.DEBUG):
        await assistant.start()
        try:
            await fake.wait_connected()
            await fake.say("alice", "still recorded")
            await assistant.db.flush()
            rows = await assistant.db.fetchall("SELECT text FROM messages")
            assert [row[0] for row in rows] == ["still recorded"]
            bearer = {"Authorization": f"Bearer {load_access(settings).secret}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=bearer
            ) as client:
                for path in ("/now", "/people", "/sessions", "/health"):
                    response = await client.get(path)
                    pages[path] = (response.status_code, response.text)
                alice = re.search(r'href="/people/(\d+)">alice<', pages["/people"][1])
                assert alice is not None, pages["/people"]
                response = await client.get(f"/people/{alice[1]}")
                pages["/person"] = (response.status_code, response.text)
        finally:
            await assistant.stop()
    assert {path: status for path, (status, _) in pages.items()} == dict.fromkeys(pages, 200)
    assert "still recorded" in pages["/person"][1]
    database = urlsplit(postgres_dsn).path.lstrip("/")
    assert f'<td class="database">{database} (postgresql)</td>' in pages["/health"][1]
    assert '<td class="num messages">1</td>' in pages["/health"][1]
    password = urlsplit(postgres_dsn).password
    assert password and password not in caplog.text
    assert not (tmp_path / "presence.sqlite3").exists()
    # The token is kept as the database is named, not after an SQLite file there is not.
    assert (tmp_path / "presence-postgresql.web-token").exists()
    assert not (tmp_path / "presence.sqlite3.web-token").exists()
