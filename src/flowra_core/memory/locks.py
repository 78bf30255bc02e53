"""In-process lease locks."""

from __future__ import annotations

from datetime import datetime, timedelta

from flowra_core.ports.clock import Clock


class InMemoryLeaseLocks:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._held: dict[str, tuple[str, datetime]] = {}

    async def acquire(self, name: str, owner: str, ttl_seconds: float) -> bool:
        now = self._clock.now()
        holder = self._held.get(name)
        if holder is not None and holder[0] != owner and holder[1] > now:
            return False
        self._held[name] = (owner, now + timedelta(seconds=ttl_seconds))
        return True

    async def release(self, name: str, owner: str) -> None:
        holder = self._held.get(name)
        if holder is not None and holder[0] == owner:
            del self._held[name]
