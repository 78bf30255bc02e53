"""The repair job (operations.md §5): every `worker.repair_interval` it deletes uploads never
attached to a message once they are 24 h old. (Rebuilding what failed after a commit is the
reaction sweep's work, in the `relay` job.)"""

from __future__ import annotations

from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import REPAIR
from flowra_entrypoints.worker.runner import Job


def build_repair_job(core: FlowraCore, settings: Settings) -> Job:
    sweep = core.upload_sweep()
    log = logger.bind(logger=f"worker.{REPAIR}", job=REPAIR)

    async def run_once() -> None:
        deleted = await sweep.run_once()
        if deleted:
            log.info("unattached uploads deleted", files=deleted)

    return Job(REPAIR, settings.worker.repair_interval, run_once)
