"""The Redis bus tells its gap handlers when the live subscription comes back after a loss: the
connection killed under it (redis-py reconnects inside a read) or Redis restarted (the feed
subscribes again on a new connection). Never for the first subscription."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import BusKeys, RedisEventBus, create_redis_client
from flowra_core.domain.events import EventEnvelope

from .contracts.redis_backends import (
    FAST_BUS,
    delete_keys,
    envelope,
    eventually,
    fresh_prefix,
    redis_addr,
    redis_connection,
)
from .fault_kit import PrivateRedis, free_port

pytestmark = pytest.mark.integration


@dataclass
class Listener:
    heard: list[str] = field(default_factory=list)
    gaps: int = 0

    async def event(self, received: EventEnvelope) -> None:
        self.heard.append(received.event_id)

    async def gap(self) -> None:
        self.gaps += 1


def named_client(addr: str, db: int, name: str) -> Redis:
    """A client built like the container's, whose connections carry `name` (CLIENT LIST)."""
    client = create_redis_client(addr, password="", db=db, pool_size=5, timeout=2.0)
    client.connection_pool.connection_kwargs["client_name"] = name
    return client


@dataclass
class ListeningBus:
    bus: RedisEventBus
    listener: Listener

    async def start(self) -> None:
        self.bus.start()
        await eventually(lambda: self.bus.is_listening, what="subscribed")

    async def hears(self, number: int) -> None:
        published = envelope(number)
        await self.bus.publish([published])
        await eventually(lambda: published.event_id in self.listener.heard, what="heard live")


def listening_bus(client: Redis, keys: BusKeys) -> ListeningBus:
    bus = RedisEventBus(client, keys=keys, options=FAST_BUS)
    listener = Listener()
    bus.listen(listener.event)
    bus.on_live_gap(listener.gap)
    return ListeningBus(bus, listener)


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as client:
        yield client


async def test_a_killed_subscription_connection_is_reported_once_it_is_back(
    admin: Redis, redis_url: str
) -> None:
    addr, db = redis_addr(redis_url)
    name = f"gap-test-{uuid.uuid4().hex[:10]}"
    client = named_client(addr, db, name)
    keys = BusKeys(fresh_prefix("bus"))
    subject = listening_bus(client, keys)
    try:
        await subject.start()
        await subject.hears(1)
        assert subject.listener.gaps == 0

        killed = await _kill_subscriptions(admin, name)

        assert killed == 1
        await eventually(lambda: subject.listener.gaps == 1, what="gap reported")
        await subject.hears(2)
        assert subject.listener.gaps == 1
    finally:
        await subject.bus.stop()
        await delete_keys(admin, f"{keys.prefix}*")
        await client.aclose()


async def _kill_subscriptions(admin: Redis, name: str) -> int:
    clients = await admin.client_list()
    ours = [c for c in clients if c["name"] == name and int(c.get("psub", 0)) > 0]
    for connection in ours:
        await admin.client_kill_filter(_id=connection["id"])
    return len(ours)


async def test_a_restarted_redis_is_reported_once_the_feed_subscribed_again() -> None:
    redis = PrivateRedis(free_port())
    redis.start()
    client = create_redis_client(
        f"127.0.0.1:{redis.port}", password="", db=0, pool_size=5, timeout=2.0
    )
    subject = listening_bus(client, BusKeys(fresh_prefix("bus")))
    try:
        await subject.start()
        await subject.hears(1)

        redis.kill()
        await eventually(lambda: not subject.bus.is_listening, what="subscription lost")
        assert subject.listener.gaps == 0
        redis.start()

        await eventually(lambda: subject.listener.gaps == 1, what="gap reported")
        await subject.hears(2)
        assert subject.listener.gaps == 1
    finally:
        await subject.bus.stop()
        await client.aclose()
        redis.kill()
