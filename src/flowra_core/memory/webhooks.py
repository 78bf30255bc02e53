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
from flowra_core.ports.webhooks import SendResult


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


class InMemoryWebhookReceiver:
    """A WebhookSender that receives in memory: it records every request and answers with the
    scripted status codes (then 200); `None` in the script answers nothing (a timeout)."""

    def __init__(self, *answers: int | None) -> None:
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []
        self._answers = list(answers)
        self.refused_hosts: set[str] = set()

    def script(self, *answers: int | None) -> None:
        """Answer these next (then 200)."""
        self._answers = list(answers)

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        self.requests.append((url, body, dict(headers)))
        status = self._answers.pop(0) if self._answers else 200
        if status is None:
            return SendResult(None, 5, "", error="timed out")
        return SendResult(status, 5, "ok" if status < 400 else "boom")

    async def check_target(self, url: str) -> str | None:
        host = url.split("/")[2] if "://" in url else url
        return "is an internal address" if host in self.refused_hosts else None
