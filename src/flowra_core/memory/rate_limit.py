"""In-process fixed-window counters (the Redis adapter shares them across instances)."""

from __future__ import annotations

import math

from flowra_core.ports.clock import Clock
from flowra_core.ports.rate_limit import RateDecision


class InMemoryRateLimiter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, str, int], int] = {}
        self._newest_window = 0

    async def hit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float
    ) -> RateDecision:
        now = self._clock.now().timestamp()
        window = int(now // window_seconds)
        self._forget_windows_before(window)
        slot = (bucket, key, window)
        count = self._counts.get(slot, 0) + 1
        self._counts[slot] = count
        reset = max(1, math.ceil((window + 1) * window_seconds - now))
        return RateDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_seconds=reset,
        )

    def _forget_windows_before(self, window: int) -> None:
        # Once per new window (per window length in use), not once per request.
        if window <= self._newest_window:
            return
        self._newest_window = window
        self._counts = {slot: n for slot, n in self._counts.items() if slot[2] >= window}
