"""Replay fixtures: the storage tests' PostgreSQL cluster, for replays into PostgreSQL."""

from tests.storage.conftest import postgres_cluster, postgres_dsn

__all__ = ["postgres_cluster", "postgres_dsn"]
