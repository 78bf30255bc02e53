"""The migrator's commands (operations.md §6): status, up and down, recorded in `migrations`
(`{_id: version, name, checksum, applied_at, duration_ms}`) under the `migrator` lease lock.

Every command first checks the records: an applied migration whose checksum changed, or one
this code does not know, stops it before anything changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.migrations.catalog import MIGRATIONS
from flowra_adapters.mongo.migrations.lock import HeldLease
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.names import MIGRATIONS as MIGRATIONS_COLLECTION
from flowra_core.ports.clock import Clock

LOCK_NAME = "migrator"


class MigrationError(Exception):
    """A migrator command refused to run; nothing was changed."""


class ChangedMigrationError(MigrationError):
    def __init__(self, changed: Sequence[Migration]) -> None:
        labels = ", ".join(migration.label for migration in changed)
        super().__init__(
            f"applied migrations were changed since they ran (checksum differs): {labels}; "
            "restore their definitions and add a new migration instead"
        )


class UnknownAppliedMigrationError(MigrationError):
    def __init__(self, versions: Sequence[str]) -> None:
        super().__init__(
            f"the database has migrations this flowra does not know: {', '.join(versions)} "
            "(applied by a newer version?)"
        )


class UnknownMigrationVersionError(MigrationError):
    def __init__(self, version: str) -> None:
        super().__init__(f"there is no migration {version!r}")


class IrreversibleMigrationError(MigrationError):
    def __init__(self, migration: Migration) -> None:
        super().__init__(
            f"migration {migration.label} is irreversible ({migration.irreversible_because}); "
            "nothing was reverted"
        )


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    version: str
    name: str
    applied_at: datetime | None  # None: pending
    changed: bool = False  # applied with another checksum
    known: bool = True  # False: applied by code this process does not have


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    migration: Migration
    duration_ms: int


def _quiet(done: object) -> None:
    """The default progress callback: nothing is reported."""


def _known_status(migration: Migration, record: Document | None) -> MigrationStatus:
    if record is None:
        return MigrationStatus(migration.version, migration.name, None)
    changed = record["checksum"] != migration.checksum
    return MigrationStatus(migration.version, migration.name, record["applied_at"], changed=changed)


async def applied_records(database: MongoDatabase) -> dict[str, Document]:
    with database.operation(MIGRATIONS_COLLECTION, "find"):
        documents = await database.collection(MIGRATIONS_COLLECTION).find().to_list()
    return {document["_id"]: document for document in documents}


async def pending_migrations(
    database: MongoDatabase, migrations: Sequence[Migration] = MIGRATIONS
) -> list[str]:
    """Versions not applied yet: the API and the worker refuse to start while there are any."""
    applied = await applied_records(database)
    return [migration.version for migration in migrations if migration.version not in applied]


class Migrator:
    def __init__(
        self,
        database: MongoDatabase,
        *,
        owner: str,
        clock: Clock,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self._db = database
        self._records = database.collection(MIGRATIONS_COLLECTION)
        self._migrations = sorted(migrations, key=lambda migration: migration.version)
        self._clock = clock
        self._lease = HeldLease(MongoLeaseLocks(database, clock), LOCK_NAME, owner)

    async def status(self) -> list[MigrationStatus]:
        """One row per known migration, then any applied one this code does not know (read
        under the lock too, so it never shows a migration half-way)."""
        async with self._lease.held():
            applied = await applied_records(self._db)
        rows = [
            _known_status(migration, applied.get(migration.version))
            for migration in self._migrations
        ]
        known = {migration.version for migration in self._migrations}
        rows.extend(
            MigrationStatus(version, str(record.get("name", "")), record["applied_at"], known=False)
            for version, record in sorted(applied.items())
            if version not in known
        )
        return rows

    async def up(
        self, *, to: str | None = None, on_applied: Callable[[AppliedMigration], None] = _quiet
    ) -> list[AppliedMigration]:
        """Apply the pending migrations in order, up to and including `to`; `on_applied` hears
        of each as soon as it is recorded."""
        if to is not None and to not in {migration.version for migration in self._migrations}:
            raise UnknownMigrationVersionError(to)
        done: list[AppliedMigration] = []
        async with self._lease.held():
            applied = await self._checked_records()
            for migration in self._migrations:
                if migration.version in applied or (to is not None and migration.version > to):
                    continue
                done.append(await self._apply(migration))
                on_applied(done[-1])
        return done

    async def down(
        self, *, steps: int = 1, on_reverted: Callable[[Migration], None] = _quiet
    ) -> list[Migration]:
        """Revert the last `steps` applied migrations, newest first; if one of them is
        irreversible, refuse before reverting any."""
        async with self._lease.held():
            applied = await self._checked_records()
            targets = [m for m in reversed(self._migrations) if m.version in applied][:steps]
            for migration in targets:
                if not migration.reversible:
                    raise IrreversibleMigrationError(migration)
            for migration in targets:
                await self._revert(migration)
                on_reverted(migration)
        return targets

    async def _checked_records(self) -> dict[str, Document]:
        applied = await applied_records(self._db)
        known = {migration.version: migration for migration in self._migrations}
        unknown = sorted(version for version in applied if version not in known)
        if unknown:
            raise UnknownAppliedMigrationError(unknown)
        changed = [
            known[version]
            for version, record in sorted(applied.items())
            if record["checksum"] != known[version].checksum
        ]
        if changed:
            raise ChangedMigrationError(changed)
        return applied

    async def _apply(self, migration: Migration) -> AppliedMigration:
        started = time.perf_counter()
        applied_at = self._clock.now()
        await migration.apply(self._db, applied_at)
        duration_ms = round((time.perf_counter() - started) * 1000)
        record = {
            "name": migration.name,
            "checksum": migration.checksum,
            "applied_at": applied_at,
            "duration_ms": duration_ms,
        }
        with self._db.operation(MIGRATIONS_COLLECTION, "save"):
            await self._records.replace_one({"_id": migration.version}, record, upsert=True)
        return AppliedMigration(migration, duration_ms)

    async def _revert(self, migration: Migration) -> None:
        assert migration.revert is not None
        await migration.revert(self._db, self._clock.now())
        with self._db.operation(MIGRATIONS_COLLECTION, "delete"):
            await self._records.delete_one({"_id": migration.version})
