"""Webhook endpoints (`webhook_endpoints`) and the durable per-delivery work list and log
(`webhook_deliveries`), and the sender that makes the HTTP call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flowra_core.domain.webhooks import WebhookDelivery, WebhookEndpoint


class WebhookStore(Protocol):
    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    async def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def endpoints_of(self, workspace_id: str) -> Sequence[WebhookEndpoint]:
        """Live endpoints of a workspace (index `workspace_id, deleted`)."""
        ...

    async def enqueue(self, delivery: WebhookDelivery) -> None:
        """Store unless a delivery with its id exists (enqueuing is idempotent)."""
        ...

    async def delivery(self, delivery_id: str) -> WebhookDelivery | None: ...

    async def save_delivery(self, delivery: WebhookDelivery) -> None: ...

    async def due(self, now: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        """Pending deliveries whose time has come, earliest first (index `status,
        next_attempt_at`)."""
        ...

    async def earlier_pending(self, delivery: WebhookDelivery) -> bool:
        """Whether a pending delivery of the same endpoint and order key comes before it
        (index `endpoint_id, order_key, status, position`): deliveries keep journal order."""
        ...

    async def log(
        self, endpoint_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        """An endpoint's deliveries, newest first (index `endpoint_id, -created_at, -_id`)."""
        ...

    async def unpark(self, endpoint_id: str, now: datetime) -> int:
        """Parked deliveries of the endpoint back to pending, due now; how many."""
        ...

    async def prune_delivered(self, before: datetime) -> int:
        """Delivered entries of the log older than `before` (retention)."""
        ...


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None  # None: no answer (timeout, refused connection, refused target)
    latency_ms: int
    body: str  # at most the sender's cap
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...

    async def check_target(self, url: str) -> str | None:
        """Why the URL may not be called (scheme, a private address in production), or None."""
        ...
