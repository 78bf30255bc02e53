"""The worker's jobs (operations.md §5), built from the core and the settings.

Every job here runs in the standalone `flowra-worker` and, in unified mode, inside
`flowra-api`. What follows a commit runs inline in the process that made it; the `relay` job
is the sweep that retries what did not finish there (reactions.py).
"""

from __future__ import annotations

import httpx
from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_core.app.reactions import PARK_AFTER_ATTEMPTS
from flowra_core.ports.dead_letters import DeadLetters
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.repair_job import build_repair_job
from flowra_entrypoints.worker.runner import Job
from flowra_entrypoints.worker.user_sync_job import build_user_sync_job

RELAY = "relay"
# The guide's job names from before the reaction work list (operations.md §5): the one sweep
# now does what the catch-up and the dispatch sweep did, so they name it too.
CATCHUP = "catchup"
DISPATCH = "dispatch"
JOB_ALIASES = {CATCHUP: RELAY, DISPATCH: RELAY}


def job_names(requested: list[str]) -> set[str]:
    """The jobs to run for the names given on the command line (aliases resolved)."""
    return {JOB_ALIASES.get(name, name) for name in requested}


def build_jobs(
    core: FlowraCore,
    settings: Settings,
    metrics: Metrics,
    http_client: httpx.AsyncClient,
    dead_letters: DeadLetters,
) -> list[Job]:
    log = logger.bind(logger="worker.relay", job=RELAY)
    batch = settings.worker.relay_batch_size

    async def run_reactions() -> None:
        """The reaction sweep (design §2.6): commits whose reactions failed inline or whose
        process died before running them."""
        report = await core.reactions.sweep(limit=batch)
        handled = report.finished + report.failed + report.parked
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
        await _record_backlog(core, dead_letters, metrics)

    jobs = [
        Job(RELAY, settings.worker.relay_interval, run_reactions),
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
    backlog = await core.ports.reaction_work.backlog()
    metrics.bus_dead_letters.set(await dead_letters.dead_letter_count())
    now = core.ports.clock.now()
    # One work list (design §2.6) behind the guide's relay, projection and dispatch gauges.
    metrics.relay_unpublished.set(backlog.pending)
    metrics.relay_stuck.set(backlog.parked)
    metrics.projection_lag.set(backlog.pending)
    metrics.dispatch_lag.set(backlog.pending)
    oldest = backlog.oldest_pending_at
    metrics.relay_oldest_age.set((now - oldest).total_seconds() if oldest is not None else 0)
