"""The background-delivery components of /health/details (operations.md §7): thresholds,
parked reactions (also the repair queue now), dead letters, and one work-list read per details
request."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.reaction_work import WorkBacklog
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.health import ComponentHealth, HealthCheck, HealthRegistry
from flowra_entrypoints.health_backlog import backlog_status, delivery_checks


def _backlog(
    clock: FixedClock, *, pending: int = 0, pending_age: float | None = None, parked: int = 0
) -> WorkBacklog:
    oldest = None if pending_age is None else clock.now() - timedelta(seconds=pending_age)
    return WorkBacklog(pending=pending, oldest_pending_at=oldest, parked=parked)


class Sources:
    """What the checks read, set by each test; counts the backlog reads."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.backlog = _backlog(clock)
        self.backlog_reads = 0
        self.dead_letters = 0
        self.database_down = False

    async def read_backlog(self) -> WorkBacklog:
        self.backlog_reads += 1
        if self.database_down:
            raise ServiceUnavailable("mongodb", "connection refused")
        return self.backlog

    async def count_dead_letters(self) -> int:
        return self.dead_letters

    async def count_connections(self) -> int:
        return 7

    def checks(self) -> dict[str, HealthCheck]:
        return delivery_checks(
            backend="mongo",
            clock=self.clock,
            backlog=self.read_backlog,
            dead_letters=self.count_dead_letters,
            open_connections=self.count_connections,
        )


@pytest.fixture
def sources() -> Sources:
    return Sources(FixedClock())


async def _details(sources: Sources) -> dict[str, dict[str, object]]:
    """The components as /health/details encodes them."""
    registry = HealthRegistry({}, sources.checks(), timeout=1.0)
    found = await registry.details()
    encoded: dict[str, dict[str, object]] = msgspec.to_builtins(found)
    return encoded


@pytest.mark.parametrize(
    ("count", "age", "expected"),
    [
        (0, 0.0, "healthy"),
        (99, 59.9, "healthy"),
        (100, 0.0, "degraded"),
        (0, 60.0, "degraded"),
        (999, 299.9, "degraded"),
        (1000, 0.0, "unhealthy"),
        (1, 300.0, "unhealthy"),
    ],
)
def test_backlog_thresholds(count: int, age: float, expected: str) -> None:
    assert backlog_status(count, age) == expected


async def test_an_idle_system_is_healthy_everywhere(sources: Sources) -> None:
    details = await _details(sources)

    assert {name: c["status"] for name, c in details.items()} == {
        "websocket": "healthy",
        "event_relay": "healthy",
        "projections": "healthy",
        "dispatch": "healthy",
        "repair_queue": "healthy",
    }
    assert details["websocket"] == {"status": "healthy", "connections": 7}


async def test_the_three_backlog_components_share_one_read(sources: Sources) -> None:
    await _details(sources)

    assert sources.backlog_reads == 1


async def test_the_backlog_gives_count_and_oldest_age(sources: Sources) -> None:
    sources.backlog = _backlog(sources.clock, pending=150, pending_age=12.0)

    relay = (await _details(sources))["event_relay"]

    assert relay == {
        "status": "degraded",
        "backend": "mongo",
        "count": 150,
        "oldest_age_seconds": 12.0,
        "stuck": 0,
    }


async def test_parked_reactions_degrade_the_relay_even_with_a_small_backlog(
    sources: Sources,
) -> None:
    sources.backlog = _backlog(sources.clock, pending=2, pending_age=5.0, parked=2)

    relay = (await _details(sources))["event_relay"]

    assert relay["status"] == "degraded"
    assert relay["stuck"] == 2
    assert relay["message"] == (
        "2 commits' reactions failed 10 times and are parked (flowra-worker dead-letters --replay)"
    )


async def test_an_old_dispatch_backlog_is_unhealthy(sources: Sources) -> None:
    sources.backlog = _backlog(sources.clock, pending=3, pending_age=301.0)

    assert (await _details(sources))["dispatch"]["status"] == "unhealthy"


async def test_dead_letters_degrade_dispatch_and_say_how_to_replay(sources: Sources) -> None:
    sources.dead_letters = 4

    dispatch = (await _details(sources))["dispatch"]

    assert dispatch["status"] == "degraded"
    assert dispatch["dead_letters"] == 4
    assert "flowra-worker dead-letters --replay" in str(dispatch["message"])


async def test_parked_reactions_degrade_the_repair_queue(sources: Sources) -> None:
    sources.backlog = _backlog(sources.clock, pending=1, pending_age=1.0, parked=1)

    repair = (await _details(sources))["repair_queue"]

    assert repair["status"] == "degraded"
    assert repair["items"] == {"pending": 1, "failed": 1}


async def test_an_unreachable_database_is_unhealthy_with_the_reason(sources: Sources) -> None:
    sources.database_down = True

    details = await _details(sources)

    for name in ("event_relay", "projections", "dispatch"):
        assert details[name]["status"] == "unhealthy"
        assert "connection refused" in str(details[name]["message"])


async def test_a_check_that_breaks_is_unhealthy_instead_of_failing_the_probe() -> None:
    async def broken() -> ComponentHealth:
        raise AttributeError("'coroutine' object has no attribute 'hub'")

    async def fine() -> ComponentHealth:
        return ComponentHealth(status="healthy")

    registry = HealthRegistry({"mongodb": fine}, {"websocket": broken}, timeout=1.0)

    details = await registry.details()

    assert details["mongodb"].status == "healthy"
    assert details["websocket"] == ComponentHealth(
        status="unhealthy", message="check failed: AttributeError"
    )
