"""Publication of committed events: live fan-out and durable consumers (design §2.4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from flowra_core.domain.events import EventEnvelope

EventHandler = Callable[[EventEnvelope], Awaitable[None]]
LiveGapHandler = Callable[[], Awaitable[None]]


class EventBus(Protocol):
    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        """Deliver the events, in order, at least once, to every subscriber.
        Raises ServiceUnavailable when the bus cannot take them (the relay retries). A consumer
        that fails on an event does not make the publication fail."""
        ...

    def subscribe(self, name: str, handler: EventHandler) -> None:
        """Register a durable consumer; `name` identifies its consumer group, so N processes
        subscribing under one name share the work and each event is handled once. An event
        its handler keeps failing on becomes a dead letter (ports/dead_letters.py)."""
        ...

    def listen(self, handler: EventHandler) -> None:
        """Register a live fan-out listener: every process that listens receives every event
        published from now on, on any process (Redis pub/sub). Nothing is stored for a listener
        that is not there; it serves pushes to WebSocket connections, which resume from the
        journal after a gap."""
        ...

    def on_live_gap(self, handler: LiveGapHandler) -> None:
        """Call `handler()` each time the live feed comes back after it was lost (never for the
        first subscription): events published meanwhile may not have reached the listeners,
        whose clients must resume from the journal. A bus that cannot lose its feed (in
        process memory) never calls it."""
        ...
