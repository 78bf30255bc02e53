"""Health of the background delivery (operations.md §7): event_relay, projections, dispatch,
repair_queue and websocket.

Every follow-up of a commit is a reaction owed in one work list (design §2.6), so the three
backlog components of the guide report that list: commits still owing reactions, the oldest one's
age, and parked tasks (failed PARK_AFTER_ATTEMPTS times). A details request reads it once, not
once per component.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec

from flowra_core.app.delivery.reactions import PARK_AFTER_ATTEMPTS
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.reaction_work import WorkBacklog
from flowra_entrypoints.health import ComponentHealth, HealthCheck, HealthStatus, worst

# operations.md §7 "Backlog components".
DEGRADED_EVENTS, UNHEALTHY_EVENTS = 100, 1000
DEGRADED_AGE_SECONDS, UNHEALTHY_AGE_SECONDS = 60.0, 300.0
# Answers younger than this are shared by the components of one details request.
BACKLOG_REUSE_SECONDS = 1.0

BacklogSource = Callable[[], Awaitable[WorkBacklog]]


def backlog_status(count: int, oldest_age_seconds: float) -> HealthStatus:
    if count >= UNHEALTHY_EVENTS or oldest_age_seconds >= UNHEALTHY_AGE_SECONDS:
        return "unhealthy"
    if count >= DEGRADED_EVENTS or oldest_age_seconds >= DEGRADED_AGE_SECONDS:
        return "degraded"
    return "healthy"


class SharedBacklog:
    """The journal backlog, read at most once per BACKLOG_REUSE_SECONDS however many
    components ask at the same time."""

    def __init__(self, source: BacklogSource, clock: Clock) -> None:
        self._source = source
        self._clock = clock
        self._lock = asyncio.Lock()
        self._last: tuple[datetime, WorkBacklog] | None = None

    async def read(self) -> WorkBacklog:
        async with self._lock:
            now = self._clock.now()
            if self._last is not None:
                read_at, backlog = self._last
                if (now - read_at).total_seconds() < BACKLOG_REUSE_SECONDS:
                    return backlog
            backlog = await self._source()
            self._last = (now, backlog)
            return backlog


def _age(clock: Clock, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else round(max((clock.now() - oldest).total_seconds(), 0.0), 1)


def _backlog_component(
    count: int, oldest: datetime | None, clock: Clock, backend: str
) -> ComponentHealth:
    age = _age(clock, oldest)
    return ComponentHealth(
        status=backlog_status(count, age), backend=backend, count=count, oldest_age_seconds=age
    )


def _at_least_degraded(component: ComponentHealth, message: str) -> ComponentHealth:
    status = worst([component.status, "degraded"])
    return msgspec.structs.replace(component, status=status, message=message)


def _unavailable(backend: str, error: ServiceUnavailable) -> ComponentHealth:
    return ComponentHealth(status="unhealthy", message=error.reason, backend=backend)


def event_relay_check(backlog: SharedBacklog, clock: Clock, backend: str) -> HealthCheck:
    """Commits owing reactions; any parked task makes it at least degraded."""

    async def check() -> ComponentHealth:
        try:
            found = await backlog.read()
        except ServiceUnavailable as error:
            return _unavailable(backend, error)
        component = msgspec.structs.replace(
            _backlog_component(found.pending, found.oldest_pending_at, clock, backend),
            stuck=found.parked,
        )
        if found.parked:
            message = (
                f"{found.parked} commits' reactions failed {PARK_AFTER_ATTEMPTS} times and are "
                "parked (flowra-worker dead-letters --replay)"
            )
            return _at_least_degraded(component, message)
        return component

    return check


def projections_check(backlog: SharedBacklog, clock: Clock, backend: str) -> HealthCheck:
    async def check() -> ComponentHealth:
        try:
            found = await backlog.read()
        except ServiceUnavailable as error:
            return _unavailable(backend, error)
        return _backlog_component(found.pending, found.oldest_pending_at, clock, backend)

    return check


def dispatch_check(
    backlog: SharedBacklog,
    clock: Clock,
    backend: str,
    dead_letters: Callable[[], Awaitable[int]],
) -> HealthCheck:
    """Commits owing reactions (dispatch is one); a dead-lettered bus entry makes it at
    least degraded."""

    async def check() -> ComponentHealth:
        try:
            found, parked = await asyncio.gather(backlog.read(), dead_letters())
        except ServiceUnavailable as error:
            return _unavailable(backend, error)
        component = msgspec.structs.replace(
            _backlog_component(found.pending, found.oldest_pending_at, clock, backend),
            dead_letters=parked,
        )
        if parked:
            message = f"{parked} bus entries dead-lettered (flowra-worker dead-letters --replay)"
            return _at_least_degraded(component, message)
        return component

    return check


def repair_queue_check(backlog: SharedBacklog, backend: str) -> HealthCheck:
    """The guide's repair queue is the reaction work list now: items `pending` (due or backing
    off) and `failed` (parked); degraded while any has failed (operations.md §7)."""

    async def check() -> ComponentHealth:
        try:
            found = await backlog.read()
        except ServiceUnavailable as error:
            return _unavailable(backend, error)
        items = {"pending": found.pending, "failed": found.parked}
        if found.parked:
            message = (
                f"{found.parked} commits' reactions failed {PARK_AFTER_ATTEMPTS} times "
                "(flowra-worker dead-letters --replay)"
            )
            return ComponentHealth(status="degraded", message=message, backend=backend, items=items)
        return ComponentHealth(status="healthy", backend=backend, items=items)

    return check


def websocket_check(open_connections: Callable[[], Awaitable[int]]) -> HealthCheck:
    async def check() -> ComponentHealth:
        return ComponentHealth(status="healthy", connections=await open_connections())

    return check


def delivery_checks(
    *,
    backend: str,
    clock: Clock,
    backlog: BacklogSource,
    dead_letters: Callable[[], Awaitable[int]],
    open_connections: Callable[[], Awaitable[int]],
) -> dict[str, HealthCheck]:
    """The /health/details components of the background delivery, keyed by their names."""
    shared = SharedBacklog(backlog, clock)
    return {
        "websocket": websocket_check(open_connections),
        "event_relay": event_relay_check(shared, clock, backend),
        "projections": projections_check(shared, clock, backend),
        "dispatch": dispatch_check(shared, clock, backend, dead_letters),
        "repair_queue": repair_queue_check(shared, backend),
    }
