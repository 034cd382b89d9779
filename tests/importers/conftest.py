"""Importer fixtures: the storage tests' databases, so the importing tests run on both backends."""

from tests.storage.conftest import backend, open_database, postgres_cluster, postgres_dsn

__all__ = ["backend", "open_database", "postgres_cluster", "postgres_dsn"]
