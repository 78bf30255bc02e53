"""In-process expiring key-value store (single process; Redis replaces it when scaled out)."""

from __future__ import annotations

from datetime import timedelta

from flowra_core.ports.clock import Clock


class InMemoryEphemeralStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._values: dict[str, tuple[bytes, float]] = {}

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _sweep(self) -> None:
        now = self._now()
        for key in [k for k, (_, expires) in self._values.items() if expires <= now]:
            del self._values[key]

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._sweep()
        expires = self._clock.now() + timedelta(seconds=ttl_seconds)
        self._values[key] = (value, expires.timestamp())

    async def get(self, key: str) -> bytes | None:
        self._sweep()
        entry = self._values.get(key)
        return entry[0] if entry is not None else None

    async def take(self, key: str) -> bytes | None:
        self._sweep()
        entry = self._values.pop(key, None)
        return entry[0] if entry is not None else None

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)
