"""The in-memory repair queue, with the rules of the RepairQueue port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from msgspec.structs import replace

from flowra_core.domain.events import AggregateType
from flowra_core.ports.repair import RepairItem, RepairStatus

_OPEN = (RepairStatus.PENDING, RepairStatus.PROCESSING)


class InMemoryRepairQueue:
    def __init__(self) -> None:
        self._items: dict[str, RepairItem] = {}

    async def enqueue(
        self,
        aggregate_type: AggregateType,
        aggregate_id: str,
        reason: str,
        *,
        item_id: str,
        now: datetime,
    ) -> RepairItem:
        for item in self._items.values():
            if (
                item.aggregate_type is aggregate_type
                and item.aggregate_id == aggregate_id
                and item.status is RepairStatus.PENDING
            ):
                return item
        item = RepairItem(
            id=item_id,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            reason=reason,
            status=RepairStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        self._items[item_id] = item
        return item

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[RepairItem]:
        due = [
            (item.next_attempt_at, item.id)
            for item in self._items.values()
            if item.status in _OPEN
            and item.next_attempt_at is not None
            and item.next_attempt_at <= now
        ]
        claimed: list[RepairItem] = []
        for _, item_id in sorted(due)[: max(limit, 0)]:
            item = replace(
                self._items[item_id],
                status=RepairStatus.PROCESSING,
                lease_until=now + lease,
                next_attempt_at=now + lease,
            )
            self._items[item_id] = item
            claimed.append(item)
        return claimed

    async def mark_done(self, item_id: str) -> None:
        item = self._items.get(item_id)
        if item is not None:
            self._items[item_id] = replace(item, status=RepairStatus.DONE, lease_until=None)

    async def record_failure(
        self, item_id: str, *, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        item = self._items.get(item_id)
        if item is None:
            return
        self._items[item_id] = replace(
            item,
            status=RepairStatus.PENDING if retry_at is not None else RepairStatus.FAILED,
            attempts=attempts,
            lease_until=None,
            next_attempt_at=retry_at,
            last_error=error,
        )

    async def counts(self) -> Mapping[RepairStatus, int]:
        counted = dict.fromkeys(RepairStatus, 0)
        for item in self._items.values():
            counted[item.status] += 1
        return counted

    async def retry_failed(self, *, now: datetime) -> int:
        failed = [i for i in self._items.values() if i.status is RepairStatus.FAILED]
        for item in failed:
            self._items[item.id] = replace(
                item, status=RepairStatus.PENDING, attempts=0, next_attempt_at=now
            )
        return len(failed)

    async def failed_items(self, *, limit: int) -> Sequence[RepairItem]:
        failed = [i for i in self._items.values() if i.status is RepairStatus.FAILED]
        return sorted(failed, key=lambda item: (item.created_at, item.id))[: max(limit, 0)]

    def items(self) -> list[RepairItem]:
        """Every item, done and failed included (for tests)."""
        return list(self._items.values())
