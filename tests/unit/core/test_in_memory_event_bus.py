"""What only the in-memory bus shows (the rest is the bus contract in tests/integration/contracts):
dead letters dated by the injected clock, failures retried inline, no gaps in its live feed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.user.events import UserReactivated
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.testing.clock import FixedClock


def reactivated(number: int) -> EventEnvelope:
    clock = FixedClock()
    return EventEnvelope(
        event_id=f"e{number}",
        aggregate_type=AggregateType.USER,
        aggregate_id="u1",
        version=number,
        workspace_id=None,
        chat_id=None,
        actor_id=None,
        occurred_at=clock.now(),
        event=UserReactivated(user_id="u1"),
    )


async def test_a_dead_letter_is_dated_by_the_clock_after_the_bounded_retries() -> None:
    clock = FixedClock()
    bus = InMemoryEventBus(clock, max_deliveries=2)
    calls: list[str] = []

    async def broken(envelope: EventEnvelope) -> None:
        calls.append(envelope.event_id)
        clock.advance(timedelta(seconds=1))
        raise RuntimeError("store down")

    bus.subscribe("dispatch", broken)

    await bus.publish([reactivated(1)])

    [letter] = await bus.dead_letters()
    assert calls == ["e1", "e1"]
    assert (letter.letter_id, letter.deliveries, letter.error) == (
        "1",
        2,
        "RuntimeError('store down')",
    )
    assert letter.dead_at == clock.now()


async def test_the_live_feed_never_reports_a_gap() -> None:
    bus = InMemoryEventBus()
    gaps: list[None] = []
    heard: list[str] = []

    async def gap() -> None:
        gaps.append(None)

    async def listener(envelope: EventEnvelope) -> None:
        heard.append(envelope.event_id)

    bus.listen(listener)
    bus.on_live_gap(gap)

    await bus.publish([reactivated(1), reactivated(2)])

    assert (heard, gaps) == (["e1", "e2"], [])


def test_at_least_one_delivery_is_required() -> None:
    with pytest.raises(ValueError, match="max_deliveries"):
        InMemoryEventBus(max_deliveries=0)
