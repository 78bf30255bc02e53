"""The repair queue on `repair_queue` (operations.md §5, §6): one document per item, `_id` = its
id, with exactly the fields of §6. Due items are found through the (status, next_attempt_at)
index (a `processing` item's `next_attempt_at` is its lease's end) and an item's open requests
through (aggregate_type, aggregate_id).

Each item is claimed with its own `find_one_and_update`, which MongoDB runs atomically per
document, so two workers never take the same item. FerretDB v1 runs it as a read followed by a
write, so there two concurrent takers could both get one item; the repair job also holds the
`repair` lease lock, so only one process claims at a time, and a rebuild done twice is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument

from flowra_adapters.mongo.codec import convert
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import REPAIR_QUEUE
from flowra_core.domain.events import AggregateType
from flowra_core.ports.repair import RepairItem, RepairStatus

_DUE_ORDER = [("next_attempt_at", ASCENDING), ("_id", ASCENDING)]
_OPEN = [RepairStatus.PENDING.value, RepairStatus.PROCESSING.value]


def _item(document: Document) -> RepairItem:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return convert(
        fields | {"id": document["_id"]}, RepairItem, what=f"repair item {document['_id']!r}"
    )


class MongoRepairQueue:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._items = database.collection(REPAIR_QUEUE)

    async def enqueue(
        self,
        aggregate_type: AggregateType,
        aggregate_id: str,
        reason: str,
        *,
        item_id: str,
        now: datetime,
    ) -> RepairItem:
        pending = {
            "aggregate_type": aggregate_type.value,
            "aggregate_id": aggregate_id,
            "status": RepairStatus.PENDING.value,
        }
        with self._db.operation(REPAIR_QUEUE, "find"):
            queued = await self._items.find_one(pending)
        if queued is not None:
            return _item(queued)
        # Two writers enqueueing the same aggregate at once may both insert (no unique index
        # can tell open items from closed ones on FerretDB): the second rebuild is harmless.
        new_item = pending | {
            "_id": item_id,
            "reason": reason,
            "attempts": 0,
            "lease_until": None,
            "next_attempt_at": now,
            "last_error": None,
            "created_at": now,
        }
        with self._db.operation(REPAIR_QUEUE, "insert"):
            await self._items.insert_one(new_item)
        return _item(new_item)

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[RepairItem]:
        due = {"status": {"$in": _OPEN}, "next_attempt_at": {"$lte": now}}
        held_until = now + lease
        take = {
            "$set": {
                "status": RepairStatus.PROCESSING.value,
                "lease_until": held_until,
                "next_attempt_at": held_until,
            }
        }
        claimed: list[RepairItem] = []
        while len(claimed) < limit:
            with self._db.operation(REPAIR_QUEUE, "claim"):
                document = await self._items.find_one_and_update(
                    due, take, sort=_DUE_ORDER, return_document=ReturnDocument.AFTER
                )
            if document is None:
                break
            claimed.append(_item(document))
        return claimed

    async def mark_done(self, item_id: str) -> None:
        done = {"$set": {"status": RepairStatus.DONE.value, "lease_until": None}}
        with self._db.operation(REPAIR_QUEUE, "update"):
            await self._items.update_one({"_id": item_id}, done)

    async def record_failure(
        self, item_id: str, *, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        status = RepairStatus.PENDING if retry_at is not None else RepairStatus.FAILED
        failure = {
            "$set": {
                "status": status.value,
                "attempts": attempts,
                "lease_until": None,
                "next_attempt_at": retry_at,
                "last_error": error,
            }
        }
        with self._db.operation(REPAIR_QUEUE, "update"):
            await self._items.update_one({"_id": item_id}, failure)

    async def counts(self) -> Mapping[RepairStatus, int]:
        counted: dict[RepairStatus, int] = {}
        with self._db.operation(REPAIR_QUEUE, "count"):
            for status in RepairStatus:
                counted[status] = await self._items.count_documents({"status": status.value})
        return counted

    async def retry_failed(self, *, now: datetime) -> int:
        retry = {
            "$set": {
                "status": RepairStatus.PENDING.value,
                "attempts": 0,
                "lease_until": None,
                "next_attempt_at": now,
            }
        }
        with self._db.operation(REPAIR_QUEUE, "update"):
            result = await self._items.update_many({"status": RepairStatus.FAILED.value}, retry)
        return result.modified_count

    async def failed_items(self, *, limit: int) -> Sequence[RepairItem]:
        if limit <= 0:
            return []
        failed = {"status": RepairStatus.FAILED.value}
        order = [("created_at", ASCENDING), ("_id", ASCENDING)]
        with self._db.operation(REPAIR_QUEUE, "find"):
            documents = await self._items.find(failed).sort(order).limit(limit).to_list()
        return [_item(document) for document in documents]
