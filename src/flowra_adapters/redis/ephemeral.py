"""Short-lived secrets in Redis, shared by every instance (operations.md §6): sessions under
`flowra:session:<id>`, WebSocket tickets under `flowra:wsticket:<ticket>`, refresh tokens under
the key their issuer chooses. Keys are used exactly as the caller gives them; Redis expires them.
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from flowra_adapters.redis.errors import OperationHook, guarded, ignore_operation


class RedisEphemeralStore:
    def __init__(self, client: Redis, *, on_operation: OperationHook = ignore_operation) -> None:
        self._client = client
        self._on_operation = on_operation

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Store `value` for `ttl_seconds` (millisecond precision, rounded up). A TTL that is
        already over leaves nothing behind, as if the value had expired at once."""
        ttl_ms = math.ceil(ttl_seconds * 1000)
        with guarded("ephemeral.put", self._on_operation):
            if ttl_ms <= 0:
                await self._client.delete(key)
            else:
                await self._client.set(key, value, px=ttl_ms)

    async def get(self, key: str) -> bytes | None:
        with guarded("ephemeral.get", self._on_operation):
            value = await self._client.get(key)
        return _as_bytes(value)

    async def take(self, key: str) -> bytes | None:
        """GETDEL: of any number of concurrent takers on any instance, one gets the value."""
        with guarded("ephemeral.take", self._on_operation):
            value = await self._client.getdel(key)
        return _as_bytes(value)

    async def delete(self, key: str) -> None:
        with guarded("ephemeral.delete", self._on_operation):
            await self._client.delete(key)


def _as_bytes(value: bytes | str | None) -> bytes | None:
    # The shared client returns bytes; a client built with decode_responses returns str.
    if isinstance(value, str):
        return value.encode()
    return value
