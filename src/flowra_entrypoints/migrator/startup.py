"""What a server does about migrations before it serves (operations.md §1): it refuses to start
while any is pending, unless it was asked to apply them first (`flowra-api --migrate`)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Sequence

from loguru import logger

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import (
    AppliedMigration,
    LockHeldError,
    LockLostError,
    MigrationError,
    Migrator,
    pending_migrations,
)
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import FlowraError
from flowra_entrypoints.cli import EXIT_MIGRATIONS_PENDING, EXIT_RUNTIME_FAILURE
from flowra_entrypoints.settings.model import MongoDBSettings, Settings

# One check or one `up`: a couple of connections is plenty.
_POOL_SIZE = 2


class MigrationsPendingError(Exception):
    def __init__(self, versions: Sequence[str]) -> None:
        super().__init__(
            f"{len(versions)} migration(s) pending ({', '.join(versions)}): "
            "run `flowra-migrator up` first (or start flowra-api with --migrate)"
        )
        self.versions = tuple(versions)


async def prepare_database(mongodb: MongoDBSettings, *, migrate: bool) -> list[AppliedMigration]:
    """Apply the pending migrations (`migrate`) or raise MigrationsPendingError when there are
    any; returns what was applied. Driver failures surface as ServiceUnavailable; the
    migrator's own refusals as MigrationError, LockHeldError or LockLostError."""
    client = create_mongo_client(mongodb.uri, timeout=mongodb.timeout, max_pool_size=_POOL_SIZE)
    try:
        database = MongoDatabase(client, mongodb.database)
        if migrate:
            owner = f"flowra-api@{socket.gethostname()}:{os.getpid()}"
            return await Migrator(database, owner=owner, clock=SystemClock()).up()
        pending = await pending_migrations(database)
        if pending:
            raise MigrationsPendingError(pending)
        return []
    finally:
        await client.close()


def require_current_schema(settings: Settings, *, migrate: bool, process: str) -> None:
    """With the mongo backend: apply the pending migrations (`--migrate`), or exit 3 while any
    is pending (operations.md §1); exit 1 when the database cannot be checked."""
    if settings.storage.backend != "mongo":
        return
    log = logger.bind(logger="migrator")
    try:
        applied = asyncio.run(prepare_database(settings.mongodb, migrate=migrate))
    except MigrationsPendingError as error:
        print(f"{process}: {error}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_MIGRATIONS_PENDING)
    except (MigrationError, LockHeldError, LockLostError, FlowraError) as error:
        print(f"{process}: cannot start: {error}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_RUNTIME_FAILURE)
    for step in applied:
        log.info("applied migration", migration=step.migration.label, ms=step.duration_ms)
