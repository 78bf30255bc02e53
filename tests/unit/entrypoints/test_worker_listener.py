"""The worker's listener on `worker.metrics_port`: /health, /ready and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from flowra_entrypoints.health import ComponentHealth, HealthCheck, HealthRegistry, HealthStatus
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.worker.listener import WorkerListener


def _fixed(status: HealthStatus) -> HealthCheck:
    async def check() -> ComponentHealth:
        return ComponentHealth(status=status, backend="test")

    return check


async def _client(mongodb: HealthStatus) -> httpx.AsyncClient:
    health = HealthRegistry(readiness={"mongodb": _fixed(mongodb)}, details={}, timeout=5.0)
    metrics = Metrics()
    metrics.events_committed.labels(type="message.created").inc()
    app = WorkerListener(health, metrics)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w")


@pytest.fixture
async def healthy() -> AsyncIterator[httpx.AsyncClient]:
    async with await _client("healthy") as http:
        yield http


async def test_health_answers_while_the_process_runs(healthy: httpx.AsyncClient) -> None:
    answered = await healthy.get("/health")
    assert (answered.status_code, answered.json()) == (200, {"status": "healthy"})


async def test_ready_reports_its_components(healthy: httpx.AsyncClient) -> None:
    answered = await healthy.get("/ready")
    assert answered.status_code == 200
    assert answered.json() == {
        "status": "ready",
        "components": {"mongodb": {"status": "healthy", "backend": "test"}},
    }


async def test_ready_is_503_when_a_component_is_unhealthy() -> None:
    async with await _client("unhealthy") as http:
        answered = await http.get("/ready")
    assert answered.status_code == 503
    assert answered.json()["status"] == "not_ready"


async def test_metrics_are_the_prometheus_exposition(healthy: httpx.AsyncClient) -> None:
    answered = await healthy.get("/metrics")
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/plain")
    assert 'flowra_events_committed_total{type="message.created"} 1.0' in answered.text


async def test_other_paths_and_methods_are_refused(healthy: httpx.AsyncClient) -> None:
    assert (await healthy.get("/api/v1/workspaces")).status_code == 404
    assert (await healthy.post("/health")).status_code == 405
