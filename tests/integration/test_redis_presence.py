"""What only the Redis presence registry shows: instances that fall silent are purged and their
users reported offline, a purged instance that comes back restores its users, the refresh loop
reports what it finds, and the key layout of operations.md §6."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import PresenceTimings, RedisPresence
from flowra_core.ports.live import PresenceStatus
from flowra_core.testing.clock import FixedClock

from .contracts.redis_backends import delete_keys, eventually, fresh_prefix, redis_connection

pytestmark = pytest.mark.integration

SILENT_SOON = PresenceTimings(heartbeat_ttl_seconds=0.2, refresh_interval_seconds=60)
QUICK_LOOP = PresenceTimings(heartbeat_ttl_seconds=45, refresh_interval_seconds=0.05)

Change = tuple[str, PresenceStatus, datetime]


class Instances:
    """RedisPresence registries of several instances sharing one fresh key prefix."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.prefix = fresh_prefix("presence")
        self.clock = FixedClock()
        self.made: list[RedisPresence] = []

    def __call__(self, instance_id: str, timings: PresenceTimings | None = None) -> RedisPresence:
        registry = RedisPresence(
            self.client,
            self.clock,
            instance_id=instance_id,
            key_prefix=self.prefix,
            timings=timings,
        )
        self.made.append(registry)
        return registry

    async def silent(self, registry: RedisPresence) -> bool:
        return await self.client.exists(registry.heartbeat_key) == 0


@pytest.fixture
async def instances(redis_url: str) -> AsyncIterator[Instances]:
    async with redis_connection(redis_url) as client:
        made = Instances(client)
        try:
            yield made
        finally:
            for registry in made.made:
                await registry.stop()
            await delete_keys(client, f"{made.prefix}*")


class Changes:
    def __init__(self) -> None:
        self.seen: list[Change] = []

    async def __call__(self, user_id: str, status: PresenceStatus, at: datetime) -> None:
        self.seen.append((user_id, status, at))


async def test_users_only_a_silent_instance_held_are_purged_as_offline(
    instances: Instances,
) -> None:
    crashed, alive = instances("api-1", SILENT_SOON), instances("api-2")
    await crashed.hold("alice")
    await crashed.hold("bob")
    await alive.hold("bob")
    await eventually(lambda: instances.silent(crashed), what="api-1 heartbeat expired")
    instances.clock.advance(timedelta(seconds=45))

    gone = await alive.purge_dead_instances()

    assert gone == ("alice",)
    assert await alive.online(["alice", "bob"]) == {"bob"}
    assert await alive.last_seen(["alice", "bob"]) == {"alice": instances.clock.now()}
    assert await alive.purge_dead_instances() == ()


async def test_a_silent_instance_no_longer_counts_before_it_is_purged(
    instances: Instances,
) -> None:
    crashed, alive = instances("api-1", SILENT_SOON), instances("api-2")
    await crashed.hold("alice")

    await eventually(lambda: instances.silent(crashed), what="api-1 heartbeat expired")

    assert await alive.online(["alice"]) == set()
    assert await alive.hold("alice") is True


async def test_a_purged_instance_restores_its_users_on_its_next_refresh(
    instances: Instances,
) -> None:
    paused, alive = instances("api-1", SILENT_SOON), instances("api-2")
    await paused.hold("alice")
    await paused.hold("carol")
    await alive.hold("carol")
    await eventually(lambda: instances.silent(paused), what="api-1 heartbeat expired")
    assert await alive.purge_dead_instances() == ("alice",)

    changes = await paused.refresh()

    assert changes.came_online == ("alice",)
    assert changes.went_offline == ()
    assert await alive.online(["alice", "carol"]) == {"alice", "carol"}


async def test_a_refresh_settles_a_release_that_never_reached_redis(
    instances: Instances,
) -> None:
    registry = instances("api-1")
    await registry.hold("alice")
    await registry.hold("alice")
    # The second connection closed but its release was lost: Redis still counts two.
    await instances.client.hincrby(f"{instances.prefix}presence:instance:api-1", "bob", 1)

    changes = await registry.refresh()

    assert changes.went_offline == ("bob",)
    assert await registry.online(["alice", "bob"]) == {"alice"}


async def test_the_refresh_loop_reports_users_of_instances_that_died(
    instances: Instances,
) -> None:
    crashed, watcher = instances("api-1", SILENT_SOON), instances("api-2", QUICK_LOOP)
    await crashed.hold("alice")
    changes = Changes()

    watcher.start(changes)

    await eventually(lambda: len(changes.seen) == 1, what="alice reported offline")
    assert changes.seen == [("alice", PresenceStatus.OFFLINE, instances.clock.now())]


async def test_stopping_withdraws_the_instance_and_reports_its_users(
    instances: Instances,
) -> None:
    registry = instances("api-1", QUICK_LOOP)
    other = instances("api-2")
    changes = Changes()
    registry.start(changes)
    await registry.hold("alice")

    await registry.stop()

    assert changes.seen == [("alice", PresenceStatus.OFFLINE, instances.clock.now())]
    assert await other.online(["alice"]) == set()
    assert await instances.silent(registry)
    assert await instances.client.smembers(f"{instances.prefix}presence:instances") == set()


async def test_the_registry_keys_follow_the_operations_layout(instances: Instances) -> None:
    registry = instances("api-1")

    await registry.hold("alice")
    await registry.hold("alice")

    heartbeat_ttl_ms = await instances.client.pttl(f"{instances.prefix}instance:api-1")
    holdings = await instances.client.hgetall(f"{instances.prefix}presence:instance:api-1")
    assert 0 < heartbeat_ttl_ms <= 45_000
    assert holdings == {b"alice": b"2"}
