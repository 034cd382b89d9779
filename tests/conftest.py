"""Fixtures for every suite: a real PostgreSQL server for the session, a database per test.

One cluster serves the whole run (defined here, at the root, so that each folder does not
start its own); a test asks for ``postgres_dsn``, or for ``open_database`` to run once on
each backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing.postgres import PostgresCluster, run_postgres


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway cluster on 127.0.0.1, started on first use and stopped at the end.

    A missing server fails with the install hint (``PostgresNotFoundError``), never a skip.
    """
    with run_postgres() as cluster:
        yield cluster


@pytest.fixture
def postgres_dsn(postgres_cluster: PostgresCluster) -> str:
    """The DSN of a new, empty database on the session's cluster."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on each storage backend."""
    name: str = request.param
    return name


@pytest.fixture
def open_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[..., Awaitable[Database]]:
    """Open a fresh, migrated database on ``backend`` (reopening gives the same one)."""
    dsn = request.getfixturevalue("postgres_dsn") if backend == "postgresql" else ""

    async def open_(*, batch_size: int = 500, flush_interval: float = 0.25) -> Database:
        if backend == "postgresql":
            return await Database.open_postgresql(
                dsn, batch_size=batch_size, flush_interval=flush_interval
            )
        return await Database.open(
            tmp_path / "presence.sqlite3", batch_size=batch_size, flush_interval=flush_interval
        )

    return open_
