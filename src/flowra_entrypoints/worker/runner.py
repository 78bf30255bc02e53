"""Runs periodic jobs, each under a lease lock so one process at a time runs it.

A job that fails is logged and tried again at its next tick: one bad batch never stops
the worker. Stopping lets the current batch finish, then releases the leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from loguru import logger

from flowra_core.domain.errors import FlowraError
from flowra_core.ports.locks import LeaseLocks

LEASE_SECONDS = 30.0
# A held lease is renewed once less than this is left (not on every tick: one write per
# ~15 s instead of one per second); a process that does not hold it asks again this often.
RENEW_BELOW_SECONDS = LEASE_SECONDS / 2
STANDBY_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    interval: float
    run_once: Callable[[], Awaitable[None]]


class JobRunner:
    def __init__(self, jobs: Sequence[Job], locks: LeaseLocks, owner: str) -> None:
        self._jobs = list(jobs)
        self._locks = locks
        self._owner = owner
        self._stop = asyncio.Event()
        # Per job, by the monotonic clock: until when our lease runs, and when a standby asks.
        self._held_until: dict[str, float] = {}
        self._next_try: dict[str, float] = {}

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for job in self._jobs:
                group.create_task(self._loop(job), name=f"job:{job.name}")

    async def _loop(self, job: Job) -> None:
        try:
            while not self._stop.is_set():
                # A batch is far shorter than the half lease left when it starts.
                if await self._acquire(job):
                    await self._tick(job)
                with contextlib.suppress(TimeoutError):
                    # The interval timer; it ends early when the runner is stopped.
                    await asyncio.wait_for(self._stop.wait(), timeout=job.interval)
        finally:
            await self._release(job)

    async def _acquire(self, job: Job) -> bool:
        """Whether this process holds the job's lease now, taking or renewing it when due; a
        database that cannot answer means not this time (the loop must outlive an outage: it
        is the only thing that runs the job here)."""
        now = time.monotonic()
        held_until = self._held_until.get(job.name)
        if held_until is not None and held_until - now > RENEW_BELOW_SECONDS:
            return True
        if held_until is None and now < self._next_try.get(job.name, 0.0):
            return False
        try:
            taken = await self._locks.acquire(job.name, self._owner, LEASE_SECONDS)
        except FlowraError as error:
            logger.bind(logger=f"worker.{job.name}", job=job.name).warning(
                "could not take the job's lease", error=error.message
            )
            # Not this tick; ask again at the next one (the lease may still be ours).
            self._held_until.pop(job.name, None)
            return False
        if taken:
            self._held_until[job.name] = now + LEASE_SECONDS
            return True
        # Another process holds it: a standby need not ask every tick.
        self._held_until.pop(job.name, None)
        self._next_try[job.name] = now + STANDBY_RETRY_SECONDS
        return False

    async def _release(self, job: Job) -> None:
        """Give the lease back; if the database cannot take it, the lease simply expires."""
        try:
            await self._locks.release(job.name, self._owner)
        except FlowraError as error:
            logger.bind(logger=f"worker.{job.name}", job=job.name).warning(
                "could not release the job's lease; it expires on its own", error=error.message
            )

    @staticmethod
    async def _tick(job: Job) -> None:
        bound = logger.bind(logger=f"worker.{job.name}", job=job.name)
        try:
            await job.run_once()
        except FlowraError as error:
            bound.warning("job run failed", error=error.message, error_type=type(error).__name__)
        except Exception:  # noqa: BLE001 - a job's bug must not stop the other jobs
            bound.exception("job run crashed")
