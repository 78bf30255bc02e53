"""The repair job (operations.md §5): every `worker.repair_interval` it works through the due
items of `repair_queue` and deletes stale unattached uploads, then sets the
`flowra_repair_queue_items{status}` gauge. An item given up after its fifth failure is logged
at ERROR (and turns the health component `repair_queue` degraded)."""

from __future__ import annotations

from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_core.app.repair import RepairReport, RepairService
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import REPAIR
from flowra_entrypoints.worker.runner import Job

# Queue items per run: each is a whole rebuild, and the run must stay well inside the job's
# 30 s lease lock.
REPAIR_BATCH_SIZE = 10


def build_repair_job(
    core: FlowraCore,
    settings: Settings,
    metrics: Metrics,
    *,
    batch_size: int = REPAIR_BATCH_SIZE,
) -> Job:
    repair = core.repair(batch_size=batch_size)

    async def run_once() -> None:
        report = await repair.run_once()
        _log_report(report)
        await record_repair_queue(repair, metrics)

    return Job(REPAIR, settings.worker.repair_interval, run_once)


async def record_repair_queue(repair: RepairService, metrics: Metrics) -> None:
    for status, count in (await repair.counts()).items():
        metrics.repair_queue_items.labels(status.value).set(count)


def _log_report(report: RepairReport) -> None:
    log = logger.bind(logger=f"worker.{REPAIR}", job=REPAIR)
    for item in report.repaired:
        log.info(
            "projections repaired",
            aggregate_type=item.aggregate_type.value,
            aggregate_id=item.aggregate_id,
            attempts=item.attempts + 1,
        )
    for failure in report.failures:
        fields = {
            "aggregate_type": failure.item.aggregate_type.value,
            "aggregate_id": failure.item.aggregate_id,
            "attempts": failure.attempts,
            "error": failure.error,
        }
        if failure.gave_up:
            log.error("repair failed for good; the item needs an operator", **fields)
        else:
            log.warning("repair failed; it will be retried", **fields)
    if report.uploads_deleted:
        log.info("unattached uploads deleted", files=report.uploads_deleted)
