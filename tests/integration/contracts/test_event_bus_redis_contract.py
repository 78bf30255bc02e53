"""EventBus contract (in-memory vs Redis): every durable consumer and every live listener gets
every published event, once, in publish order, decoded to the envelope that was published."""

from __future__ import annotations

import pytest

from flowra_core.domain.events import EventEnvelope

from .redis_backends import BusBackend, envelope, envelopes, eventually

pytestmark = pytest.mark.integration


class Collector:
    def __init__(self) -> None:
        self.received: list[EventEnvelope] = []

    async def __call__(self, received: EventEnvelope) -> None:
        self.received.append(received)

    def has(self, count: int) -> bool:
        return len(self.received) >= count


async def test_a_durable_consumer_gets_every_event_in_publish_order(
    event_bus: BusBackend,
) -> None:
    notifications = Collector()
    event_bus.bus.subscribe("notifications", notifications)
    await event_bus.start()
    published = envelopes(7)

    await event_bus.bus.publish(published[:3])
    await event_bus.bus.publish(published[3:])

    await eventually(lambda: notifications.has(7), what="7 events consumed")
    assert notifications.received == published


async def test_each_consumer_group_gets_its_own_copy(event_bus: BusBackend) -> None:
    notifications, search = Collector(), Collector()
    event_bus.bus.subscribe("notifications", notifications)
    event_bus.bus.subscribe("search", search)
    await event_bus.start()
    published = envelopes(4, aggregate_id="u7")

    await event_bus.bus.publish(published)

    await eventually(lambda: notifications.has(4) and search.has(4), what="both groups")
    assert notifications.received == published
    assert search.received == published


async def test_every_listener_gets_every_event_in_order(event_bus: BusBackend) -> None:
    first_hub, second_hub = Collector(), Collector()
    event_bus.bus.listen(first_hub)
    event_bus.bus.listen(second_hub)
    await event_bus.start(listening=True)
    published = envelopes(5)

    await event_bus.bus.publish(published)

    await eventually(lambda: first_hub.has(5) and second_hub.has(5), what="both listeners")
    assert first_hub.received == published
    assert second_hub.received == published


async def test_consumers_and_listeners_are_served_side_by_side(event_bus: BusBackend) -> None:
    consumer, listener = Collector(), Collector()
    event_bus.bus.subscribe("dispatch", consumer)
    event_bus.bus.listen(listener)
    await event_bus.start(listening=True)
    published = [envelope(1, aggregate_id="u1"), envelope(1, aggregate_id="u2")]

    await event_bus.bus.publish(published)

    await eventually(lambda: consumer.has(2) and listener.has(2), what="both delivered")
    assert consumer.received == published
    assert listener.received == published


async def test_publishing_nothing_delivers_nothing(event_bus: BusBackend) -> None:
    consumer = Collector()
    event_bus.bus.subscribe("dispatch", consumer)
    await event_bus.start()

    await event_bus.bus.publish([])
    await event_bus.bus.publish([envelope(1)])

    await eventually(lambda: consumer.has(1), what="the one event")
    assert consumer.received == [envelope(1)]
