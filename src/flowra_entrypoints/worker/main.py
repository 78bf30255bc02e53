"""`flowra-worker`: the background jobs in their own process (operations.md §1, §5)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import uuid
from collections.abc import Sequence

from loguru import logger

from flowra_entrypoints.cli import EXIT_CONFIG_ERROR, refuse, start_process
from flowra_entrypoints.migrator.startup import require_current_schema
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.shutdown import ShutdownDeadline
from flowra_entrypoints.worker.job_names import KNOWN_JOBS

DEAD_LETTERS = "dead-letters"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="flowra-worker", description="Flowra background jobs")
    parser.add_argument("--config", metavar="PATH", help="YAML configuration file")
    parser.add_argument(
        "--jobs",
        default=",".join(KNOWN_JOBS),
        help=f"comma-separated jobs to run (default: all of {', '.join(KNOWN_JOBS)})",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="without one, run the jobs until stopped"
    )
    parked = commands.add_parser(
        DEAD_LETTERS,
        help="list what the delivery parked (stuck commits, bus dead letters, failed "
        "repairs); exit 1 if any",
    )
    parked.add_argument(
        "--replay",
        action="store_true",
        help="publish stuck commits, replay dead letters and queue failed repairs again now",
    )
    parked.add_argument(
        "--limit", type=int, default=100, help="how many of each kind to list (default 100)"
    )
    return parser.parse_args(argv)


def selected_jobs(text: str) -> list[str]:
    jobs = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in jobs if name not in KNOWN_JOBS]
    if unknown or not jobs:
        refuse(f"--jobs: {', '.join(unknown) or 'nothing'} is not a job; known: {KNOWN_JOBS}")
    return jobs


async def run(settings: Settings, job_names: list[str], explicit_keys: frozenset[str]) -> None:
    from flowra_entrypoints.worker.process import WorkerProcess

    process = WorkerProcess(settings, job_names, explicit_keys, owner=f"worker-{uuid.uuid4()}")
    deadline = ShutdownDeadline(settings.server.shutdown_timeout, "worker")

    def stop() -> None:
        deadline.arm()
        process.request_stop()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
    await process.run()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    loaded = start_process(args.config, "worker")
    settings = loaded.settings
    if settings.storage.backend == "memory":
        refuse(
            "storage.backend=memory runs every job inside flowra-api (unified mode); "
            "flowra-worker needs storage.backend=mongo",
            EXIT_CONFIG_ERROR,
        )
    require_current_schema(settings, migrate=False, process="flowra-worker")
    if args.command == DEAD_LETTERS:
        from flowra_entrypoints.worker.dead_letters import dead_letters_command

        if args.limit < 1:
            refuse("--limit must be at least 1")
        sys.exit(
            asyncio.run(
                dead_letters_command(
                    settings, loaded.explicit_keys, replay=args.replay, limit=args.limit
                )
            )
        )
    jobs = selected_jobs(args.jobs)
    logger.bind(logger="worker").info("starting flowra-worker", jobs=jobs, env=settings.env)
    asyncio.run(run(settings, jobs, loaded.explicit_keys))
