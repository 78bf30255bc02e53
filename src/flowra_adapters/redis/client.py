"""The one shared redis.asyncio client: opened by the container, closed on shutdown."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from flowra_core.domain.errors import ServiceUnavailable


def create_redis_client(
    addr: str, *, password: str, db: int, pool_size: int, timeout: float
) -> Redis:
    """A pooled client whose connects and reads are bounded by `timeout`."""
    host, _, port = addr.rpartition(":")
    return Redis(
        host=host or "localhost",
        port=int(port or 6379),
        password=password or None,
        db=db,
        max_connections=pool_size,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        client_name="flowra",
    )


async def redis_client_resource(
    addr: str, *, password: str, db: int, pool_size: int, timeout: float
) -> AsyncIterator[Redis]:
    """dependency-injector Resource: yields the client and closes its pool at shutdown."""
    client = create_redis_client(
        addr, password=password, db=db, pool_size=pool_size, timeout=timeout
    )
    try:
        yield client
    finally:
        await client.aclose()


async def ping_redis(client: Redis) -> float:
    """Round-trip latency of PING in milliseconds; raises ServiceUnavailable."""
    started = time.perf_counter()
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        raise ServiceUnavailable("redis", str(error)) from error
    return (time.perf_counter() - started) * 1000
