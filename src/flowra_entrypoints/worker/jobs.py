"""The worker's jobs (operations.md §5), built from the core and the settings.

Every job here runs in the standalone `flowra-worker` and, in unified mode, inside
`flowra-api`. Notification dispatch itself is the bus's `dispatch` consumer group, which the
core subscribes when it is built; the `dispatch` job is its 10 s sweep of the commits the
consumer has not confirmed.
"""

from __future__ import annotations

import httpx
from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_core.app.relay import STUCK_AFTER_ATTEMPTS
from flowra_core.ports.dead_letters import DeadLetters
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import CATCHUP, DISPATCH, RELAY
from flowra_entrypoints.worker.repair_job import build_repair_job
from flowra_entrypoints.worker.runner import Job
from flowra_entrypoints.worker.user_sync_job import build_user_sync_job

# operations.md §5: "continuous + 10 s sweep".
DISPATCH_SWEEP_INTERVAL = 10.0


def build_jobs(
    core: FlowraCore,
    settings: Settings,
    metrics: Metrics,
    http_client: httpx.AsyncClient,
    dead_letters: DeadLetters,
) -> list[Job]:
    relay = core.relay(batch_size=settings.worker.relay_batch_size)
    catchup = core.catchup(batch_size=settings.worker.relay_batch_size)
    log = logger.bind(logger="worker.relay", job=RELAY)

    async def run_relay() -> None:
        report = await relay.run_once()
        if report.published or report.failed:
            metrics.relay_batch_size.observe(report.published + report.failed)
        for event_type in report.published_types:
            metrics.events_published.labels(event_type, "relay").inc()
        for event_type in report.failed_types:
            metrics.publish_failures.labels(event_type).inc()
        if report.newly_stuck:
            log.error(
                "a commit failed to publish repeatedly; it keeps being retried",
                attempts=STUCK_AFTER_ATTEMPTS,
            )
        await _record_backlog(core, dead_letters, metrics)

    async def run_catchup() -> None:
        confirmed = await catchup.run_once()
        if confirmed:
            logger.bind(logger="worker.catchup", job=CATCHUP).info(
                "projections caught up", commits=confirmed
            )

    sweep = core.dispatch_sweep(batch_size=settings.worker.relay_batch_size)

    async def run_dispatch_sweep() -> None:
        report = await sweep.run_once()
        if report.dispatched or report.failed:
            logger.bind(logger="worker.dispatch", job=DISPATCH).info(
                "dispatch sweep", dispatched=report.dispatched, failed=report.failed
            )

    jobs = [
        Job(RELAY, settings.worker.relay_interval, run_relay),
        Job(CATCHUP, settings.worker.catchup_interval, run_catchup),
        Job(DISPATCH, DISPATCH_SWEEP_INTERVAL, run_dispatch_sweep),
        build_repair_job(core, settings, metrics),
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
    backlog = await core.ports.event_store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)
    metrics.bus_dead_letters.set(await dead_letters.dead_letter_count())
    now = core.ports.clock.now()
    metrics.relay_unpublished.set(backlog.unpublished)
    metrics.relay_stuck.set(backlog.stuck)
    metrics.projection_lag.set(backlog.unprojected)
    metrics.dispatch_lag.set(backlog.undispatched)
    oldest = backlog.oldest_unpublished_at
    metrics.relay_oldest_age.set((now - oldest).total_seconds() if oldest is not None else 0)
