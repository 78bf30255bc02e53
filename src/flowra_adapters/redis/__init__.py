"""Redis adapters (redis.asyncio) for the core's ports: the event bus (Streams with consumer
groups for durable consumers, pub/sub for live fan-out), the live channel, presence, rate
limiting and the short-lived secret store. Every driver error leaves them as
ServiceUnavailable("redis", ...)."""

from flowra_adapters.redis.bus_config import BusKeys, BusOptions
from flowra_adapters.redis.client import create_redis_client, new_instance_id, ping_redis
from flowra_adapters.redis.ephemeral import RedisEphemeralStore
from flowra_adapters.redis.errors import OperationHook
from flowra_adapters.redis.event_bus import RedisEventBus
from flowra_adapters.redis.live import RedisLiveChannel
from flowra_adapters.redis.loops import BackoffPolicy
from flowra_adapters.redis.presence import (
    PresenceChangeHandler,
    PresenceChanges,
    PresenceTimings,
    RedisPresence,
)
from flowra_adapters.redis.rate_limit import RedisRateLimiter

__all__ = [
    "BackoffPolicy",
    "BusKeys",
    "BusOptions",
    "OperationHook",
    "PresenceChangeHandler",
    "PresenceChanges",
    "PresenceTimings",
    "RedisEphemeralStore",
    "RedisEventBus",
    "RedisLiveChannel",
    "RedisPresence",
    "RedisRateLimiter",
    "create_redis_client",
    "new_instance_id",
    "ping_redis",
]
