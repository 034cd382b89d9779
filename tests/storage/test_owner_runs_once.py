"""A second ``presence run`` with the same owner on one PostgreSQL database is warned (issue 34).

Instances sharing a database keep each owner's openings and exchanges under ``[owner] key``
(or name): two runs with the same owner would share them. Each run holds a lock named for
its owner while connected, and one that finds it taken says so at start-up.
"""

from __future__ import annotations

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings

SAME_OWNER = "another presence run on this database has the same owner"


def run_for(owner: str) -> Assistant:
    settings = parse_settings(
        {
            "owner": {"name": owner},
            "storage": {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"},
            "analysis": {"enabled": False},
        }
    )
    return Assistant(settings, connectors=[], plugin_classes={})


async def test_a_second_run_with_the_same_owner_is_warned_and_one_after_it_is_not(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    ann = run_for("Ann")
    await ann.start()
    try:
        bea = run_for("Bea")
        await bea.start()
        await bea.stop()
        assert SAME_OWNER not in caplog.text  # another owner
        again = run_for("Ann")
        await again.start()
        await again.stop()
        assert SAME_OWNER in caplog.text and "'Ann'" in caplog.text
    finally:
        await ann.stop()
    caplog.clear()
    # Ann's first run stopped (its connection closed): her next run is the only one.
    after = run_for("Ann")
    await after.start()
    await after.stop()
    assert SAME_OWNER not in caplog.text
