"""The migrator commands of issue 17: `audit-prune` (the audit log's retention), `export` and
`import` (backup and restore on any MongoDB-compatible server, see backup.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from flowra_adapters.mongo.audit import MongoAuditLog
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.system import SystemClock
from flowra_core.domain.datetimes import format_timestamp
from flowra_entrypoints.migrator import backup
from flowra_entrypoints.settings import Settings

AUDIT_PRUNE = "audit-prune"
EXPORT = "export"
IMPORT = "import"
EXIT_OK = 0
EXIT_REFUSED = 1

Command = Callable[[MongoDatabase, Settings, argparse.Namespace], Awaitable[int]]


def add_commands(commands: Any, after: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands to the migrator's parser (`commands` is its subparsers)."""
    export = commands.add_parser(
        EXPORT,
        parents=[after],
        help="write the journal and the non-derived collections as JSON Lines, plus uploads",
    )
    export.add_argument("--out", required=True, metavar="DIR", help="a new or empty directory")
    load = commands.add_parser(
        IMPORT,
        parents=[after],
        help="load an export into an empty database, then rebuild every projection",
    )
    load.add_argument(
        "--from", dest="source", required=True, metavar="DIR", help="the export's directory"
    )
    commands.add_parser(
        AUDIT_PRUNE,
        parents=[after],
        help="delete audit entries older than audit.retention (run it daily, e.g. from cron)",
    )


async def audit_prune(database: MongoDatabase, settings: Settings, _: argparse.Namespace) -> int:
    cutoff = SystemClock().now() - timedelta(seconds=settings.audit.retention)
    pruned = await MongoAuditLog(database).prune(cutoff)
    print(f"pruned {pruned} audit entries older than {format_timestamp(cutoff)}")  # noqa: T201
    return EXIT_OK


async def _refusable(command: Command, *args: Any) -> int:
    try:
        return await command(*args)
    except backup.BackupRefused as error:
        print(f"flowra-migrator: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_REFUSED


async def export(database: MongoDatabase, settings: Settings, args: argparse.Namespace) -> int:
    return await _refusable(backup.export, database, settings, args)


async def import_(database: MongoDatabase, settings: Settings, args: argparse.Namespace) -> int:
    return await _refusable(backup.import_, database, settings, args)


COMMANDS: Mapping[str, Command] = {AUDIT_PRUNE: audit_prune, EXPORT: export, IMPORT: import_}
