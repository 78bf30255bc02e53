"""RepairQueue contract (operations.md §5, §6 `repair_queue`, spec D34): one pending item per
aggregate, due items claimed once each under a lease, an expired lease makes an item due again,
failures back off or end as `failed`, and counts per status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from flowra_adapters.mongo.repair_queue import MongoRepairQueue
from flowra_core.domain.events import AggregateType
from flowra_core.ports.repair import RepairItem, RepairQueue, RepairStatus
from flowra_core.testing.repair import InMemoryRepairQueue

from .backends import fresh_mongo_database

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
LEASE = timedelta(seconds=60)
CHAT = AggregateType.CHAT


@dataclass
class Backend:
    name: str
    queue: RepairQueue


@pytest.fixture(params=["memory", "mongo"])
async def backend(request: pytest.FixtureRequest, mongodb_uri: str) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend("memory", InMemoryRepairQueue())
        return
    async with fresh_mongo_database(mongodb_uri) as database:
        yield Backend("mongo", MongoRepairQueue(database))


async def queue_item(backend: Backend, item_id: str, *, at: datetime = T0) -> RepairItem:
    return await backend.queue.enqueue(
        CHAT, f"chat-{item_id}", f"state save failed ({item_id})", item_id=item_id, now=at
    )


async def claim(backend: Backend, at: datetime, limit: int = 10) -> list[str]:
    return [item.id for item in await backend.queue.claim_due(now=at, lease=LEASE, limit=limit)]


async def statuses(backend: Backend) -> dict[RepairStatus, int]:
    return {status: n for status, n in (await backend.queue.counts()).items() if n}


class TestEnqueue:
    async def test_a_new_item_is_pending_and_due_at_once(self, backend: Backend) -> None:
        item = await queue_item(backend, "i1")

        assert item == RepairItem(
            id="i1",
            aggregate_type=CHAT,
            aggregate_id="chat-i1",
            reason="state save failed (i1)",
            status=RepairStatus.PENDING,
            attempts=0,
            lease_until=None,
            next_attempt_at=T0,
            last_error=None,
            created_at=T0,
        )
        assert await claim(backend, T0) == ["i1"]

    async def test_a_pending_item_absorbs_later_requests_for_its_aggregate(
        self, backend: Backend
    ) -> None:
        first = await queue_item(backend, "i1")

        again = await backend.queue.enqueue(
            CHAT, "chat-i1", "projection failed", item_id="i2", now=T0 + timedelta(seconds=5)
        )
        other_type = await backend.queue.enqueue(
            AggregateType.MESSAGE, "chat-i1", "projection failed", item_id="i3", now=T0
        )

        assert again == first
        assert other_type.id == "i3"
        assert await statuses(backend) == {RepairStatus.PENDING: 2}

    async def test_an_item_being_repaired_does_not_absorb_a_new_request(
        self, backend: Backend
    ) -> None:
        await queue_item(backend, "i1")
        await claim(backend, T0)

        again = await backend.queue.enqueue(CHAT, "chat-i1", "again", item_id="i2", now=T0)

        assert again.id == "i2"
        assert await statuses(backend) == {RepairStatus.PENDING: 1, RepairStatus.PROCESSING: 1}


class TestClaim:
    async def test_due_items_are_claimed_earliest_first_and_only_once(
        self, backend: Backend
    ) -> None:
        await queue_item(backend, "late", at=T0 + timedelta(seconds=2))
        await queue_item(backend, "early", at=T0)
        await queue_item(backend, "future", at=T0 + timedelta(minutes=5))

        now = T0 + timedelta(seconds=10)
        assert await claim(backend, now, limit=1) == ["early"]
        assert await claim(backend, now) == ["late"]
        assert await claim(backend, now) == []

    async def test_a_claimed_item_holds_a_lease(self, backend: Backend) -> None:
        await queue_item(backend, "i1")

        (item,) = await backend.queue.claim_due(now=T0, lease=LEASE, limit=5)

        assert item.status is RepairStatus.PROCESSING
        assert item.lease_until == T0 + LEASE
        assert item.next_attempt_at == T0 + LEASE
        assert await statuses(backend) == {RepairStatus.PROCESSING: 1}

    async def test_an_expired_lease_makes_the_item_due_again(self, backend: Backend) -> None:
        await queue_item(backend, "i1")
        await claim(backend, T0)

        assert await claim(backend, T0 + LEASE - timedelta(milliseconds=1)) == []
        assert await claim(backend, T0 + LEASE) == ["i1"]

    async def test_a_limit_of_zero_claims_nothing(self, backend: Backend) -> None:
        await queue_item(backend, "i1")

        assert await claim(backend, T0, limit=0) == []


class TestOutcome:
    async def test_a_done_item_is_never_claimed_again(self, backend: Backend) -> None:
        await queue_item(backend, "i1")
        await claim(backend, T0)

        await backend.queue.mark_done("i1")

        assert await claim(backend, T0 + timedelta(days=1)) == []
        assert await statuses(backend) == {RepairStatus.DONE: 1}
        # The aggregate can be queued again once its item is closed.
        assert (await queue_item(backend, "i1-again")).id == "i1-again"

    async def test_a_failure_backs_off_until_its_retry_time(self, backend: Backend) -> None:
        await queue_item(backend, "i1")
        await claim(backend, T0)
        retry_at = T0 + timedelta(seconds=30)

        await backend.queue.record_failure(
            "i1", attempts=1, error="ServiceUnavailable: timeout", retry_at=retry_at
        )

        assert await claim(backend, retry_at - timedelta(milliseconds=1)) == []
        (item,) = await backend.queue.claim_due(now=retry_at, lease=LEASE, limit=5)
        assert (item.attempts, item.last_error) == (1, "ServiceUnavailable: timeout")

    async def test_a_failure_without_retry_is_failed_for_good(self, backend: Backend) -> None:
        await queue_item(backend, "old", at=T0)
        await queue_item(backend, "new", at=T0 + timedelta(seconds=1))
        await queue_item(backend, "fine", at=T0)
        for item_id in ("new", "old"):
            await backend.queue.record_failure(item_id, attempts=5, error="boom", retry_at=None)

        assert await claim(backend, T0 + timedelta(days=365)) == ["fine"]
        failed = await backend.queue.failed_items(limit=10)
        assert [item.id for item in failed] == ["old", "new"]
        assert all(item.status is RepairStatus.FAILED for item in failed)
        assert all((item.attempts, item.last_error) == (5, "boom") for item in failed)
        assert [item.id for item in await backend.queue.failed_items(limit=1)] == ["old"]
        assert await backend.queue.failed_items(limit=0) == []

    async def test_failed_items_are_retried_on_demand_from_scratch(self, backend: Backend) -> None:
        for item_id in ("a", "b", "c"):
            await queue_item(backend, item_id)
        await backend.queue.record_failure("a", attempts=5, error="boom", retry_at=None)
        await backend.queue.record_failure("b", attempts=5, error="boom", retry_at=None)
        later = T0 + timedelta(hours=1)

        assert await backend.queue.retry_failed(now=later) == 2

        assert await backend.queue.failed_items(limit=10) == []
        claimed = await backend.queue.claim_due(now=later, lease=LEASE, limit=5)
        assert sorted((item.id, item.attempts) for item in claimed) == [
            ("a", 0),
            ("b", 0),
            ("c", 0),
        ]
        assert {item.last_error for item in claimed} == {"boom", None}
        assert await backend.queue.retry_failed(now=later) == 0

    async def test_counts_name_every_status(self, backend: Backend) -> None:
        assert await backend.queue.counts() == dict.fromkeys(RepairStatus, 0)
        for item_id in ("a", "b", "c", "d"):
            await queue_item(backend, item_id)
        await claim(backend, T0, limit=3)
        await backend.queue.mark_done("a")
        await backend.queue.record_failure("b", attempts=5, error="boom", retry_at=None)

        assert await backend.queue.counts() == {
            RepairStatus.PENDING: 1,
            RepairStatus.PROCESSING: 1,
            RepairStatus.DONE: 1,
            RepairStatus.FAILED: 1,
        }
