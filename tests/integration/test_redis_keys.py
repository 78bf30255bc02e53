"""What only the Redis adapters of short-lived state show: the key names and expiries of
operations.md §6, counters shared by instances, and the operation hook behind
`flowra_redis_operations_total`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import RedisEphemeralStore, RedisRateLimiter
from flowra_core.testing.clock import FixedClock

from .contracts.redis_backends import delete_keys, fresh_prefix, redis_connection

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as connected:
        yield connected


async def test_secrets_are_stored_under_the_callers_key_with_their_ttl(client: Redis) -> None:
    store = RedisEphemeralStore(client)
    ticket = f"flowra:wsticket:{uuid.uuid4().hex}"

    await store.put(ticket, b'{"user_id":"u1"}', 30)

    assert await client.get(ticket) == b'{"user_id":"u1"}'
    assert 29_000 < await client.pttl(ticket) <= 30_000
    await store.delete(ticket)


async def test_a_window_counter_lives_under_its_bucket_key_and_window(client: Redis) -> None:
    prefix = fresh_prefix("ratelimit")
    clock = FixedClock()  # on a minute boundary
    limiter = RedisRateLimiter(client, clock, key_prefix=prefix)
    window = int(clock.now().timestamp() // 60)
    try:
        await limiter.hit("auth", "10.0.0.1", limit=30, window_seconds=60)
        await limiter.hit("auth", "10.0.0.1", limit=30, window_seconds=60)

        key = f"{prefix}auth:10.0.0.1:{window}"
        assert await client.get(key) == b"2"
        # The rest of the window plus a margin for clock differences between instances.
        assert 60_000 < await client.pttl(key) <= 65_000
    finally:
        await delete_keys(client, f"{prefix}*")


def test_the_default_counter_keys_follow_the_operations_layout(client: Redis) -> None:
    limiter = RedisRateLimiter(client, FixedClock())

    assert limiter.counter_key("user", "u1", 29483190) == "flowra:ratelimit:user:u1:29483190"


async def test_instances_share_one_budget(client: Redis) -> None:
    prefix = fresh_prefix("ratelimit")
    clock = FixedClock()
    api_1 = RedisRateLimiter(client, clock, key_prefix=prefix)
    api_2 = RedisRateLimiter(client, clock, key_prefix=prefix)
    try:
        decisions = await asyncio.gather(
            *(
                limiter.hit("ip", "10.0.0.9", limit=10, window_seconds=60)
                for limiter in [api_1, api_2] * 15
            )
        )

        assert sum(decision.allowed for decision in decisions) == 10
        assert sorted(decision.remaining for decision in decisions)[-1] == 9
    finally:
        await delete_keys(client, f"{prefix}*")


async def test_each_round_trip_is_reported_to_the_operation_hook(client: Redis) -> None:
    outcomes: list[tuple[str, str]] = []
    store = RedisEphemeralStore(client, on_operation=lambda *outcome: outcomes.append(outcome))
    session = f"flowra:session:{uuid.uuid4().hex}"

    await store.put(session, b"s", 10)
    await store.get(session)
    await store.take(session)
    await store.delete(session)

    assert outcomes == [
        ("ephemeral.put", "ok"),
        ("ephemeral.get", "ok"),
        ("ephemeral.take", "ok"),
        ("ephemeral.delete", "ok"),
    ]
