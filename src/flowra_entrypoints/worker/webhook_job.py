"""The worker's `webhooks` job: send due webhook deliveries, then prune the delivery log."""

from __future__ import annotations

from datetime import timedelta

from loguru import logger

from flowra_core.app.governance import Governance
from flowra_core.app.webhook_delivery import WebhookDispatcher
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.runner import Job

WEBHOOKS = "webhooks"
BATCH = 100


def build_webhook_job(governance: Governance, settings: Settings, metrics: Metrics) -> Job:
    dispatcher = WebhookDispatcher(
        governance.ports.webhooks, governance.webhook_sender, governance.clock, batch_size=BATCH
    )
    counted = metrics.governance
    retention = timedelta(seconds=settings.webhooks.delivery_retention)
    log = logger.bind(logger="worker.webhooks", job=WEBHOOKS)

    async def run_once() -> None:
        report = await dispatcher.run_once()
        for outcome, seconds in report.outcomes:
            counted.webhook_deliveries.labels(outcome).inc()
            counted.webhook_delivery_seconds.observe(seconds)
        if report.outcomes:
            log.info("webhook deliveries", attempts=len(report.outcomes))
        await governance.ports.webhooks.prune_delivered(governance.clock.now() - retention)

    return Job(WEBHOOKS, settings.webhooks.delivery_interval, run_once)
