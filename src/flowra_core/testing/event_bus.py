"""In-process event bus: publish calls every consumer in order (single process only)."""

from __future__ import annotations

from collections.abc import Sequence

from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_bus import EventHandler


class InMemoryEventBus:
    def __init__(self) -> None:
        self._consumers: dict[str, EventHandler] = {}
        self._listeners: list[EventHandler] = []

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self._consumers[name] = handler

    def listen(self, handler: EventHandler) -> None:
        self._listeners.append(handler)

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        for envelope in events:
            for handler in [*self._listeners, *self._consumers.values()]:
                await handler(envelope)
