"""Outgoing webhooks: endpoints a workspace registers, one delivery per (endpoint, event), the
signature receivers verify, and the retry schedule.

A delivery's id is `<endpoint id>:<event id>`: enqueuing twice stores it once, and the
`Flowra-Event-Id` header (the event id) stays the same across retries, so receivers dedupe."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from flowra_core.domain.events import event_types

# Workspace-scoped events a receiver may subscribe to (notifications, users and invites, which
# carry personal or secret data, are not offered).
_OFFERED_PREFIXES = ("chat.", "message.", "member.", "workspace.")
RETRY_FOR = timedelta(hours=24)  # then the endpoint is marked failing and the delivery parked
FIRST_RETRY_SECONDS = 10.0
MAX_RETRY_SECONDS = 3600.0
SIGNATURE_HEADER = "Flowra-Signature"
EVENT_ID_HEADER = "Flowra-Event-Id"


def offered_event_types() -> frozenset[str]:
    return frozenset(t for t in event_types() if t.startswith(_OFFERED_PREFIXES))


class EndpointStatus(StrEnum):
    ACTIVE = "active"
    FAILING = "failing"  # a delivery gave up after RETRY_FOR; new deliveries are parked
    DISABLED = "disabled"  # paused by an admin: nothing new is queued, queued ones are parked


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"  # kept, never dropped: redelivered by hand or when the endpoint recovers


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    workspace_id: str
    url: str
    events: tuple[str, ...]
    secret: str  # the HMAC key, shown to admins
    status: EndpointStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = None
    deleted: bool = False

    def wants(self, event_type: str) -> bool:
        return not self.deleted and event_type in self.events


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # "<endpoint id>:<event id>"
    endpoint_id: str
    workspace_id: str
    event_id: str
    event_type: str
    # Deliveries of one chat (or of the workspace when None) go out in journal order.
    order_key: str
    position: str  # sortable journal position: recorded_at ISO + version + event id
    body: str  # the JSON body, fixed at enqueue time so every attempt sends the same bytes
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    give_up_at: datetime  # retries stop here: parked, endpoint failing (RETRY_FOR after enqueue)
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_latency_ms: int | None = None
    last_response: str | None = None  # truncated response body


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`: the timestamp lets receivers
    refuse replays (compare it with their clock), the HMAC proves the sender and the bytes."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def next_attempt(attempts: int, now: datetime, rng: random.Random) -> datetime:
    """After the `attempts`-th failure: 10 s, 20 s, 40 s … capped at 1 h, ±20 % jitter."""
    base = min(FIRST_RETRY_SECONDS * 2.0 ** (attempts - 1), MAX_RETRY_SECONDS)
    return now + timedelta(seconds=base * rng.uniform(0.8, 1.2))
