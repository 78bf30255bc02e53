"""In-process live channel and presence registry (single instance; Redis replaces them when
scaled out)."""

from __future__ import annotations

from datetime import datetime

from flowra_core.memory.presence import InMemoryPresence
from flowra_core.ports.live import LiveGapHandler, LiveHandler, LivePush


class InMemoryLiveChannel:
    """Calls every listener, in registration order, for each push."""

    def __init__(self) -> None:
        self._listeners: list[LiveHandler] = []

    def listen(self, handler: LiveHandler) -> None:
        self._listeners.append(handler)

    def on_gap(self, handler: LiveGapHandler) -> None:
        """Nothing to do: an in-process channel has no gaps."""

    async def publish(self, push: LivePush) -> None:
        for handler in list(self._listeners):
            await handler(push)


class InMemoryPresenceRegistry:
    """Feeds the in-memory PresenceReader the core reads (`is_online`, `last_seen_at`)."""

    def __init__(self, presence: InMemoryPresence) -> None:
        self._presence = presence

    async def hold(self, user_id: str) -> bool:
        return self._presence.connected(user_id)

    async def release(self, user_id: str, at: datetime) -> bool:
        return self._presence.disconnected(user_id, at)
