"""The audit log (`audit_log`, `_id` = entry id): inserts only, reads newest first through the
indexes of migration 0008, and the retention's range delete on `at`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import DESCENDING

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import AUDIT_LOG
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_core.domain.audit import AuditEntry
from flowra_core.ports.audit import AuditFilter

_NEWEST_FIRST: SortSpec = [("at", DESCENDING), ("_id", DESCENDING)]


def _query(where: AuditFilter) -> Document:
    equalities: Document = {}
    if where.workspace_id is not None:
        equalities["workspace_id"] = where.workspace_id
    if where.actor_id is not None:
        equalities["actor_id"] = where.actor_id
    if where.action is not None:
        equalities["action"] = where.action.value
    window: Document = {}
    if where.since is not None:
        window["$gte"] = where.since
    if where.until is not None:
        window["$lt"] = where.until
    return combine(equalities, {"at": window} if window else {})


def _entry(document: Document) -> AuditEntry:
    fields = {key: value for key, value in document.items() if key != "_id"}
    fields["id"] = document["_id"]
    return convert(fields, AuditEntry, what=f"audit entry {document['_id']!r}")


class MongoAuditLog:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._entries = database.collection(AUDIT_LOG)

    async def append(self, entry: AuditEntry) -> None:
        document: Document = to_document_fields(entry)
        document["_id"] = document.pop("id")
        with self._db.operation(AUDIT_LOG, "insert"):
            await self._entries.insert_one(document)

    async def find(
        self, where: AuditFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[AuditEntry]:
        query = combine(_query(where), keyset_after(_NEWEST_FIRST, after))
        with self._db.operation(AUDIT_LOG, "find"):
            rows = await self._entries.find(query).sort(_NEWEST_FIRST).limit(limit).to_list()
        return [_entry(row) for row in rows]

    async def prune(self, before: datetime) -> int:
        with self._db.operation(AUDIT_LOG, "delete"):
            result = await self._entries.delete_many({"at": {"$lt": before}})
        return result.deleted_count
