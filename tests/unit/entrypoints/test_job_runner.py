"""The job runner: one lease per job, and a database outage never ends the loop that runs it."""

from __future__ import annotations

import asyncio

from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.memory.locks import InMemoryLeaseLocks
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.worker.runner import Job, JobRunner


class OutageLocks(InMemoryLeaseLocks):
    """In-memory leases whose database is unreachable for the first `outages` calls."""

    def __init__(self, clock: FixedClock, *, outages: int) -> None:
        super().__init__(clock)
        self.outages = outages

    def _maybe_down(self) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise ServiceUnavailable("mongodb", "connection refused")

    async def acquire(self, name: str, owner: str, ttl_seconds: float) -> bool:
        self._maybe_down()
        return await super().acquire(name, owner, ttl_seconds)

    async def release(self, name: str, owner: str) -> None:
        self._maybe_down()
        await super().release(name, owner)


async def _run_until(runner: JobRunner, done: asyncio.Event) -> None:
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(5):
        await done.wait()
    runner.stop()
    await task


async def test_a_lease_outage_skips_a_tick_and_the_job_runs_once_the_database_is_back() -> None:
    locks = OutageLocks(FixedClock(), outages=2)
    ran = asyncio.Event()

    async def run_once() -> None:
        ran.set()

    runner = JobRunner([Job("relay", 0.0, run_once)], locks, "worker-1")

    await _run_until(runner, ran)

    assert locks.outages == 0


async def test_a_job_held_by_another_worker_does_not_run_here() -> None:
    clock = FixedClock()
    locks = InMemoryLeaseLocks(clock)
    assert await locks.acquire("relay", "worker-2", 30.0)
    other_ran = asyncio.Event()
    relay_runs: list[str] = []

    async def relay() -> None:
        relay_runs.append("ran")

    async def catchup() -> None:
        other_ran.set()

    runner = JobRunner([Job("relay", 0.0, relay), Job("catchup", 0.0, catchup)], locks, "worker-1")

    await _run_until(runner, other_ran)

    assert relay_runs == []
    assert await locks.acquire("catchup", "worker-2", 30.0)  # released when the runner stopped


async def test_stopping_during_an_outage_leaves_the_lease_to_expire() -> None:
    clock = FixedClock()
    locks = OutageLocks(clock, outages=0)
    ran = asyncio.Event()

    async def run_once() -> None:
        locks.outages = 1  # the release at stop finds the database away
        ran.set()

    runner = JobRunner([Job("relay", 60.0, run_once)], locks, "worker-1")

    await _run_until(runner, ran)

    assert not await locks.acquire("relay", "worker-2", 30.0)  # still held: not released


class CountingLocks(InMemoryLeaseLocks):
    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock)
        self.acquires = 0

    async def acquire(self, name: str, owner: str, ttl_seconds: float) -> bool:
        self.acquires += 1
        return await super().acquire(name, owner, ttl_seconds)


async def test_a_held_lease_is_not_written_on_every_tick() -> None:
    locks = CountingLocks(FixedClock())
    runs: list[int] = []
    enough = asyncio.Event()

    async def run_once() -> None:
        runs.append(1)
        if len(runs) == 50:
            enough.set()

    await _run_until(JobRunner([Job("relay", 0.0, run_once)], locks, "worker-1"), enough)

    # 50 ticks within a second: the lease taken once has more than half its life left.
    assert locks.acquires == 1


async def test_a_standby_does_not_ask_for_a_held_lease_on_every_tick() -> None:
    clock = FixedClock()
    locks = CountingLocks(clock)
    assert await locks.acquire("relay", "worker-2", 30.0)
    other_runs: list[int] = []
    enough = asyncio.Event()

    async def relay() -> None:
        raise AssertionError("worker-2 holds the relay")

    async def other() -> None:
        other_runs.append(1)
        if len(other_runs) == 50:
            enough.set()

    runner = JobRunner([Job("relay", 0.0, relay), Job("other", 0.0, other)], locks, "worker-1")
    await _run_until(runner, enough)

    # One try for each job (plus the test's own), then the standby waits for its retry time.
    assert locks.acquires == 3
