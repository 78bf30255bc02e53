"""`eventbus.type=redis`: the shared Redis client and every adapter that rides on it.

With several API instances (and workers) the bus, the live channel for typing/presence
pushes, presence itself, rate-limit counters and the short-lived secrets (tickets, sessions,
refresh tokens) must be shared; this builds them all on one pooled client and gives the
process one place to start and stop them in the right order.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from flowra_adapters.redis import (
    BusKeys,
    PresenceChangeHandler,
    RedisEphemeralStore,
    RedisEventBus,
    RedisLiveChannel,
    RedisPresence,
    RedisRateLimiter,
    create_redis_client,
    new_instance_id,
)
from flowra_core.ports.clock import Clock
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings

# The guide has no Redis timeout key; a command that takes longer than this is an outage.
REDIS_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RedisSide:
    client: Redis
    bus: RedisEventBus
    live: RedisLiveChannel
    presence: RedisPresence
    ephemeral: RedisEphemeralStore
    rate_limiter: RedisRateLimiter

    async def start(self, on_presence_change: PresenceChangeHandler) -> None:
        self.bus.start()
        self.live.start()
        self.presence.start(on_presence_change)

    async def stop(self) -> None:
        """Presence first (its users go offline everywhere), then the feeds, then the pool."""
        await self.presence.stop()
        await self.live.stop()
        await self.bus.stop()
        await self.client.aclose()


def build_redis_side(settings: Settings, clock: Clock, metrics: Metrics) -> RedisSide:
    client = create_redis_client(
        settings.redis.addr,
        password=settings.redis.password,
        db=settings.redis.db,
        pool_size=settings.redis.pool_size,
        timeout=REDIS_TIMEOUT,
    )
    hook = metrics.count_redis
    keys = BusKeys(settings.eventbus.redis_channel_prefix)
    instance_id = new_instance_id()
    return RedisSide(
        client=client,
        bus=RedisEventBus(client, keys=keys, consumer_id=instance_id, on_operation=hook),
        live=RedisLiveChannel(client, keys=keys, on_operation=hook),
        presence=RedisPresence(client, clock, instance_id=instance_id, on_operation=hook),
        ephemeral=RedisEphemeralStore(client, on_operation=hook),
        rate_limiter=RedisRateLimiter(client, clock, on_operation=hook),
    )
