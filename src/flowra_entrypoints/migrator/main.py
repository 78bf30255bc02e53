"""`flowra-migrator [--config PATH] COMMAND`, COMMAND being one of
`up [--to VERSION]`, `down [--steps N] [--yes-i-know]`, `status`,
`rebuild-projections [--aggregate-type T] [--aggregate-id ID] [--yes-i-know]`,
`audit-prune`, `export --out DIR`, `import --from DIR`.

Exit codes (operations.md §1): 0 done, 1 refused or failed (nothing half-done: a refusal
happens before any change), 2 configuration or usage error, 3 (`status`) migrations pending.
With `storage.backend=memory` every command prints `nothing to do (memory backend)`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import uuid
from collections.abc import Sequence
from typing import NoReturn

from loguru import logger

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import (
    LockHeldError,
    LockLostError,
    MigrationError,
    Migrator,
    UnknownMigrationVersionError,
)
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import FlowraError
from flowra_core.domain.events import AggregateType
from flowra_entrypoints.logging import configure_logging
from flowra_entrypoints.migrator import governance
from flowra_entrypoints.migrator.commands import rebuild_projections, run_command
from flowra_entrypoints.settings import LoadedSettings, Settings, SettingsError, load_settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2
MEMORY_BACKEND_MESSAGE = "nothing to do (memory backend)"
PRODUCTION_OVERRIDE_FLAG = "--yes-i-know"
REBUILD = "rebuild-projections"
# What each command changes, as a refusal on env=production says it.
_RISKY_IN_PRODUCTION = {
    "down": "it reverts schema changes",
    REBUILD: "it drops and rebuilds read models, which needs every writer stopped",
}
# The migrator runs one command at a time: a couple of connections is plenty.
_POOL_SIZE = 2


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", metavar="PATH", help="YAML configuration file")
    parser = argparse.ArgumentParser(
        prog="flowra-migrator", description="Flowra schema and data migrations", parents=[config]
    )
    # `--config` is accepted after the command too; there it must not reset a value given before.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser("up", parents=[after], help="apply pending migrations in order")
    up.add_argument("--to", metavar="VERSION", help="stop after this migration")
    down = commands.add_parser("down", parents=[after], help="revert the last migrations")
    down.add_argument("--steps", type=_positive, default=1, metavar="N", help="how many (1)")
    down.add_argument(
        PRODUCTION_OVERRIDE_FLAG,
        dest="yes_i_know",
        action="store_true",
        help="allow down with env=production",
    )
    commands.add_parser("status", parents=[after], help="list migrations (exit 3 if pending)")
    rebuild = commands.add_parser(
        REBUILD,
        parents=[after],
        help="drop the projections and replay them from the journal (stop every writer first)",
    )
    rebuild.add_argument(
        "--aggregate-type",
        choices=[aggregate_type.value for aggregate_type in AggregateType],
        help="only this type's projections (a chat's include its messages)",
    )
    rebuild.add_argument(
        "--aggregate-id",
        metavar="ID",
        help="only this aggregate's projections (an inbox is inbox:<user id>)",
    )
    rebuild.add_argument(
        PRODUCTION_OVERRIDE_FLAG,
        dest="yes_i_know",
        action="store_true",
        help=f"allow {REBUILD} with env=production",
    )
    governance.add_commands(commands, after)
    return parser.parse_args(argv)


def _fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"flowra-migrator: {message}", file=sys.stderr)  # noqa: T201
    return code


def _load(config_path: str | None) -> LoadedSettings | int:
    try:
        return load_settings(config_path)
    except SettingsError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG_ERROR


def _owner() -> str:
    """Who holds the `migrator` lock, as shown to a second run."""
    return f"flowra-migrator@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    mongodb = settings.mongodb
    client = create_mongo_client(mongodb.uri, timeout=mongodb.timeout, max_pool_size=_POOL_SIZE)
    try:
        database = MongoDatabase(client, mongodb.database)
        if args.command in governance.COMMANDS:
            return await governance.COMMANDS[args.command](database, settings, args)
        if args.command == REBUILD:
            return await rebuild_projections(database, args, owner=_owner())
        migrator = Migrator(database, owner=_owner(), clock=SystemClock())
        return await run_command(migrator, args)
    except UnknownMigrationVersionError as error:
        return _fail(str(error), EXIT_CONFIG_ERROR)
    except (MigrationError, LockHeldError, LockLostError, FlowraError) as error:
        return _fail(str(error))
    finally:
        await client.close()


def run(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    loaded = _load(args.config)
    if isinstance(loaded, int):
        return loaded
    settings = loaded.settings
    configure_logging(settings.log.level, settings.log.format)
    for warning in loaded.warnings:
        logger.bind(logger="migrator").warning(warning)
    if settings.storage.backend == "memory":
        print(MEMORY_BACKEND_MESSAGE)  # noqa: T201
        return EXIT_OK
    risk = _RISKY_IN_PRODUCTION.get(args.command)
    if risk is not None and settings.is_production and not args.yes_i_know:
        return _fail(
            f"refusing to run {args.command} with env=production: {risk}; "
            f"add {PRODUCTION_OVERRIDE_FLAG} if you mean it"
        )
    return asyncio.run(_run(args, settings))


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(argv))
