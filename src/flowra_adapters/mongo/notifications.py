"""Notification inboxes: the inbox state documents (`inboxes`, `_id` = the user id) and the
per-notification read model the inbox API queries (`notifications`, operations.md §6).

An inbox document stores its delivered source keys as `{source_event_id, type}` documents.
A notification document holds the Notification fields, `created_at`, the inbox `version` of
its `notification.created` event and `removed`. A removed notification stays as a tombstone
(`removed: true`), so a late replay of its creation finds the `_id` taken and changes
nothing. A tombstone written for a notification never seen gets a `source_event_id` and
`type` of its own, so the unique (user_id, source_event_id, type) index never clashes on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Final

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import INBOXES, NOTIFICATIONS
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_core.domain.notification.state import Inbox, Notification, NotificationType
from flowra_core.ports.notifications import NotificationPosition, NotificationRecord

_NEWEST_FIRST: SortSpec = [("created_at", DESCENDING), ("_id", DESCENDING)]
_RECORD_FIELDS: Final = ("_id", "created_at", "version", "removed")
# The `type` of a tombstone for a notification removed before it was ever stored.
REMOVED_UNSEEN: Final = "removed"


def _record_document(record: NotificationRecord) -> Document:
    fields: Document = to_document_fields(record.notification)
    fields["_id"] = fields.pop("id")
    return fields | {"created_at": record.created_at, "version": record.version, "removed": False}


def _record(document: Document) -> NotificationRecord:
    fields = {key: value for key, value in document.items() if key not in _RECORD_FIELDS}
    notification = convert(
        fields | {"id": document["_id"]}, Notification, what=f"notification {document['_id']!r}"
    )
    return NotificationRecord(
        notification=notification, created_at=document["created_at"], version=document["version"]
    )


def _in_scope(user_id: str, workspace_ids: Collection[str | None]) -> Document:
    return {
        "user_id": user_id,
        "removed": False,
        "workspace_id": {"$in": list(dict.fromkeys(workspace_ids))},
    }


class MongoNotificationStore(MongoStateStore[Inbox]):
    def __init__(self, database: MongoDatabase) -> None:
        super().__init__(database, INBOXES, Inbox)
        self._records = database.collection(NOTIFICATIONS)

    def _encode(self, state: Inbox) -> Document:
        # FerretDB stores no array inside an array: each source key becomes a document.
        document = super()._encode(state)
        document["delivered_keys"] = [
            {"source_event_id": source_event_id, "type": notification_type}
            for source_event_id, notification_type in document["delivered_keys"]
        ]
        return document

    def _decode(self, document: Document) -> Inbox:
        keys = [(key["source_event_id"], key["type"]) for key in document["delivered_keys"]]
        return super()._decode(document | {"delivered_keys": keys})

    async def add(self, record: NotificationRecord) -> None:
        # Taken `_id`: stored before, or removed. Taken source key: already delivered.
        with self._db.operation(NOTIFICATIONS, "insert"), contextlib.suppress(DuplicateKeyError):
            await self._records.insert_one(_record_document(record))

    async def mark_read(
        self, user_id: str, notification_ids: Collection[str], *, read_at: datetime
    ) -> None:
        wanted = list(set(notification_ids))
        if not wanted:
            return
        await self._read({"_id": {"$in": wanted}, "user_id": user_id}, read_at)

    async def mark_all_read(self, user_id: str, *, read_at: datetime, up_to_version: int) -> None:
        await self._read({"user_id": user_id, "version": {"$lte": up_to_version}}, read_at)

    async def _read(self, query: Document, read_at: datetime) -> None:
        unread = query | {"read_at": None, "removed": False}
        with self._db.operation(NOTIFICATIONS, "update"):
            await self._records.update_many(unread, {"$set": {"read_at": read_at}})

    async def remove(self, user_id: str, notification_id: str) -> None:
        unseen = {"type": REMOVED_UNSEEN, "source_event_id": notification_id}
        # Someone else's notification makes the insert clash on `_id`: it stays.
        with self._db.operation(NOTIFICATIONS, "remove"), contextlib.suppress(DuplicateKeyError):
            await self._records.update_one(
                {"_id": notification_id, "user_id": user_id},
                {"$set": {"removed": True}, "$setOnInsert": unseen},
                upsert=True,
            )

    async def record(self, user_id: str, notification_id: str) -> NotificationRecord | None:
        query = {"_id": notification_id, "user_id": user_id, "removed": False}
        with self._db.operation(NOTIFICATIONS, "find"):
            found = await self._records.find_one(query)
        return None if found is None else _record(found)

    async def newest(
        self,
        user_id: str,
        *,
        workspace_ids: Collection[str | None],
        unread_only: bool,
        notification_type: NotificationType | None,
        before: NotificationPosition | None,
        limit: int,
    ) -> Sequence[NotificationRecord]:
        if limit <= 0:
            return []
        fields: Document = {}
        if unread_only:
            fields["read_at"] = None
        if notification_type is not None:
            fields["type"] = notification_type.value
        query = combine(
            _in_scope(user_id, workspace_ids) | fields, keyset_after(_NEWEST_FIRST, before)
        )
        with self._db.operation(NOTIFICATIONS, "find"):
            cursor = self._records.find(query).sort(_NEWEST_FIRST).limit(limit)
            documents = await cursor.to_list()
        return [_record(document) for document in documents]

    async def unread_count(self, user_id: str, *, workspace_ids: Collection[str | None]) -> int:
        query = _in_scope(user_id, workspace_ids) | {"read_at": None}
        with self._db.operation(NOTIFICATIONS, "count"):
            return await self._records.count_documents(query)
