"""The one composition root: picks the adapter set from settings and owns its lifecycle.

Resources (database and Redis clients) are created lazily, the first time a component
that the configured mode uses asks for them, and `shutdown_resources()` closes exactly
the ones that were opened — so the embedded profile never touches a network client.
"""

from __future__ import annotations

import inspect
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
from dependency_injector import containers, providers

from flowra_adapters.files.local_disk import LocalDiskBlobStorage
from flowra_adapters.mongo.client import MongoClient, mongo_client_resource, ping_mongo
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.migrations import pending_migrations
from flowra_adapters.mongo.tokens import mongo_governance_ports
from flowra_adapters.redis.client import ping_redis
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_adapters.webhooks.sender import HttpWebhookSender
from flowra_core.app.core import FlowraCore
from flowra_core.app.governance import Governance, GovernancePorts
from flowra_core.app.webhooks import with_webhooks
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.dead_letters import DeadLetters
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.files import BlobStorage
from flowra_core.ports.live import PresenceRegistry
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.rate_limit import RateLimiter
from flowra_core.ports.reaction_work import WorkBacklog
from flowra_core.ports.webhooks import WebhookSender
from flowra_core.testing.builder import in_memory_ports
from flowra_core.testing.ephemeral import InMemoryEphemeralStore
from flowra_core.testing.event_bus import InMemoryEventBus
from flowra_core.testing.live import InMemoryLiveChannel
from flowra_core.testing.locks import InMemoryLeaseLocks
from flowra_core.testing.presence import InMemoryPresence
from flowra_core.testing.rate_limit import InMemoryRateLimiter
from flowra_core.testing.tokens import in_memory_governance_ports
from flowra_entrypoints.health import (
    ComponentHealth,
    HealthCheck,
    HealthRegistry,
    not_used,
    ping_check,
)
from flowra_entrypoints.health_backlog import delivery_checks
from flowra_entrypoints.identity import IdentitySide, build_identity
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.redis_side import RedisSide, build_redis_side
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.telemetry import MetricsTelemetry
from flowra_entrypoints.ws.gateway import WebSocketGateway
from flowra_entrypoints.ws.wiring import (
    build_ticket_book,
    build_websocket_gateway,
    presence_registry_of,
    session_book_of,
)

HEALTH_CHECK_TIMEOUT = 2.0
# Keycloak calls (JWKS, token, admin API): a slower answer is an outage.
HTTP_CLIENT_TIMEOUT = 10.0


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


