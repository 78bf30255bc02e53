"""The port contract suites run each test twice: against the in-memory adapters and against
the MongoDB adapters on a fresh database (see backends.py), or the Redis adapters under fresh
keys for the ports Redis serves (see redis_backends.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from flowra_core.ports.rate_limit import RateLimiter
from flowra_core.testing.clock import FixedClock

from .backends import Ports, fresh_mongo_database, memory_ports, mongo_ports
from .redis_backends import (
    BusBackend,
    EphemeralBackend,
    PresenceBackend,
    bus_backend,
    ephemeral_backend,
    presence_backend,
    rate_limiter_backend,
)


@pytest.fixture(params=["memory", "mongo"])
async def ports(request: pytest.FixtureRequest, mongodb_uri: str) -> AsyncIterator[Ports]:
    if request.param == "memory":
        yield memory_ports()
        return
    async with fresh_mongo_database(mongodb_uri) as database:
        yield mongo_ports(database)


# The ports Redis serves when scaled out: in-memory adapters vs the Redis adapters
# (redis_backends.py).


@pytest.fixture(params=["memory", "redis"])
async def ephemeral(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[EphemeralBackend]:
    async with ephemeral_backend(request.param, redis_url) as backend:
        yield backend


@pytest.fixture(params=["memory", "redis"])
async def rate_limiter(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[tuple[RateLimiter, FixedClock]]:
    async with rate_limiter_backend(request.param, redis_url) as backend:
        yield backend


@pytest.fixture(params=["memory", "redis"])
async def event_bus(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[BusBackend]:
    async with bus_backend(request.param, redis_url) as backend:
        yield backend


@pytest.fixture(params=["memory", "redis"])
async def presence(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[PresenceBackend]:
    async with presence_backend(request.param, redis_url) as backend:
        yield backend
