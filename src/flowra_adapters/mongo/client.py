"""The one shared AsyncMongoClient: opened by the container, closed on shutdown."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from flowra_core.domain.errors import ServiceUnavailable

MongoClient = AsyncMongoClient[dict[str, Any]]


def create_mongo_client(uri: str, *, timeout: float, max_pool_size: int) -> MongoClient:
    """A client whose every wait is bounded by `timeout`, so an outage never hangs a request."""
    timeout_ms = int(timeout * 1000)
    return AsyncMongoClient(
        uri,
        maxPoolSize=max_pool_size,
        connectTimeoutMS=timeout_ms,
        serverSelectionTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
        timeoutMS=timeout_ms,
        tz_aware=True,
        appname="flowra",
    )


async def mongo_client_resource(
    uri: str,
    *,
    timeout: float,  # noqa: ASYNC109 - the driver's timeout setting, not this call's
    max_pool_size: int,
) -> AsyncIterator[MongoClient]:
    """dependency-injector Resource: yields the client and closes it at shutdown."""
    client = create_mongo_client(uri, timeout=timeout, max_pool_size=max_pool_size)
    try:
        yield client
    finally:
        await client.close()


async def ping_mongo(client: MongoClient) -> float:
    """Round-trip latency of `ping` in milliseconds; raises ServiceUnavailable."""
    started = time.perf_counter()
    try:
        await client.admin.command("ping")
    except PyMongoError as error:
        raise ServiceUnavailable("mongodb", str(error)) from error
    return (time.perf_counter() - started) * 1000
