"""The test kit's throwaway PostgreSQL cluster: a real server, reachable, private, cleaned up."""

from __future__ import annotations

import asyncpg
import pytest

from assistant.testing.postgres import PostgresCluster, run_postgres


async def test_a_new_database_is_empty_and_reached_over_tcp(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT current_user AS who, host(inet_server_addr()) AS addr, "
            "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables"
        )
    finally:
        await conn.close()
    assert row is not None
    assert (row["who"], row["addr"], row["tables"]) == ("presence", "127.0.0.1", 0)


async def test_each_test_gets_its_own_database(postgres_cluster: PostgresCluster) -> None:
    first, second = postgres_cluster.create_database(), postgres_cluster.create_database()
    assert first != second
    conn = await asyncpg.connect(first)
    try:
        await conn.execute("CREATE TABLE notes (text TEXT)")
    finally:
        await conn.close()
    conn = await asyncpg.connect(second)
    try:
        assert await conn.fetchval("SELECT to_regclass('notes')") is None
    finally:
        await conn.close()


async def test_a_wrong_password_is_refused(postgres_cluster: PostgresCluster) -> None:
    dsn = postgres_cluster.dsn().replace(postgres_cluster.password, "not-the-password")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn)


async def test_stopping_shuts_the_server_down_and_removes_its_folder() -> None:
    with run_postgres() as cluster:
        dsn, folder = cluster.dsn(), cluster.dir
        conn = await asyncpg.connect(dsn)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    assert not folder.exists()
    with pytest.raises(OSError):
        await asyncpg.connect(dsn, timeout=10)
