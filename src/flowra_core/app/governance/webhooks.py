"""Webhook endpoints of a workspace (its admins register, change, delete them and read their
delivery log), and the reaction that turns committed events into deliveries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import msgspec

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore, standard_reactions
from flowra_core.app.delivery.reactions import Reaction, ReactionTable
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed
from flowra_core.domain.events import AggregateType, EventEnvelope, envelope_to_wire
from flowra_core.domain.webhooks import (
    RETRY_FOR,
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    offered_event_types,
)
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_store import Commit
from flowra_core.ports.webhooks import WebhookSender, WebhookStore
from flowra_core.ports.workspaces import WorkspaceStore

WEBHOOK_REACTION = "webhooks.enqueue"
ENDPOINTS_TTL = timedelta(seconds=5)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of signing secrets
URL_MAX = 2048


def _endpoint_not_found(endpoint_id: str) -> DomainError:
    return DomainError(ErrorCode.WEBHOOK_NOT_FOUND, f"No webhook endpoint {endpoint_id}")


def _checked_events(events: list[str]) -> tuple[str, ...]:
    offered = offered_event_types()
    unknown = sorted(set(events) - offered)
    if not events:
        raise ValidationFailed.single("events", "give at least one event type")
    if unknown:
        raise ValidationFailed.single(
            "events", f"{unknown[0]!r} is not offered; one of {', '.join(sorted(offered))}"
        )
    return tuple(sorted(set(events)))


class EndpointCache:
    """Each workspace's live endpoints as this process last read them, for the reaction that
    runs on every commit (most workspaces have none: no read per commit for them).

    An entry is trusted for ENDPOINTS_TTL; the service drops it at once on every create,
    change or delete made through this process, so this instance's very next commit sees the
    change. Everywhere, a deleted, disabled or failing endpoint, or an event dropped from its
    filter, takes effect at once: the sender reads the endpoint by `_id` before each send
    (`webhook_delivery.py`) and parks what it no longer takes. Only additions (a new endpoint,
    a wider filter) reach another instance's commits within the TTL: making them immediate
    there would need a read per commit, which a workspace without webhooks must not pay."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[datetime, Sequence[WebhookEndpoint]]] = {}

    def fresh(self, workspace_id: str, now: datetime) -> Sequence[WebhookEndpoint] | None:
        cached = self._entries.get(workspace_id)
        if cached is not None and now - cached[0] < ENDPOINTS_TTL:
            return cached[1]
        return None

    def keep(self, workspace_id: str, now: datetime, endpoints: Sequence[WebhookEndpoint]) -> None:
        self._entries[workspace_id] = (now, endpoints)

    def forget(self, workspace_id: str) -> None:
        self._entries.pop(workspace_id, None)


def webhook_body(envelope: EventEnvelope) -> str:
    """The JSON body: event id, type, occurred_at, workspace and the resource (the event)."""
    wire = envelope_to_wire(envelope)
    body = {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "occurred_at": wire["occurred_at"],
        "workspace_id": envelope.workspace_id,
        "resource": wire,
    }
    return msgspec.json.encode(body).decode()


