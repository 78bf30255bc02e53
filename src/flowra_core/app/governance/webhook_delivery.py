"""The worker's webhook job: send the due deliveries, in journal order per chat and endpoint.

A delivery is marked delivered only after the receiver answered 2xx, so a worker that dies
mid-send leaves it pending and the next run sends it again (same body, same event id: the
receiver dedupes). A failure is retried with back-off and jitter until `give_up_at` (~24 h),
then the delivery is parked and its endpoint marked failing; nothing is dropped."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import msgspec

from flowra_core.domain.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    next_attempt,
    signature,
)
from flowra_core.ports.clock import Clock
from flowra_core.ports.webhooks import SendResult, WebhookSender, WebhookStore

USER_AGENT = "Flowra-Webhooks/1"


@dataclass
class DeliveryReport:
    outcomes: list[tuple[str, float]] = field(default_factory=list)  # (outcome, seconds)


class WebhookDispatcher:
    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        clock: Clock,
        *,
        batch_size: int,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self._batch_size = batch_size
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret

    async def run_once(self) -> DeliveryReport:
        report = DeliveryReport()
        due = await self._store.due(self._clock.now(), limit=self._batch_size)
        # Journal order within the batch: an earlier event sent now unblocks the later ones.
        for delivery in sorted(due, key=lambda d: d.position):
            if await self._store.earlier_pending(delivery):
                continue  # an earlier event of this chat goes first
            endpoint = await self._store.endpoint(delivery.endpoint_id)
            # Read by `_id` now, whatever the enqueuing process had cached: a delete, a pause
            # or a narrower event filter applies at once on every instance (kept, parked).
            if endpoint is None or endpoint.deleted or endpoint.status is not EndpointStatus.ACTIVE:
                await self._park(delivery, "the endpoint is failing, disabled or deleted")
                report.outcomes.append(("parked", 0.0))
                continue
            if not endpoint.wants(delivery.event_type):
                await self._park(delivery, "the endpoint no longer subscribes to this event")
                report.outcomes.append(("parked", 0.0))
                continue
            report.outcomes.append(await self._attempt(delivery, endpoint))
        return report

    async def _attempt(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint
    ) -> tuple[str, float]:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_ID_HEADER: delivery.event_id,
            SIGNATURE_HEADER: signature(endpoint.secret, int(self._clock.now().timestamp()), body),
        }
        result = await self._sender.send(endpoint.url, body, headers)
        now = self._clock.now()
        recorded = _with_result(delivery, result)
        if result.succeeded:
            await self._store.save_delivery(
                msgspec.structs.replace(recorded, status=DeliveryStatus.DELIVERED, delivered_at=now)
            )
            return "delivered", result.latency_ms / 1000
        attempts = delivery.attempts + 1
        if now >= delivery.give_up_at:
            await self._store.save_delivery(
                msgspec.structs.replace(recorded, status=DeliveryStatus.PARKED, attempts=attempts)
            )
            await self._store.save_endpoint(
                msgspec.structs.replace(
                    endpoint, status=EndpointStatus.FAILING, failing_since=now, updated_at=now
                )
            )
            return "parked", result.latency_ms / 1000
        await self._store.save_delivery(
            msgspec.structs.replace(
                recorded,
                attempts=attempts,
                next_attempt_at=next_attempt(attempts, now, self._rng),
            )
        )
        return "failed", result.latency_ms / 1000

    async def _park(self, delivery: WebhookDelivery, reason: str) -> None:
        await self._store.save_delivery(
            msgspec.structs.replace(delivery, status=DeliveryStatus.PARKED, last_error=reason)
        )


def _with_result(delivery: WebhookDelivery, result: SendResult) -> WebhookDelivery:
    return msgspec.structs.replace(
        delivery,
        last_status_code=result.status_code,
        last_error=result.error,
        last_latency_ms=result.latency_ms,
        last_response=result.body,
    )
