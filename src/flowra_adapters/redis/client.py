"""The one shared redis.asyncio client: opened by the container, closed on shutdown."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import AsyncIterator

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from flowra_core.domain.errors import ServiceUnavailable

# redis-py retries a failed command 10 times by default, so an outage took seconds to surface.
# One quick retry still rides over a pooled connection that a server restart left broken.
COMMAND_RETRIES = 1
RETRY_BACKOFF = ExponentialWithJitterBackoff(base=0.01, cap=0.1)


def create_redis_client(
    addr: str, *, password: str, db: int, pool_size: int, timeout: float
) -> Redis:
    """A client on a pool of at most `pool_size` connections. Connects, reads and the wait for
    a free connection are each bounded by `timeout`; a failed command is retried once."""
    host, _, port = addr.rpartition(":")
    # A blocking pool makes a burst of callers queue for a connection instead of failing.
    pool = BlockingConnectionPool(
        max_connections=pool_size,
        timeout=timeout,
        host=host or "localhost",
        port=int(port or 6379),
        password=password or None,
        db=db,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry=Retry(RETRY_BACKOFF, COMMAND_RETRIES),
        client_name="flowra",
    )
    return Redis.from_pool(pool)


async def redis_client_resource(
    addr: str,
    *,
    password: str,
    db: int,
    pool_size: int,
    timeout: float,  # noqa: ASYNC109 - the client's timeout setting, not this call's
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


def new_instance_id() -> str:
    """This process's name towards Redis (consumer groups, presence): host, pid and a random
    suffix, so a restarted process never takes over a dead one's identity."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
