"""Admission control: requests past `server.max_concurrent_requests` wait in line and are
shed with 503 + Retry-After only after `server.queue_timeout` (issue 13, goal 6)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.access import Receive, Scope, Send
from flowra_entrypoints.http.admission import AdmissionMiddleware
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import load_settings

WAIT = 5.0  # generous bound on conditions that hold at once on an idle machine


@dataclass
class HeldApp:
    """An ASGI app whose `/hold` requests stay in flight until `release` is set."""

    entered: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        await self.entered.put(path)
        if path == "/hold":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": path.encode()})


@dataclass
class Door:
    app: HeldApp
    metrics: Metrics
    http: httpx.AsyncClient

    async def hold_every_slot(self, slots: int) -> list[asyncio.Task[httpx.Response]]:
        held = [asyncio.create_task(self.http.get("/hold")) for _ in range(slots)]
        for _ in held:
            assert await asyncio.wait_for(self.app.entered.get(), WAIT) == "/hold"
        return held


def _door(queue_timeout: float) -> Door:
    app, metrics = HeldApp(), Metrics()
    door = AdmissionMiddleware(app, max_concurrent=2, queue_timeout=queue_timeout, metrics=metrics)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=door), base_url="http://t")
    return Door(app, metrics, http)


@pytest.fixture
async def patient() -> AsyncIterator[Door]:
    door = _door(queue_timeout=60.0)
    async with door.http:
        yield door


@pytest.fixture
async def impatient() -> AsyncIterator[Door]:
    door = _door(queue_timeout=0.05)
    async with door.http:
        yield door


def _metric(door: Door, name: str) -> float:
    value = door.metrics.registry.get_sample_value(name)
    assert value is not None
    return value


async def test_requests_within_the_limit_run_at_once(patient: Door) -> None:
    held = await patient.hold_every_slot(2)
    assert _metric(patient, "flowra_http_requests_in_flight") == 2
    patient.app.release.set()
    assert [(await task).status_code for task in held] == [200, 200]
    assert _metric(patient, "flowra_http_requests_in_flight") == 0


async def test_one_more_waits_for_a_free_slot_instead_of_failing(patient: Door) -> None:
    held = await patient.hold_every_slot(2)
    waiting = asyncio.create_task(patient.http.get("/after"))
    done, _ = await asyncio.wait([waiting], timeout=0.2)
    assert not done  # in line, not answered
    assert patient.app.entered.empty()  # and not started
    patient.app.release.set()
    assert (await asyncio.wait_for(waiting, WAIT)).text == "/after"
    assert [(await task).status_code for task in held] == [200, 200]
    assert _metric(patient, "flowra_http_requests_shed_total") == 0


async def test_past_the_queue_timeout_it_is_shed_with_503_and_retry_after(
    impatient: Door,
) -> None:
    held = await impatient.hold_every_slot(2)
    shed = await impatient.http.get("/api/v1/workspaces")
    assert shed.status_code == 503
    assert shed.headers["content-type"] == "application/problem+json"
    assert shed.headers["retry-after"] == "1"
    problem = shed.json()
    assert problem["code"] == "SERVICE_UNAVAILABLE"
    assert problem["instance"] == "/api/v1/workspaces"
    assert "busy" in problem["detail"]
    assert impatient.app.entered.empty()  # the shed request never reached the app
    assert _metric(impatient, "flowra_http_requests_shed_total") == 1
    impatient.app.release.set()
    await asyncio.gather(*held)
    assert (await impatient.http.get("/again")).status_code == 200  # slots came back


async def test_a_zero_queue_timeout_sheds_at_once_when_full() -> None:
    door = _door(queue_timeout=0)
    async with door.http:
        held = await door.hold_every_slot(2)
        assert (await door.http.get("/more")).status_code == 503
        door.app.release.set()
        await asyncio.gather(*held)


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/schema"])
async def test_probes_and_metrics_never_wait_in_line(impatient: Door, path: str) -> None:
    held = await impatient.hold_every_slot(2)
    assert (await impatient.http.get(path)).status_code == 200
    impatient.app.release.set()
    await asyncio.gather(*held)


async def test_the_app_is_built_with_the_configured_door(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("log:\n  level: error\nserver:\n  max_concurrent_requests: 1\n")
    environ = {"FLOWRA_SERVER_QUEUE_TIMEOUT": "250ms"}
    settings = load_settings(str(config), environ=environ).settings
    assert settings.server.max_concurrent_requests == 1
    assert settings.server.queue_timeout == 0.25
    app = create_app(build_container(settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as h:
        assert (await h.get("/health")).status_code == 200
        answered = await h.get("/api/v1/workspaces")
        assert answered.status_code == 401  # admitted, then refused by authentication
