"""The worker's `webhooks` job: send due webhook deliveries, then prune the delivery log."""

from __future__ import annotations

from datetime import datetime, timedelta

from loguru import logger

from flowra_core.app.governance.services import Governance
from flowra_core.app.governance.webhook_delivery import WebhookDispatcher
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import WEBHOOKS
from flowra_entrypoints.worker.runner import Job

BATCH = 100
# The delivery log's retention runs at most this often (a tick runs every few seconds).
PRUNE_EVERY = timedelta(hours=1)


def build_webhook_job(governance: Governance, settings: Settings, metrics: Metrics) -> Job:
    dispatcher = WebhookDispatcher(
        governance.ports.webhooks, governance.webhook_sender, governance.clock, batch_size=BATCH
    )
    counted = metrics.governance
    retention = timedelta(seconds=settings.webhooks.delivery_retention)
    log = logger.bind(logger="worker.webhooks", job=WEBHOOKS)
    pruned_at: list[datetime] = []  # the last retention pass of this process

    async def run_once() -> None:
        report = await dispatcher.run_once()
        for outcome, seconds in report.outcomes:
            counted.webhook_deliveries.labels(outcome).inc()
            counted.webhook_delivery_seconds.observe(seconds)
        if report.outcomes:
            log.info("webhook deliveries", attempts=len(report.outcomes))
        now = governance.clock.now()
        if not pruned_at or now - pruned_at[-1] >= PRUNE_EVERY:
            await governance.ports.webhooks.prune_delivered(now - retention)
            pruned_at[:] = [now]

    return Job(WEBHOOKS, settings.webhooks.delivery_interval, run_once)