class WebhookService:
    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        workspaces: WorkspaceStore,
        clock: Clock,
        ids: IdGenerator,
        randomness: SecretTokens,
        cache: EndpointCache | None = None,
    ) -> None:
        self._store = store
        self._cache = cache or EndpointCache()
        self._sender = sender
        self._workspaces = workspaces
        self._clock = clock
        self._ids = ids
        self._randomness = randomness

    async def _admin_workspace(self, actor: Actor, workspace_id: str, action: str) -> Workspace:
        workspace = policy.visible_workspace(
            await self._workspaces.get(workspace_id), actor, workspace_id
        )
        policy.require_workspace_admin(workspace, actor, action)
        return workspace

    async def _checked_url(self, url: str) -> str:
        clean = url.strip()
        if not clean or len(clean) > URL_MAX:
            raise ValidationFailed.single("url", f"must be 1 to {URL_MAX} characters")
        refusal = await self._sender.check_target(clean)
        if refusal is not None:
            raise ValidationFailed([FieldError("url", refusal)])
        return clean

    async def _own_endpoint(self, workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
        endpoint = await self._store.endpoint(endpoint_id)
        if endpoint is None or endpoint.deleted or endpoint.workspace_id != workspace_id:
            raise _endpoint_not_found(endpoint_id)
        return endpoint

    async def create(
        self, actor: Actor, workspace_id: str, *, url: str, events: list[str]
    ) -> WebhookEndpoint:
        await self._admin_workspace(actor, workspace_id, "register webhooks")
        clean_url = await self._checked_url(url)
        now = self._clock.now()
        endpoint = WebhookEndpoint(
            id=self._ids.new_id(),
            workspace_id=workspace_id,
            url=clean_url,
            events=_checked_events(events),
            secret=SECRET_PREFIX + self._randomness.new_token(),
            status=EndpointStatus.ACTIVE,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        await self._store.save_endpoint(endpoint)
        self._cache.forget(workspace_id)
        return endpoint

    async def list_endpoints(self, actor: Actor, workspace_id: str) -> list[WebhookEndpoint]:
        await self._admin_workspace(actor, workspace_id, "see webhooks")
        return sorted(await self._store.endpoints_of(workspace_id), key=lambda e: e.created_at)

    async def get(self, actor: Actor, workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
        await self._admin_workspace(actor, workspace_id, "see webhooks")
        return await self._own_endpoint(workspace_id, endpoint_id)

    async def update(
        self,
        actor: Actor,
        workspace_id: str,
        endpoint_id: str,
        *,
        url: str | None,
        events: list[str] | None,
        reactivate: bool,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        """Change the URL or the filter; `reactivate` turns a failing endpoint active again and
        requeues its parked deliveries; `enabled` false pauses it (no new deliveries, queued
        ones parked), true resumes it like `reactivate`."""
        await self._admin_workspace(actor, workspace_id, "change webhooks")
        endpoint = await self._own_endpoint(workspace_id, endpoint_id)
        now = self._clock.now()
        changed = msgspec.structs.replace(
            endpoint,
            url=endpoint.url if url is None else await self._checked_url(url),
            events=endpoint.events if events is None else _checked_events(events),
            updated_at=now,
        )
        resume = reactivate or enabled is True
        if resume:
            changed = msgspec.structs.replace(
                changed, status=EndpointStatus.ACTIVE, failing_since=None
            )
        elif enabled is False:
            changed = msgspec.structs.replace(changed, status=EndpointStatus.DISABLED)
        await self._store.save_endpoint(changed)
        self._cache.forget(workspace_id)
        if resume:
            await self._store.unpark(endpoint_id, now)
        return changed

    async def delete(self, actor: Actor, workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
        """The endpoint stops receiving; its delivery log is kept until retention."""
        await self._admin_workspace(actor, workspace_id, "delete webhooks")
        endpoint = await self._own_endpoint(workspace_id, endpoint_id)
        deleted = msgspec.structs.replace(endpoint, deleted=True, updated_at=self._clock.now())
        await self._store.save_endpoint(deleted)
        self._cache.forget(workspace_id)
        return deleted

    async def deliveries(
        self,
        actor: Actor,
        workspace_id: str,
        endpoint_id: str,
        *,
        limit: int | None,
        cursor: str | None,
    ) -> Page[WebhookDelivery]:
        await self._admin_workspace(actor, workspace_id, "see webhook deliveries")
        await self._own_endpoint(workspace_id, endpoint_id)
        scope = fingerprint("webhook_deliveries", endpoint_id=endpoint_id)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        after = (request.after[0], request.after[1]) if request.after else None
        rows = await self._store.log(endpoint_id, after=after, limit=request.limit + 1)
        return make_page(rows, request, scope, lambda d: (d.created_at, d.id))

    async def redeliver(
        self, actor: Actor, workspace_id: str, endpoint_id: str, delivery_id: str
    ) -> WebhookDelivery:
        """Send it again now, with a fresh retry window (same body, same event id)."""
        await self._admin_workspace(actor, workspace_id, "redeliver webhooks")
        await self._own_endpoint(workspace_id, endpoint_id)
        delivery = await self._store.delivery(delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint_id:
            raise DomainError(ErrorCode.WEBHOOK_NOT_FOUND, f"No delivery {delivery_id}")
        now = self._clock.now()
        again = msgspec.structs.replace(
            delivery,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            give_up_at=now + RETRY_FOR,
        )
        await self._store.save_delivery(again)
        return again


class WebhookEnqueuer:
    """The reaction `webhooks.enqueue`: one delivery per (endpoint that wants it, event),
    stored in the durable work list the worker's webhook job sends from. Idempotent."""

    def __init__(self, store: WebhookStore, clock: Clock, cache: EndpointCache) -> None:
        self._store = store
        self._clock = clock
        self._cache = cache
        # Commits of one millisecond tie on `recorded_at`; this process enqueues them in commit
        # order, which the counter keeps (across processes a tie has no order to keep).
        self._sequence = itertools.count()

    async def enqueue(self, commit: Commit) -> None:
        """The reaction: one delivery per (endpoint that wants it, event). Idempotent."""
        if commit.workspace_id is None:
            return
        now = self._clock.now()
        endpoints = await self._endpoints_of(commit.workspace_id, now)
        if not endpoints:
            return
        for envelope in commit.events:
            position = f"{commit.recorded_at.isoformat()}|{next(self._sequence):015d}"
            for endpoint in endpoints:
                if endpoint.status is EndpointStatus.DISABLED or not endpoint.wants(envelope.type):
                    continue
                parked = endpoint.status is EndpointStatus.FAILING
                await self._store.enqueue(
                    WebhookDelivery(
                        id=f"{endpoint.id}:{envelope.event_id}",
                        endpoint_id=endpoint.id,
                        workspace_id=commit.workspace_id,
                        event_id=envelope.event_id,
                        event_type=envelope.type,
                        order_key=envelope.chat_id or commit.workspace_id,
                        position=position,
                        body=webhook_body(envelope),
                        status=DeliveryStatus.PARKED if parked else DeliveryStatus.PENDING,
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                        give_up_at=now + RETRY_FOR,
                    )
                )

    async def _endpoints_of(self, workspace_id: str, now: datetime) -> Sequence[WebhookEndpoint]:
        cached = self._cache.fresh(workspace_id, now)
        if cached is not None:
            return cached
        endpoints = await self._store.endpoints_of(workspace_id)
        self._cache.keep(workspace_id, now, endpoints)
        return endpoints


def with_webhooks(
    store: WebhookStore, cache: EndpointCache | None = None
) -> Callable[[FlowraCore], ReactionTable]:
    """Flowra's reaction table plus `webhooks.enqueue` (the composition root installs it);
    `cache` is shared with the process's WebhookService, which invalidates it."""

    def table(core: FlowraCore) -> ReactionTable:
        enqueuer = WebhookEnqueuer(store, core.ports.clock, cache or EndpointCache())
        return ReactionTable(
            [
                *standard_reactions(core),
                Reaction(
                    WEBHOOK_REACTION,
                    "Deliveries for the workspace's webhook endpoints (sent by the worker)",
                    frozenset({AggregateType.CHAT, AggregateType.MESSAGE, AggregateType.WORKSPACE}),
                    None,
                    enqueuer.enqueue,
                ),
            ]
        )

    return table
