"""Component health for /ready and /health/details (operations.md §7).

A check is an async callable returning a ComponentHealth; the registry runs them
concurrently, each bounded by a timeout, and folds them into the overall status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

import msgspec
from loguru import logger

from flowra_core.domain.errors import ServiceUnavailable

HealthStatus = Literal["healthy", "degraded", "unhealthy"]
_SEVERITY: dict[HealthStatus, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


class ComponentHealth(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """`{"status", "message"?, "latency_ms"?, "backend"?, ...details}`: the detail fields a
    component does not report are left out."""

    status: HealthStatus
    message: str | None = None
    latency_ms: float | None = None
    backend: str | None = None
    # Backlog components: events waiting and the age of the oldest.
    count: int | None = None
    oldest_age_seconds: float | None = None
    # event_relay: events that failed to publish 10+ times (still retried).
    stuck: int | None = None
    # dispatch: bus entries parked after repeated consumer failures.
    dead_letters: int | None = None
    # websocket: connections open on this instance.
    connections: int | None = None
    # repair_queue: items per status.
    items: dict[str, int] | None = None


HealthCheck = Callable[[], Awaitable[ComponentHealth]]


def not_used(backend: str) -> HealthCheck:
    """A component the current mode does not use: healthy, naming what stands in for it."""
    component = ComponentHealth(status="healthy", backend=backend)

    async def check() -> ComponentHealth:
        return component

    return check


def ping_check(backend: str, ping: Callable[[], Awaitable[float]]) -> HealthCheck:
    """Healthy with the round-trip latency, or unhealthy with the reason."""

    async def check() -> ComponentHealth:
        try:
            latency = await ping()
        except ServiceUnavailable as error:
            return ComponentHealth(status="unhealthy", message=error.reason, backend=backend)
        return ComponentHealth(status="healthy", latency_ms=round(latency, 2), backend=backend)

    return check


def worst(statuses: list[HealthStatus]) -> HealthStatus:
    return max(statuses, key=_SEVERITY.__getitem__, default="healthy")


class HealthRegistry:
    """Readiness checks (dependencies a request needs) and the extra details checks."""

    def __init__(
        self,
        readiness: Mapping[str, HealthCheck],
        details: Mapping[str, HealthCheck],
        *,
        timeout: float,
    ) -> None:
        self._readiness = dict(readiness)
        self._details = dict(details)
        self._timeout = timeout

    async def readiness(self) -> dict[str, ComponentHealth]:
        return await self._run(self._readiness)

    async def details(self) -> dict[str, ComponentHealth]:
        return await self._run({**self._readiness, **self._details})

    async def _run(self, checks: Mapping[str, HealthCheck]) -> dict[str, ComponentHealth]:
        names = list(checks)
        results = await asyncio.gather(*(self._bounded(checks[name]) for name in names))
        return dict(zip(names, results, strict=True))

    async def _bounded(self, check: HealthCheck) -> ComponentHealth:
        try:
            async with asyncio.timeout(self._timeout):
                return await check()
        except TimeoutError:
            return ComponentHealth(
                status="unhealthy", message=f"no answer within {self._timeout:g}s"
            )
        except Exception as error:  # noqa: BLE001 - one broken check must not break the probe
            logger.bind(logger="health").exception("health check failed")
            return ComponentHealth(
                status="unhealthy", message=f"check failed: {type(error).__name__}"
            )
