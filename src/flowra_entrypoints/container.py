"""The one composition root: picks the adapter set from settings and owns its lifecycle.

Resources (database and Redis clients) are created lazily, the first time a component
that the configured mode uses asks for them, and `shutdown_resources()` closes exactly
the ones that were opened — so the embedded profile never touches a network client.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx
from dependency_injector import containers, providers

from flowra_adapters.files.local_disk import LocalDiskBlobStorage
from flowra_adapters.mongo.client import mongo_client_resource
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.tokens import mongo_governance_ports
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_adapters.webhooks.sender import HttpWebhookSender
from flowra_core.app.core import FlowraCore
from flowra_core.app.governance.services import Governance, GovernancePorts
from flowra_core.app.governance.webhooks import with_webhooks
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.live import InMemoryLiveChannel, InMemoryPresenceRegistry
from flowra_core.memory.locks import InMemoryLeaseLocks
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.memory.rate_limit import InMemoryRateLimiter
from flowra_core.memory.tokens import in_memory_governance_ports
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.files import BlobStorage
from flowra_core.ports.locks import LeaseLocks
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.rate_limit import RateLimiter
from flowra_core.ports.webhooks import WebhookSender
from flowra_core.testing.builder import in_memory_ports
from flowra_entrypoints.health_checks import build_health_registry, delivery_health
from flowra_entrypoints.identity import IdentitySide, build_identity
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.provided import provided
from flowra_entrypoints.redis_side import build_redis_side
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.telemetry import MetricsTelemetry

if TYPE_CHECKING:
    from flowra_entrypoints.ws.gateway import WebSocketGateway

# Keycloak calls (JWKS, token, admin API): a slower answer is an outage.
HTTP_CLIENT_TIMEOUT = 10.0


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
        reactions=with_webhooks(governance_ports.webhooks, governance_ports.endpoint_cache),
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
        reactions=with_webhooks(governance_ports.webhooks, governance_ports.endpoint_cache),
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


# The WebSocket side is imported when the API builds it: a worker never loads it.
def _ticket_book(*args: Any, **kwargs: Any) -> Any:
    from flowra_entrypoints.ws.wiring import build_ticket_book

    return build_ticket_book(*args, **kwargs)


def _websocket_gateway(*args: Any, **kwargs: Any) -> Any:
    from flowra_entrypoints.ws.wiring import build_websocket_gateway

    return build_websocket_gateway(*args, **kwargs)


def _session_book(identity: IdentitySide) -> Any:
    from flowra_entrypoints.ws.wiring import session_book_of

    return session_book_of(identity)


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
    # In process memory, the presence the core reads and the registry the gateway writes are
    # one store; with Redis both sides are Redis's.
    memory_presence = providers.Singleton(InMemoryPresence)
    presence = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=memory_presence,
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
    # `core`, `governance` and `locks` are plain objects with the memory backend, and
    # awaitables with the mongo one: processes take them from `resolve_components`.
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
    presence_registry = providers.Selector(
        settings.provided.eventbus.type,
        inmemory=providers.Singleton(InMemoryPresenceRegistry, memory_presence),
        redis=redis_side.provided.presence,
    )
    ws_tickets = providers.Singleton(_ticket_book, settings, ephemeral, tokens)
    ws_gateway = providers.Singleton(
        _websocket_gateway,
        settings=settings,
        core=core,
        identity=identity,
        tickets=ws_tickets,
        live=live,
        presence=presence_registry,
        metrics=metrics,
        sessions=providers.Callable(_session_book, identity),
    )

    health = providers.Singleton(
        build_health_registry,
        settings=settings,
        mongo_client=mongo_client.provider,
        redis_side=redis_side.provider,
        identity=identity,
        mongo_database=mongo_database.provider,
        delivery=providers.Callable(
            delivery_health,
            settings,
            clock,
            core.provider,
            event_bus.provider,
            ws_gateway.provider,
        ),
    )


def build_container(settings: Settings, explicit_keys: frozenset[str] = frozenset()) -> Container:
    return Container(settings=settings, explicit_keys=explicit_keys)


@dataclass(frozen=True, slots=True)
class Components:
    """What a process works with, resolved once at its start (the API: in its lifespan):
    plain objects whatever the storage backend."""

    core: FlowraCore
    governance: Governance
    locks: LeaseLocks


async def resolve_components(container: Container) -> Components:
    return Components(
        core=await provided(container.core()),
        governance=await provided(container.governance()),
        locks=await provided(container.locks()),
    )


async def resolve_gateway(container: Container) -> WebSocketGateway:
    """The API's WebSocket gateway (a worker never builds it)."""
    gateway: WebSocketGateway = await provided(container.ws_gateway())
    return gateway
