"""Fixed-window request counters shared by every instance (http-api.md "Rate limiting").

A window is `floor(now / window_seconds)` on the injected clock; its counter is the key
`flowra:ratelimit:<bucket>:<key>:<window>`. One MULTI increments it and, on its first hit, sets it
to expire when the window ends (plus a margin for instances whose clocks differ slightly), so
counts from all instances add up atomically and old windows clean themselves away. Decisions
are the in-memory limiter's (`flowra_core.memory.rate_limit`).
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from flowra_adapters.redis.errors import OperationHook, guarded, ignore_operation
from flowra_core.ports.clock import Clock
from flowra_core.ports.rate_limit import RateDecision

KEY_PREFIX = "flowra:ratelimit:"
EXPIRY_MARGIN_SECONDS = 5.0


class RedisRateLimiter:
    def __init__(
        self,
        client: Redis,
        clock: Clock,
        *,
        key_prefix: str = KEY_PREFIX,
        on_operation: OperationHook = ignore_operation,
    ) -> None:
        self._client = client
        self._clock = clock
        self._key_prefix = key_prefix
        self._on_operation = on_operation

    def counter_key(self, bucket: str, key: str, window: int) -> str:
        return f"{self._key_prefix}{bucket}:{key}:{window}"

    async def hit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float
    ) -> RateDecision:
        now = self._clock.now().timestamp()
        window = int(now // window_seconds)
        window_left = (window + 1) * window_seconds - now
        expire_ms = math.ceil((window_left + EXPIRY_MARGIN_SECONDS) * 1000)
        counter = self.counter_key(bucket, key, window)
        with guarded("ratelimit.hit", self._on_operation):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(counter)
                pipe.pexpire(counter, expire_ms, nx=True)
                count, _expiry_set = await pipe.execute()
        return RateDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_seconds=max(1, math.ceil(window_left)),
        )
