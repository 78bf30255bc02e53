"""In-memory webhook endpoints and deliveries, answering as the Mongo indexes serve them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from flowra_core.domain.webhooks import (
    RETRY_FOR,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)


class InMemoryWebhookStore:
    def __init__(self) -> None:
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._deliveries: dict[str, WebhookDelivery] = {}

    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._endpoints[endpoint.id] = endpoint

    async def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._endpoints.get(endpoint_id)

    async def endpoints_of(self, workspace_id: str) -> Sequence[WebhookEndpoint]:
        return [
            e for e in self._endpoints.values() if e.workspace_id == workspace_id and not e.deleted
        ]

    async def enqueue(self, delivery: WebhookDelivery) -> None:
        self._deliveries.setdefault(delivery.id, delivery)

    async def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return self._deliveries.get(delivery_id)

    async def save_delivery(self, delivery: WebhookDelivery) -> None:
        self._deliveries[delivery.id] = delivery

    async def due(self, now: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        rows = [
            d
            for d in self._deliveries.values()
            if d.status is DeliveryStatus.PENDING and d.next_attempt_at <= now
        ]
        return sorted(rows, key=lambda d: (d.next_attempt_at, d.position))[:limit]

    async def earlier_pending(self, delivery: WebhookDelivery) -> bool:
        return any(
            d.endpoint_id == delivery.endpoint_id
            and d.order_key == delivery.order_key
            and d.status is DeliveryStatus.PENDING
            and d.position < delivery.position
            for d in self._deliveries.values()
        )

    async def log(
        self, endpoint_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        rows = sorted(
            (d for d in self._deliveries.values() if d.endpoint_id == endpoint_id),
            key=lambda d: (d.created_at, d.id),
            reverse=True,
        )
        if after is not None:
            rows = [d for d in rows if (d.created_at, d.id) < after]
        return rows[:limit]

    async def unpark(self, endpoint_id: str, now: datetime) -> int:
        parked = [
            d
            for d in self._deliveries.values()
            if d.endpoint_id == endpoint_id and d.status is DeliveryStatus.PARKED
        ]
        for d in parked:
            self._deliveries[d.id] = msgspec.structs.replace(
                d, status=DeliveryStatus.PENDING, next_attempt_at=now, give_up_at=now + RETRY_FOR
            )
        return len(parked)

    async def prune_delivered(self, before: datetime) -> int:
        old = [
            key
            for key, d in self._deliveries.items()
            if d.status is DeliveryStatus.DELIVERED and d.created_at < before
        ]
        for key in old:
            del self._deliveries[key]
        return len(old)
