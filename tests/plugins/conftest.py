"""Plugin fixtures: the storage tests' backends, for plugin tests that run on both."""

from tests.storage.conftest import backend, postgres_cluster, postgres_dsn

__all__ = ["backend", "postgres_cluster", "postgres_dsn"]
