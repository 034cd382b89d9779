"""Storage: the SQLite database, its one batching writer, and queries per domain."""

from assistant.storage.database import Database, MigrationError
from assistant.storage.writer import BatchWriter, Op, StorageError

__all__ = ["BatchWriter", "Database", "MigrationError", "Op", "StorageError"]
