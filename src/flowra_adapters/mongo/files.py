"""Upload metadata (`files`, operations.md §6): one document per FileRecord, `_id` = its id.
Written directly by the upload (not journaled); `message_id` is set once, by the message
projection."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from pymongo import ASCENDING

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import FILES
from flowra_core.ports.files import FileRecord


def _record(document: Document) -> FileRecord:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return convert(fields | {"id": document["_id"]}, FileRecord, what=f"file {document['_id']!r}")


class MongoFileStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._files = database.collection(FILES)

    async def get(self, file_id: str) -> FileRecord | None:
        with self._db.operation(FILES, "find"):
            found = await self._files.find_one({"_id": file_id})
        return None if found is None else _record(found)

    async def get_many(self, file_ids: Collection[str]) -> Mapping[str, FileRecord]:
        wanted = list(set(file_ids))
        if not wanted:
            return {}
        with self._db.operation(FILES, "find"):
            documents = await self._files.find({"_id": {"$in": wanted}}).to_list()
        return {document["_id"]: _record(document) for document in documents}

    async def save(self, record: FileRecord) -> None:
        fields: Document = to_document_fields(record)
        file_id = fields.pop("id")
        with self._db.operation(FILES, "save"):
            await self._files.replace_one({"_id": file_id}, fields, upsert=True)

    async def mark_attached(self, file_ids: Collection[str], message_id: str) -> None:
        wanted = list(set(file_ids))
        if not wanted:
            return
        unattached = {"_id": {"$in": wanted}, "message_id": None}
        with self._db.operation(FILES, "update"):
            await self._files.update_many(unattached, {"$set": {"message_id": message_id}})

    async def unattached_before(self, cutoff: datetime, *, limit: int) -> Sequence[FileRecord]:
        if limit <= 0:
            return []
        # Served by the (message_id) index: null matches the unattached ones.
        stale = {"message_id": None, "created_at": {"$lt": cutoff}}
        order = [("created_at", ASCENDING), ("_id", ASCENDING)]
        with self._db.operation(FILES, "find"):
            documents = await self._files.find(stale).sort(order).limit(limit).to_list()
        return [_record(document) for document in documents]

    async def delete_unattached(self, file_id: str) -> bool:
        with self._db.operation(FILES, "delete"):
            result = await self._files.delete_one({"_id": file_id, "message_id": None})
        return result.deleted_count == 1
