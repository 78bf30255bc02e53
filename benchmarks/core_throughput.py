"""Throughput of the core on the in-memory adapters (issue: core library).

Prints, as the median of several runs measured in this one process:
- tag parse + plan throughput (pure grammar, no I/O);
- send-message use-case throughput for plain messages;
- send-message throughput for messages whose tags change the work item (parse + apply +
  bot reply).

Not a test: it never fails on speed. Run: `.venv/bin/python benchmarks/core_throughput.py`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from flowra_core.app.actor import Actor
from flowra_core.domain.chat import NewChat
from flowra_core.domain.tags.grammar import parse_tags, plan_commands
from flowra_core.testing.builder import TestCore, build_test_core

RUNS = 5
TAGGED = "Deploy notes\n#status In Progress #priority High\n#assignee @bob\n#due 2026-03-01"
TAG_ROTATION = ("#status Done #priority Low", "#status In Progress #priority High")


def ops_per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def median_rate(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f} ops/s (runs: {', '.join(f'{r:,.0f}' for r in rates)})"


def bench_tag_parsing(iterations: int) -> float:
    started = time.perf_counter()
    for _ in range(iterations):
        plan_commands(parse_tags(TAGGED))
    return ops_per_second(iterations, time.perf_counter() - started)


async def setup() -> tuple[TestCore, Actor, str, str]:
    test_core = await build_test_core()
    alice = await test_core.user("alice")
    bob = await test_core.user("bob")
    core = test_core.core
    workspace = await core.workspaces.create(alice, name="Bench", description=None)
    workspace_id = workspace.workspace.id
    await core.workspaces.add_member(
        alice, workspace_id, user_id=bob.user_id, username=None, role=None
    )
    chat = await core.chats.create(
        alice, workspace_id, NewChat(type="task", title="Benchmark task")
    )
    return test_core, alice, workspace_id, chat.chat.id


async def bench_sends(count: int, content_of: Callable[[int], str]) -> float:
    test_core, alice, workspace_id, chat_id = await setup()
    messages = test_core.core.messages
    started = time.perf_counter()
    for index in range(count):
        await messages.send(alice, workspace_id, chat_id, content=content_of(index))
    return ops_per_second(count, time.perf_counter() - started)


async def main() -> None:
    parse_rates = [bench_tag_parsing(20_000) for _ in range(RUNS)]
    plain_rates = [await bench_sends(2_000, lambda i: f"message {i}") for _ in range(RUNS)]
    tagged_rates = [await bench_sends(1_000, lambda i: TAG_ROTATION[i % 2]) for _ in range(RUNS)]
    print(f"tag parse + plan:                {median_rate(parse_rates)}")
    print(f"send-message (plain):            {median_rate(plain_rates)}")
    print(f"send-message (2 tags applied):   {median_rate(tagged_rates)}")


if __name__ == "__main__":
    asyncio.run(main())
