"""Database commands per HTTP operation on the mongo profile (issue: commands per operation,
budgeted), and commands per second of each background job at idle.

Each operation runs against a fresh migrated database of the server of `scripts/services.sh up`
through the real app in-process (httpx ASGI transport, embedded worker off); the commands are
counted with PyMongo's command monitoring (`flowra_adapters.mongo.command_log`). Counts are
deterministic, so the numbers are exact; `tests/integration/test_db_command_budget.py` pins them.

`.venv/bin/python -m benchmarks.db_commands [--uri URI] [--idle-seconds 10] [--verbose]`
"""

from __future__ import annotations

import argparse
import asyncio

from benchmarks.db_command_kit import (
    BUDGETS,
    command_counts,
    idle_commands_per_second,
    print_counts,
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uri", default="mongodb://127.0.0.1:27017")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--verbose", action="store_true", help="list every command")
    args = parser.parse_args()
    counts = await command_counts(args.uri)
    print_counts(counts, BUDGETS, verbose=args.verbose)
    per_job = await idle_commands_per_second(args.uri, seconds=args.idle_seconds)
    print(f"\nidle background, {args.idle_seconds:.0f} s window (commands/s per job):")
    for job, rate in sorted(per_job.items()):
        print(f"  {job:<24} {rate:6.2f}")


if __name__ == "__main__":
    asyncio.run(main())
