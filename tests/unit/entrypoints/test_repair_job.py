"""The `repair` worker job (operations.md §5): its interval comes from
`worker.repair_interval`, each run repairs the due items and sets
`flowra_repair_queue_items{status}`, and an item given up is logged at ERROR."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from loguru import logger

from flowra_core.app.repair import FAILED_AFTER_ATTEMPTS, retry_delay
from flowra_core.domain.events import AggregateType
from flowra_core.testing.builder import TestCore, build_test_core
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.worker.jobs import build_jobs
from flowra_entrypoints.worker.main import KNOWN_JOBS, selected_jobs
from flowra_entrypoints.worker.repair_job import REPAIR, build_repair_job
from flowra_entrypoints.worker.runner import Job


@dataclass
class Logged:
    level: str
    message: str
    extra: dict[str, Any]


@pytest.fixture
def logged() -> Iterator[list[Logged]]:
    records: list[Logged] = []

    def keep(message: Any) -> None:
        record = message.record
        records.append(Logged(record["level"].name, record["message"], dict(record["extra"])))

    sink = logger.add(keep, level="INFO")
    yield records
    logger.remove(sink)


def gauge(metrics: Metrics, status: str) -> float | None:
    return metrics.registry.get_sample_value("flowra_repair_queue_items", {"status": status})


async def rig() -> tuple[TestCore, Metrics, Job]:
    tc = await build_test_core()
    settings = load_settings(None, environ={"FLOWRA_WORKER_REPAIR_INTERVAL": "45s"}).settings
    metrics = Metrics()
    return tc, metrics, build_repair_job(tc.core, settings, metrics)


async def test_a_run_repairs_and_sets_the_gauge_per_status() -> None:
    tc, metrics, job = await rig()
    # An id the journal does not know: nothing to rebuild, so the item is done at once.
    await tc.adapters.repair_queue.enqueue(
        AggregateType.CHAT, "no-such-chat", "test", item_id="item-1", now=tc.clock.now()
    )

    assert (job.name, job.interval) == (REPAIR, 45.0)
    await job.run_once()

    assert {s: gauge(metrics, s) for s in ("pending", "processing", "done", "failed")} == {
        "pending": 0.0,
        "processing": 0.0,
        "done": 1.0,
        "failed": 0.0,
    }


async def test_an_item_given_up_is_logged_at_error(logged: list[Logged]) -> None:
    tc, metrics, job = await rig()
    alice = await tc.user("alice")
    workspace = await tc.core.workspaces.create(alice, name="Team", description=None)
    # A workspace id named as a chat: the journal holds no chat there, so every repair fails.
    await tc.adapters.repair_queue.enqueue(
        AggregateType.CHAT, workspace.workspace.id, "test", item_id="item-1", now=tc.clock.now()
    )

    for attempt in range(1, FAILED_AFTER_ATTEMPTS + 1):
        await job.run_once()
        tc.clock.advance(retry_delay(attempt) + timedelta(seconds=1))

    errors = [record for record in logged if record.level == "ERROR"]
    warnings = [record for record in logged if record.level == "WARNING"]
    assert len(warnings) == FAILED_AFTER_ATTEMPTS - 1
    (error,) = errors
    assert error.extra["job"] == REPAIR
    assert error.extra["aggregate_id"] == workspace.workspace.id
    assert error.extra["attempts"] == FAILED_AFTER_ATTEMPTS
    assert gauge(metrics, "failed") == 1.0
    assert gauge(metrics, "pending") == 0.0


async def test_the_worker_knows_and_builds_the_repair_job() -> None:
    tc = await build_test_core()
    settings = load_settings(None, environ={}).settings
    async with httpx.AsyncClient() as http_client:
        jobs = build_jobs(tc.core, settings, Metrics(), http_client, tc.adapters.bus)

    repair = next(job for job in jobs if job.name == REPAIR)
    assert repair.interval == 30.0  # the default of worker.repair_interval
    assert REPAIR in KNOWN_JOBS
    assert selected_jobs("relay, repair") == ["relay", REPAIR]
