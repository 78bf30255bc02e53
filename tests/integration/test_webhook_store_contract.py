"""WebhookStore contract, in memory and on FerretDB: idempotent enqueue, due order, the
earlier-pending check of a chat, unpark with a fresh window, and the log's retention (delivered
entries only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from flowra_adapters.mongo.migrations import m0008_governance
from flowra_adapters.mongo.webhooks import MongoWebhookStore
from flowra_core.domain.webhooks import RETRY_FOR, DeliveryStatus, WebhookDelivery
from flowra_core.memory.webhooks import InMemoryWebhookStore
from flowra_core.ports.webhooks import WebhookStore

from .contracts.backends import fresh_mongo_database

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def delivery(
    number: int, *, chat: str = "c1", status: DeliveryStatus = DeliveryStatus.PENDING
) -> WebhookDelivery:
    return WebhookDelivery(
        id=f"e1:ev{number}",
        endpoint_id="e1",
        workspace_id="w1",
        event_id=f"ev{number}",
        event_type="message.created",
        order_key=chat,
        position=f"p{number:03d}",
        body="{}",
        status=status,
        attempts=0,
        created_at=T0 + timedelta(minutes=number),
        next_attempt_at=T0 + timedelta(minutes=number),
        give_up_at=T0 + RETRY_FOR,
    )


@pytest.fixture(params=["memory", "mongo"])
async def store(request: pytest.FixtureRequest, mongodb_uri: str) -> AsyncIterator[WebhookStore]:
    if request.param == "memory":
        yield InMemoryWebhookStore()
        return
    async with fresh_mongo_database(mongodb_uri) as database:
        await m0008_governance.MIGRATION.apply(database, T0)
        yield MongoWebhookStore(database)


async def test_enqueue_once_due_in_order_and_earlier_pending(store: WebhookStore) -> None:
    await store.enqueue(delivery(2))
    await store.enqueue(delivery(1))
    await store.enqueue(msgspec.structs.replace(delivery(1), body="changed"))
    await store.enqueue(delivery(3, chat="c2"))
    due = await store.due(T0 + timedelta(minutes=2), limit=10)
    assert [d.id for d in due] == ["e1:ev1", "e1:ev2"]
    assert due[0].body == "{}"  # the first enqueue stays
    assert await store.earlier_pending(delivery(2))
    assert not await store.earlier_pending(delivery(1))
    assert not await store.earlier_pending(delivery(3, chat="c2"))


async def test_unpark_and_retention(store: WebhookStore) -> None:
    await store.enqueue(delivery(1, status=DeliveryStatus.PARKED))
    await store.enqueue(delivery(2, status=DeliveryStatus.DELIVERED))
    await store.enqueue(delivery(3))
    later = T0 + timedelta(days=3)
    assert await store.unpark("e1", later) == 1
    unparked = await store.delivery("e1:ev1")
    assert unparked is not None
    assert (unparked.status, unparked.next_attempt_at) == (DeliveryStatus.PENDING, later)
    assert unparked.give_up_at == later + RETRY_FOR
    assert await store.prune_delivered(T0 + timedelta(minutes=10)) == 1
    log = await store.log("e1", after=None, limit=10)
    assert [d.id for d in log] == ["e1:ev3", "e1:ev1"]
