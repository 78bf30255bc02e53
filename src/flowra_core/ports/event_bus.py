"""Publication of committed events: live fan-out and durable consumers (design §2.4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from flowra_core.domain.events import EventEnvelope

EventHandler = Callable[[EventEnvelope], Awaitable[None]]


class EventBus(Protocol):
    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        """Deliver the events, in order, at least once, to every subscriber.
        Raises ServiceUnavailable when the bus cannot take them (the relay retries)."""
        ...

    def subscribe(self, name: str, handler: EventHandler) -> None:
        """Register a durable consumer; `name` identifies its consumer group, so N processes
        subscribing under one name share the work and each event is handled once."""
        ...

    def listen(self, handler: EventHandler) -> None:
        """Register a live fan-out listener: every process that listens receives every event
        published from now on, on any process (Redis pub/sub). Nothing is stored for a listener
        that is not there; it serves pushes to WebSocket connections, which resume from the
        journal after a gap."""
        ...
