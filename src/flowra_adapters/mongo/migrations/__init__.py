"""Versioned schema and data migrations (operations.md §6) and the lease lock they run under."""

from flowra_adapters.mongo.migrations.catalog import MIGRATIONS
from flowra_adapters.mongo.migrations.lock import HeldLease, LockHeldError, LockLostError
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.migrations.runner import (
    AppliedMigration,
    ChangedMigrationError,
    IrreversibleMigrationError,
    MigrationError,
    MigrationStatus,
    Migrator,
    UnknownAppliedMigrationError,
    UnknownMigrationVersionError,
    applied_records,
    pending_migrations,
)

__all__ = [
    "MIGRATIONS",
    "AppliedMigration",
    "ChangedMigrationError",
    "HeldLease",
    "IrreversibleMigrationError",
    "LockHeldError",
    "LockLostError",
    "Migration",
    "MigrationError",
    "MigrationStatus",
    "Migrator",
    "UnknownAppliedMigrationError",
    "UnknownMigrationVersionError",
    "applied_records",
    "pending_migrations",
]
