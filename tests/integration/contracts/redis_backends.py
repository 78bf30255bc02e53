"""The two implementations of the Redis-backed ports under contract: the in-memory adapters of
`flowra_core.testing`, and the Redis adapters on the test server. Each Redis backend works
under a fresh key prefix (or fresh keys) and deletes what it wrote afterwards.

Helpers shared with tests/integration/test_redis_*.py live here too: sample events, a wait on a
condition with a deadline, and Redis clients on the test server.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import (
    BackoffPolicy,
    BusKeys,
    BusOptions,
    RedisEphemeralStore,
    RedisEventBus,
    RedisPresence,
    RedisRateLimiter,
    create_redis_client,
    ping_redis,
)
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.user.events import DeactivationReason, UserDeactivated, UserReactivated
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.live import InMemoryPresenceRegistry
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.memory.rate_limit import InMemoryRateLimiter
from flowra_core.ports.dead_letters import DeadLetters
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.live import PresenceRegistry
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.rate_limit import RateLimiter
from flowra_core.testing.clock import FixedClock

REDIS_TIMEOUT_S = 2.0
WAIT_S = 10.0
START_HINT = "start the test servers with `scripts/services.sh up`"
T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
# Short enough to keep the tests quick; shorter than REDIS_TIMEOUT_S as the bus requires.
FAST_BUS = BusOptions(
    block_seconds=0.1,
    claim_idle_seconds=0.2,
    reclaim_interval_seconds=0.05,
    max_deliveries=3,
    stop_timeout_seconds=2.0,
    backoff=BackoffPolicy(initial_seconds=0.05, max_seconds=0.5),
)


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = WAIT_S, what: str = ""
) -> None:
    """Wait until `condition()` holds, polling; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within}s: {what or condition}")
        await asyncio.sleep(0.01)


def fresh_prefix(kind: str) -> str:
    return f"test:{kind}:{uuid.uuid4().hex[:10]}:"


def redis_addr(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    db = int(parsed.path.lstrip("/") or 0)
    return f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}", db


@contextlib.asynccontextmanager
async def redis_connection(url: str) -> AsyncIterator[Redis]:
    """A client built like the container's; fails (never skips) when the server is down."""
    addr, db = redis_addr(url)
    client = create_redis_client(addr, password="", db=db, pool_size=20, timeout=REDIS_TIMEOUT_S)
    try:
        try:
            await ping_redis(client)
        except ServiceUnavailable as error:
            pytest.fail(f"Redis not reachable at {url} ({START_HINT}): {error}")
        yield client
    finally:
        await client.aclose()


async def delete_keys(client: Redis, pattern: str) -> None:
    keys = [key async for key in client.scan_iter(match=pattern, count=500)]
    if keys:
        await client.delete(*keys)


def envelope(number: int, *, aggregate_id: str = "u1", reactivated: bool = True) -> EventEnvelope:
    """Event `number` of user `aggregate_id` (version = number): two types alternate."""
    event = (
        UserReactivated(user_id=aggregate_id)
        if reactivated
        else UserDeactivated(user_id=aggregate_id, reason=DeactivationReason.IDP_DISABLED)
    )
    return EventEnvelope(
        event_id=f"{aggregate_id}-e{number}",
        aggregate_type=AggregateType.USER,
        aggregate_id=aggregate_id,
        version=number,
        workspace_id=None,
        chat_id=None,
        actor_id="actor-1",
        occurred_at=T0 + timedelta(seconds=number),
        event=event,
    )


def envelopes(count: int, *, aggregate_id: str = "u1") -> list[EventEnvelope]:
    return [
        envelope(number, aggregate_id=aggregate_id, reactivated=number % 2 == 0)
        for number in range(1, count + 1)
    ]


@dataclass
class EphemeralBackend:
    store: EphemeralStore
    clock: FixedClock
    client: Redis | None = None

    async def outlive(self, key: str, ttl_seconds: float) -> None:
        """Let `ttl_seconds` pass for `key`: the fixed clock moves, or Redis expires it."""
        if self.client is None:
            self.clock.advance(timedelta(seconds=ttl_seconds))
            return
        client = self.client
        await eventually(lambda: _gone(client, key), what=f"{key} expired")


async def _gone(client: Redis, key: str) -> bool:
    return await client.exists(key) == 0


@contextlib.asynccontextmanager
async def ephemeral_backend(kind: str, url: str) -> AsyncIterator[EphemeralBackend]:
    clock = FixedClock()
    if kind == "memory":
        yield EphemeralBackend(InMemoryEphemeralStore(clock), clock)
        return
    async with redis_connection(url) as client:
        yield EphemeralBackend(RedisEphemeralStore(client), clock, client)


@contextlib.asynccontextmanager
async def rate_limiter_backend(
    kind: str, url: str
) -> AsyncIterator[tuple[RateLimiter, FixedClock]]:
    clock = FixedClock()
    if kind == "memory":
        yield InMemoryRateLimiter(clock), clock
        return
    prefix = fresh_prefix("ratelimit")
    async with redis_connection(url) as client:
        try:
            yield RedisRateLimiter(client, clock, key_prefix=prefix), clock
        finally:
            await delete_keys(client, f"{prefix}*")


@dataclass
class BusBackend:
    """A bus and its lifecycle: `start(listening=True)` returns once live listeners are
    subscribed (what a listener misses before that is gone)."""

    bus: EventBus
    dead_letters: DeadLetters
    redis: RedisEventBus | None = None

    async def start(self, *, listening: bool = False) -> None:
        if self.redis is None:
            return
        bus = self.redis
        bus.start()
        if listening:
            await eventually(lambda: bus.is_listening, what="bus subscribed")


@contextlib.asynccontextmanager
async def bus_backend(kind: str, url: str) -> AsyncIterator[BusBackend]:
    if kind == "memory":
        memory = InMemoryEventBus(max_deliveries=FAST_BUS.max_deliveries)
        yield BusBackend(memory, memory)
        return
    keys = BusKeys(fresh_prefix("bus"))
    async with redis_connection(url) as client:
        bus = RedisEventBus(client, keys=keys, options=FAST_BUS)
        try:
            yield BusBackend(bus, bus, bus)
        finally:
            await bus.stop()
            await delete_keys(client, f"{keys.prefix}*")


@dataclass(frozen=True)
class PresenceBackend:
    """Two instances' registries over one shared presence, and the reader of it."""

    first: PresenceRegistry
    second: PresenceRegistry
    reader: PresenceReader


@contextlib.asynccontextmanager
async def presence_backend(kind: str, url: str) -> AsyncIterator[PresenceBackend]:
    if kind == "memory":
        presence = InMemoryPresence()
        registry = InMemoryPresenceRegistry(presence)
        yield PresenceBackend(registry, InMemoryPresenceRegistry(presence), presence)
        return
    prefix = fresh_prefix("presence")
    async with redis_connection(url) as client:
        first = RedisPresence(client, FixedClock(), instance_id="a", key_prefix=prefix)
        second = RedisPresence(client, FixedClock(), instance_id="b", key_prefix=prefix)
        try:
            yield PresenceBackend(first, second, first)
        finally:
            await delete_keys(client, f"{prefix}*")
