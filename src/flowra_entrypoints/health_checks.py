"""The health checks of each component (operations.md §7), wired from the container's
providers: MongoDB, migrations, Redis, the event bus and the background delivery. The registry
that runs them is in health.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from flowra_adapters.mongo.client import MongoClient, ping_mongo
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import pending_migrations
from flowra_adapters.redis.client import ping_redis
from flowra_core.app.core import FlowraCore
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.dead_letters import DeadLetters
from flowra_core.ports.reaction_work import WorkBacklog
from flowra_entrypoints.health import (
    ComponentHealth,
    HealthCheck,
    HealthRegistry,
    not_used,
    ping_check,
)
from flowra_entrypoints.health_backlog import delivery_checks
from flowra_entrypoints.identity import IdentitySide
from flowra_entrypoints.provided import provided
from flowra_entrypoints.redis_side import RedisSide
from flowra_entrypoints.settings import Settings

if TYPE_CHECKING:
    from flowra_entrypoints.ws.gateway import WebSocketGateway

HEALTH_CHECK_TIMEOUT = 2.0


def _lazy(provider: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    """An accessor that opens an async Resource on first use."""

    async def resolve() -> Any:
        return await provider()

    return resolve


def _mongo_check(client: Callable[[], Awaitable[MongoClient]]) -> HealthCheck:
    async def ping() -> float:
        return await ping_mongo(await client())

    return ping_check("mongo", ping)


def _migrations_check(database: Callable[[], Awaitable[MongoDatabase]]) -> HealthCheck:
    """Healthy when no migration is pending (operations.md §7 `migrations`)."""

    async def check() -> ComponentHealth:
        try:
            pending = await pending_migrations(await database())
        except ServiceUnavailable as error:
            return ComponentHealth(status="unhealthy", message=error.reason, backend="mongo")
        if pending:
            message = f"pending: {', '.join(pending)} (run flowra-migrator up)"
            return ComponentHealth(status="unhealthy", message=message, backend="mongo")
        return ComponentHealth(status="healthy", backend="mongo")

    return check


def _redis_check(side: Callable[[], RedisSide]) -> HealthCheck:
    async def ping() -> float:
        return await ping_redis(side().client)

    return ping_check("redis", ping)


def _bus_check(side: Callable[[], RedisSide]) -> HealthCheck:
    """Ready once the live fan-out subscription is confirmed by Redis."""

    async def check() -> ComponentHealth:
        if side().bus.is_listening:
            return ComponentHealth(status="healthy", backend="redis")
        return ComponentHealth(status="unhealthy", message="not subscribed", backend="redis")

    return check


def delivery_health(
    settings: Settings,
    clock: Clock,
    core: Callable[[], Any],
    bus: Callable[[], Any],
    ws_gateway: Callable[[], Any],
) -> dict[str, HealthCheck]:
    """event_relay, projections, dispatch, repair_queue and websocket, resolved on first use
    (the core is an awaitable with the mongo backend)."""

    async def the_core() -> FlowraCore:
        found: FlowraCore = await provided(core())
        return found

    async def backlog() -> WorkBacklog:
        return await (await the_core()).ports.reaction_work.backlog()

    async def dead_letters() -> int:
        parked: DeadLetters = bus()
        return await parked.dead_letter_count()

    async def open_connections() -> int:
        gateway: WebSocketGateway = await provided(ws_gateway())
        return len(gateway.hub)

    return delivery_checks(
        backend="mongo" if settings.storage.backend == "mongo" else "memory",
        clock=clock,
        backlog=backlog,
        dead_letters=dead_letters,
        open_connections=open_connections,
    )


def build_health_registry(
    settings: Settings,
    mongo_client: Callable[[], Any],
    redis_side: Callable[[], RedisSide],
    mongo_database: Callable[[], Any],
    identity: IdentitySide,
    delivery: dict[str, HealthCheck],
) -> HealthRegistry:
    uses_mongo = settings.storage.backend == "mongo"
    uses_redis = settings.eventbus.type == "redis"
    mongodb = _mongo_check(_lazy(mongo_client)) if uses_mongo else not_used("memory")
    migrations = _migrations_check(_lazy(mongo_database)) if uses_mongo else not_used("memory")
    redis = _redis_check(redis_side) if uses_redis else not_used("disabled")
    eventbus = _bus_check(redis_side) if uses_redis else not_used("inmemory")
    return HealthRegistry(
        readiness={
            "mongodb": mongodb,
            "redis": redis,
            "eventbus": eventbus,
            "migrations": migrations,
        },
        details={
            "storage": mongodb if uses_mongo else not_used("memory"),
            "identity_provider": identity.health,
            **delivery,
        },
        timeout=HEALTH_CHECK_TIMEOUT,
    )
