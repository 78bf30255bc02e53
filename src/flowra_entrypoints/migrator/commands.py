"""The migrator's commands: call the Migrator (or the projection rebuild) and print what
happened, one line per migration."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.migrations import (
    AppliedMigration,
    HeldLease,
    Migration,
    MigrationError,
    MigrationStatus,
    Migrator,
    pending_migrations,
)
from flowra_adapters.mongo.migrations.runner import LOCK_NAME
from flowra_adapters.mongo.rebuild import RebuildScope, everything, of_aggregate, of_type
from flowra_adapters.system import SystemClock
from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.events import AggregateType
from flowra_entrypoints.migrator.progress import ProgressBar
from flowra_entrypoints.migrator.rebuild import ProjectionRebuild, projection_core

EXIT_OK = 0
EXIT_CHANGED = 1
EXIT_PENDING = 3


def _say(line: str) -> None:
    print(line)  # noqa: T201


def _state(row: MigrationStatus) -> str:
    if row.applied_at is None:
        return "pending"
    applied = f"applied {format_timestamp(row.applied_at)}"
    if not row.known:
        return f"{applied} UNKNOWN (not in this version of flowra)"
    return f"{applied} CHANGED (checksum differs)" if row.changed else applied


async def status(migrator: Migrator, args: argparse.Namespace) -> int:
    rows = await migrator.status()
    width = max((len(row.name) for row in rows), default=0)
    for row in rows:
        _say(f"{row.version}  {row.name:<{width}}  {_state(row)}")
    if any(row.changed or not row.known for row in rows):
        return EXIT_CHANGED
    return EXIT_PENDING if any(row.applied_at is None for row in rows) else EXIT_OK


def _applied(step: AppliedMigration) -> None:
    _say(f"applied {step.migration.label} in {step.duration_ms} ms")


def _reverted(migration: Migration) -> None:
    _say(f"reverted {migration.label}")


async def up(migrator: Migrator, args: argparse.Namespace) -> int:
    applied = await migrator.up(to=args.to, on_applied=_applied)
    if not applied:
        _say("nothing to apply: up to date")
    return EXIT_OK


async def down(migrator: Migrator, args: argparse.Namespace) -> int:
    reverted = await migrator.down(steps=args.steps, on_reverted=_reverted)
    if not reverted:
        _say("nothing to revert: no migration is applied")
    return EXIT_OK


_COMMANDS: Mapping[str, Callable[[Migrator, argparse.Namespace], Awaitable[int]]] = {
    "status": status,
    "up": up,
    "down": down,
}


async def run_command(migrator: Migrator, args: argparse.Namespace) -> int:
    return await _COMMANDS[args.command](migrator, args)


async def _rebuild_scope(database: MongoDatabase, args: argparse.Namespace) -> RebuildScope:
    aggregate_type = None if args.aggregate_type is None else AggregateType(args.aggregate_type)
    if args.aggregate_id is not None:
        return await of_aggregate(database, args.aggregate_id, aggregate_type)
    return everything() if aggregate_type is None else of_type(aggregate_type)


async def rebuild_projections(
    database: MongoDatabase, args: argparse.Namespace, *, owner: str
) -> int:
    """Under the `migrator` lock, and only on an up-to-date schema (the rebuild writes into
    the collections and indexes the migrations make)."""
    pending = await pending_migrations(database)
    if pending:
        raise MigrationError(
            f"migrations pending ({', '.join(pending)}): run `flowra-migrator up` first"
        )
    lease = HeldLease(MongoLeaseLocks(database, SystemClock()), LOCK_NAME, owner)
    async with lease.held():
        scope = await _rebuild_scope(database, args)
        rebuild = ProjectionRebuild(database, projection_core(database))
        report = await rebuild.run(scope, progress=ProgressBar(f"rebuilding {scope.label}"))
    dropped = sum(report.deleted.values())
    _say(
        f"rebuilt {report.scope} from {report.commits} commits in {report.seconds:.1f} s "
        f"(after dropping {dropped} projection documents)"
    )
    return EXIT_OK