def _delivery_checks(
    settings: Settings,
    clock: Clock,
    core: Callable[[], Any],
    bus: Callable[[], Any],
    ws_gateway: Callable[[], Any],
) -> dict[str, HealthCheck]:
    """event_relay, projections, dispatch, repair_queue and websocket, resolved on first use
    (the core is an awaitable with the mongo backend)."""

    async def the_core() -> FlowraCore:
        found: FlowraCore = await resolved(core())
        return found

    async def backlog() -> WorkBacklog:
        return await (await the_core()).ports.reaction_work.backlog()

    async def dead_letters() -> int:
        parked: DeadLetters = bus()
        return await parked.dead_letter_count()

    async def repair_counts() -> dict[str, int]:
        counts = await (await the_core()).ports.repair_queue.counts()
        return {status.value: count for status, count in counts.items()}

    async def open_connections() -> int:
        gateway: WebSocketGateway = await resolved(ws_gateway())
        return len(gateway.hub)

    return delivery_checks(
        backend="mongo" if settings.storage.backend == "mongo" else "memory",
        clock=clock,
        backlog=backlog,
        dead_letters=dead_letters,
        repair_counts=repair_counts,
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


def blob_storage_resource(
    settings: Settings, explicit_keys: frozenset[str]
) -> Iterator[BlobStorage]:
    """Uploaded bytes on local disk under `uploads.dir`; with the memory backend and no
    explicit `uploads.dir`, a temporary directory deleted at shutdown (operations.md §2)."""
    if settings.storage.backend != "memory" or "uploads.dir" in explicit_keys:
        yield LocalDiskBlobStorage(settings.uploads.dir)
        return
    directory = tempfile.mkdtemp(prefix="flowra-uploads-")
    try:
        yield LocalDiskBlobStorage(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def build_in_memory_core(
    clock: Clock,
    ids: IdGenerator,
    tokens: SecretTokens,
    blobs: BlobStorage,
    bus: EventBus,
    presence: PresenceReader,
    metrics: Metrics,
    governance_ports: GovernancePorts,
) -> FlowraCore:
    """The embedded profile: every store in process memory, the uploaded bytes on disk; the
    bus and presence follow `eventbus.type` like in the mongo profile."""
    ports, _adapters = in_memory_ports(clock=clock, ids=ids, tokens=tokens)
    return FlowraCore(
        replace(ports, blobs=blobs, bus=bus, presence=presence),
        reactions=with_webhooks(governance_ports.webhooks),
        telemetry=MetricsTelemetry(metrics),
    )


def build_mongo_core(
    database: MongoDatabase,
    clock: Clock,
    ids: IdGenerator,
    tokens: SecretTokens,
    blobs: BlobStorage,
    bus: EventBus,
    presence: PresenceReader,
    metrics: Metrics,
    governance_ports: GovernancePorts,
) -> FlowraCore:
    """`storage.backend=mongo`: every store on MongoDB; the bus and presence in process
    memory or shared through Redis (`eventbus.type`)."""
    ports = mongo_core_ports(
        database,
        clock=clock,
        ids=ids,
        tokens=tokens,
        bus=bus,
        presence=presence,
        blobs=blobs,
    )
    return FlowraCore(
        ports,
        reactions=with_webhooks(governance_ports.webhooks),
        telemetry=MetricsTelemetry(metrics),
    )


def build_governance(
    settings: Settings, core: FlowraCore, ports: GovernancePorts, sender: WebhookSender
) -> Governance:
    return Governance(core, ports, webhook_sender=sender, audit_enabled=settings.audit.enabled)


async def webhook_sender_resource(settings: Settings) -> AsyncIterator[WebhookSender]:
    """Its own HTTP client: no redirects, the webhook timeout; closed at shutdown."""
    hooks = settings.webhooks
    async with httpx.AsyncClient(timeout=hooks.timeout, follow_redirects=False) as client:
        yield HttpWebhookSender(
            client,
            allow_http=not settings.is_production,
            allow_private_targets=hooks.allow_private_targets,
            allowed_hosts=hooks.allowed_hosts,
        )


def build_rate_limiter(settings: Settings, limiter: RateLimiter) -> RateLimiter | None:
    return limiter if settings.rate_limit.enabled else None


def presence_registry_for(core: FlowraCore, shared: RedisSide | None) -> PresenceRegistry:
    """The writing side of the presence the core reads."""
    return shared.presence if shared is not None else presence_registry_of(core)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    # Settings keys given in the file or the environment (LoadedSettings.explicit_keys).
    explicit_keys = providers.Dependency(instance_of=frozenset, default=frozenset())
    # Whether this process consumes the bus's `dispatch` group (see `build_container`).

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(Uuid4Ids)
    tokens = providers.Singleton(RandomTokens)
    metrics = providers.Singleton(Metrics)
    # eventbus.type=redis: one pooled client shared by bus, live channel, presence, limits
    # and secrets; with `inmemory` everything below lives in this process.
    redis_side = providers.Singleton(build_redis_side, settings, clock, metrics)
    ephemeral = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Singleton(InMemoryEphemeralStore, clock),
        redis=redis_side.provided.ephemeral,
    )
    event_bus = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Singleton(InMemoryEventBus, clock),
        redis=redis_side.provided.bus,
    )
    presence = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Singleton(InMemoryPresence),
        redis=redis_side.provided.presence,
    )
    http_client = providers.Singleton(httpx.AsyncClient, timeout=HTTP_CLIENT_TIMEOUT)
    blobs = providers.Resource(blob_storage_resource, settings, explicit_keys)
    mongo_client = providers.Resource(
        mongo_client_resource,
        settings.provided.mongodb.uri,
        timeout=settings.provided.mongodb.timeout,
        max_pool_size=settings.provided.mongodb.max_pool_size,
    )
    # Async (the client is an async Resource): only the mongo profile resolves it.
    mongo_database = providers.Singleton(
        MongoDatabase,
        mongo_client,
        settings.provided.mongodb.database,
        on_operation=metrics.provided.count_mongodb,
    )
    # `core` and `locks` are plain objects with the memory backend, and awaitables with the
    # mongo one (see `resolved`).
    # API tokens, bots, audit, webhooks: beside the core, on the same storage backend (the
    # core's reaction table enqueues webhook deliveries into `governance_ports.webhooks`).
    governance_ports = providers.Selector(
        settings.provided.storage.backend,
        memory=providers.Singleton(in_memory_governance_ports),
        mongo=providers.Singleton(mongo_governance_ports, mongo_database),
    )
    core = providers.Selector(
        settings.provided.storage.backend,
        memory=providers.Singleton(
            build_in_memory_core,
            clock,
            ids,
            tokens,
            blobs,
            event_bus,
            presence,
            metrics,
            governance_ports,
        ),
        mongo=providers.Singleton(
            build_mongo_core,
            mongo_database,
            clock,
            ids,
            tokens,
            blobs,
            event_bus,
            presence,
            metrics,
            governance_ports,
        ),
    )
    webhook_sender = providers.Resource(webhook_sender_resource, settings)
    governance = providers.Singleton(
        build_governance, settings, core, governance_ports, webhook_sender
    )
    identity = providers.Singleton(build_identity, settings, clock, tokens, ephemeral, http_client)
    rate_limiter = providers.Singleton(
        build_rate_limiter,
        settings,
        providers.Selector(
            settings.provided.eventbus.type,
            inmemory=providers.Singleton(InMemoryRateLimiter, clock),
            redis=redis_side.provided.rate_limiter,
        ),
    )
    locks = providers.Selector(
        settings.provided.storage.backend,
        memory=providers.Singleton(InMemoryLeaseLocks, clock),
        mongo=providers.Singleton(MongoLeaseLocks, mongo_database, clock),
    )
    live = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Singleton(InMemoryLiveChannel),
        redis=redis_side.provided.live,
    )
    shared_redis = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Object(None),
        redis=redis_side,
    )
    presence_registry = providers.Singleton(presence_registry_for, core, shared_redis)
    ws_tickets = providers.Singleton(build_ticket_book, settings, ephemeral, tokens)
    ws_gateway = providers.Singleton(
        build_websocket_gateway,
        settings=settings,
        core=core,
        identity=identity,
        tickets=ws_tickets,
        live=live,
        presence=presence_registry,
        metrics=metrics,
        sessions=providers.Callable(session_book_of, identity),
    )

    health = providers.Singleton(
        build_health_registry,
        settings=settings,
        mongo_client=mongo_client.provider,
        redis_side=redis_side.provider,
        identity=identity,
        mongo_database=mongo_database.provider,
        delivery=providers.Callable(
            _delivery_checks,
            settings,
            clock,
            core.provider,
            event_bus.provider,
            ws_gateway.provider,
        ),
    )


async def resolved(value: Any) -> Any:
    """A provider's value: dependency-injector returns awaitables for the providers that depend
    on an async Resource (the MongoDB client), plain objects otherwise."""
    return await value if inspect.isawaitable(value) else value


def build_container(settings: Settings, explicit_keys: frozenset[str] = frozenset()) -> Container:
    return Container(settings=settings, explicit_keys=explicit_keys)
