"""Storage fixtures: a real PostgreSQL server for the whole session, a database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
