"""The migrator commands of issue 17: `audit-prune` (the audit log's retention), `export` and
`import` (backup and restore on any MongoDB-compatible server, see backup.py)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from flowra_adapters.mongo.audit import MongoAuditLog
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.system import SystemClock
from flowra_core.domain.datetimes import format_timestamp
from flowra_entrypoints.settings import Settings

AUDIT_PRUNE = "audit-prune"
EXIT_OK = 0

Command = Callable[[MongoDatabase, Settings, argparse.Namespace], Awaitable[int]]


def add_commands(commands: Any, after: argparse.ArgumentParser) -> None:
    """Adds this module's subcommands to the migrator's parser (`commands` is its subparsers)."""
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


COMMANDS: Mapping[str, Command] = {AUDIT_PRUNE: audit_prune}
