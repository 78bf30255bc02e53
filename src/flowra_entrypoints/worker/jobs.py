"""The worker's jobs (operations.md §5), built from the core and the settings.

Every job here runs in the standalone `flowra-worker` and, in unified mode, inside
`flowra-api`. What follows a commit runs inline in the process that made it; the `relay` job
is the sweep that retries what did not finish there (reactions.py).
"""

from __future__ import annotations

import time

import httpx
from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import PARK_AFTER_ATTEMPTS
from flowra_core.ports.dead_letters import DeadLetters
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import RELAY
from flowra_entrypoints.worker.repair_job import build_repair_job
from flowra_entrypoints.worker.runner import Job
from flowra_entrypoints.worker.user_sync_job import build_user_sync_job

IDLE_LOOK_SECONDS = 5.0
GAUGE_SECONDS = 15.0
# Ticks come a little late or early; a look due within this is taken now.
_TICK_SLACK_SECONDS = 0.05


class IdlePace:
    """How often an idle sweep looks: every tick while it finds work, then doubling up to
    IDLE_LOOK_SECONDS once it finds none (new work is due INLINE_GRACE after its commit at the
    earliest, so looking every few seconds loses nothing); the backlog gauges every
    GAUGE_SECONDS. An idle worker then costs a fraction of a command per second. Times are
    the monotonic clock's: this is about real polling cost, whatever the core's clock says."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._wait = interval
        self._next_look = 0.0
        self._next_gauges = 0.0

    def skip(self, now: float) -> bool:
        return now < self._next_look

    def ran(self, now: float, *, busy: bool) -> None:
        self._wait = self._interval if busy else min(self._wait * 2, IDLE_LOOK_SECONDS)
        self._next_look = now + self._wait - _TICK_SLACK_SECONDS

    def gauges_due(self, now: float) -> bool:
        if now < self._next_gauges:
            return False
        self._next_gauges = now + GAUGE_SECONDS
        return True


def build_jobs(
    core: FlowraCore,
    settings: Settings,
    metrics: Metrics,
    http_client: httpx.AsyncClient,
    dead_letters: DeadLetters,
) -> list[Job]:
    log = logger.bind(logger="worker.relay", job=RELAY)
    batch = settings.worker.relay_batch_size
    pace = IdlePace(settings.worker.relay_interval)

    async def run_reactions() -> None:
        """The reaction sweep (design §2.6): commits whose reactions failed inline or whose
        process died before running them. Idle, it looks less often (`IdlePace`)."""
        now = time.monotonic()
        if pace.skip(now):
            return
        report = await core.reactions.sweep(limit=batch)
        handled = report.finished + report.failed + report.parked + report.dropped
        pace.ran(now, busy=handled > 0)
        if handled:
            metrics.relay_batch_size.observe(handled)
            log.info(
                "reactions swept",
                finished=report.finished,
                failed=report.failed,
                parked=report.parked,
                dropped=report.dropped,
            )
        if report.parked:
            log.error(
                "a commit's reactions failed repeatedly and are parked",
                attempts=PARK_AFTER_ATTEMPTS,
            )
        if pace.gauges_due(now) or handled:
            await _record_backlog(core, dead_letters, metrics)

    jobs = [
        Job(RELAY, settings.worker.relay_interval, run_reactions),
        build_repair_job(core, settings),
    ]
    user_sync = build_user_sync_job(
        core,
        settings,
        http_client,
        record_run=lambda outcome: metrics.user_sync_runs.labels(outcome).inc(),
    )
    if user_sync is not None:
        jobs.append(user_sync)
    return jobs


async def _record_backlog(core: FlowraCore, dead_letters: DeadLetters, metrics: Metrics) -> None:
    backlog = await core.ports.reaction_work.backlog()
    metrics.bus_dead_letters.set(await dead_letters.dead_letter_count())
    now = core.ports.clock.now()
    # One work list (design §2.6) behind the guide's relay, projection and dispatch gauges.
    metrics.relay_unpublished.set(backlog.pending)
    metrics.repair_queue_items.labels("pending").set(backlog.pending)
    metrics.repair_queue_items.labels("failed").set(backlog.parked)
    metrics.relay_stuck.set(backlog.parked)
    metrics.projection_lag.set(backlog.pending)
    metrics.dispatch_lag.set(backlog.pending)
    oldest = backlog.oldest_pending_at
    metrics.relay_oldest_age.set((now - oldest).total_seconds() if oldest is not None else 0)
