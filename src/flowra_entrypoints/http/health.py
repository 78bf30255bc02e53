"""Operational endpoints: liveness, readiness and detailed health (operations.md §7)."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from flowra_entrypoints.health import ComponentHealth, HealthRegistry, worst
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings

APP_VERSION = "0.1.0"


class Liveness(msgspec.Struct, frozen=True):
    status: str


class Readiness(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    status: str
    components: dict[str, ComponentHealth]
    reason: str | None = None


class HealthDetails(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    version: str
    env: str
    uptime_seconds: int
    components: dict[str, ComponentHealth]


class HealthController(Controller):
    path = "/"
    tags = ["operations"]  # noqa: RUF012 - Litestar reads it as a class attribute
    include_in_schema = True

    @get("/health", summary="Liveness probe", cache=False)
    async def liveness(self) -> Liveness:
        return Liveness(status="healthy")

    @get("/ready", summary="Readiness probe", cache=False)
    async def readiness(self, state: State) -> Response[Readiness]:
        health: HealthRegistry = state.health
        components = await health.readiness()
        if state.shutting_down:
            body = Readiness(status="not_ready", components=components, reason="shutting_down")
            return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
        ready = all(component.status != "unhealthy" for component in components.values())
        return Response(
            Readiness(status="ready" if ready else "not_ready", components=components),
            status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE,
        )

    @get("/health/details", summary="Detailed component health", cache=False)
    async def details(self, state: State) -> Response[HealthDetails]:
        health: HealthRegistry = state.health
        settings: Settings = state.settings
        components = await health.details()
        overall = worst([component.status for component in components.values()])
        body = HealthDetails(
            status=overall,
            version=APP_VERSION,
            env=settings.env,
            uptime_seconds=int(time.monotonic() - state.started_at),
            components=components,
        )
        status = HTTP_503_SERVICE_UNAVAILABLE if overall == "unhealthy" else HTTP_200_OK
        return Response(body, status_code=status)


def health_state(settings: Settings, health: HealthRegistry) -> dict[str, Any]:
    return {
        "settings": settings,
        "health": health,
        "started_at": time.monotonic(),
        "shutting_down": False,
    }


@get(
    "/metrics",
    summary="Prometheus metrics",
    tags=["operations"],
    include_in_schema=True,
    cache=False,
)
async def metrics_endpoint(state: State) -> Response[bytes]:
    metrics: Metrics = state.metrics
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
