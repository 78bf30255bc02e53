"""Chat documents (`chats`): the chat state, the time of its newest live message and the
derived list fields (`chat_lists.chat_sort_fields`).

`last_activity_at` = max(updated_at, last_message_at) follows two writers: state saves and
the message projection. Both only ever raise it (`$max`), so each writes in one command without
reading the other's field first. Only the deletion of the newest message lowers it: that
recomputation reads the state's `updated_at` and writes on the condition that it is unchanged
(a compare-and-set), retrying when a save moved it. A chat's messages may be projected before
its state is saved (a replay); the document then holds the message time alone until the state
arrives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.chat_lists import (
    after_filter,
    chat_list_filter,
    chat_sort_fields,
    participant_filter,
    readable_filter,
    sort_spec,
    task_filter,
)
from flowra_adapters.mongo.codec import state_to_document
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import CHATS
from flowra_adapters.mongo.queries import combine
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import StatusCategory
from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.ports.chats import ChatListQuery, ChatRecord, SortKey, TaskQuery, micros

# Each retry follows a write that another writer completed, so a handful always suffices.
_COMPARE_AND_SET_ATTEMPTS = 16
# Beside the state, like `last_message_at`: see ChatRecord.timeline_version.
TIMELINE_VERSION = "timeline_version"


class MongoChatStore(MongoStateStore[Chat]):
    def __init__(self, database: MongoDatabase) -> None:
        super().__init__(database, CHATS, Chat)

    def _state_id(self, state: Chat) -> str:
        return state.id

    def _update(self, state: Chat) -> Document:
        fields = state_to_document(state)
        del fields["_id"]
        sorting = chat_sort_fields(state, state.updated_at)
        raised = {key: sorting.pop(key) for key in ("last_activity_at", "sort_activity")}
        return {"$set": fields | sorting, "$max": raised}

    async def raise_last_message_at(self, chat_id: str, at: datetime) -> None:
        raised = {"last_message_at": at, "last_activity_at": at, "sort_activity": micros(at)}
        with self._db.operation(CHATS, "update"):
            await self._collection.update_one(
                {"_id": chat_id}, {"$max": raised, "$inc": {TIMELINE_VERSION: 1}}, upsert=True
            )

    async def get_many(self, chat_ids: Collection[str]) -> Mapping[str, Chat]:
        return await self._get_many(chat_ids)

    async def set_last_message_at(self, chat_id: str, at: datetime | None) -> None:
        for _ in range(_COMPARE_AND_SET_ATTEMPTS):
            stored = await self._activity_fields(chat_id)
            updated_at = stored.get("updated_at")
            activity = _activity(updated_at, at) if updated_at is not None else at
            fields: Document = {"last_message_at": at, "last_activity_at": activity}
            if activity is not None:
                fields["sort_activity"] = micros(activity)
            unchanged = {"_id": chat_id, "updated_at": updated_at}
            moved = {"$set": fields, "$inc": {TIMELINE_VERSION: 1}}
            if await self._compare_and_set(unchanged, moved):
                return
        raise ConcurrencyConflict(chat_id, stored.get("version", 0))

    async def timeline_changed(self, chat_id: str) -> None:
        with self._db.operation(CHATS, "save"):
            await self._collection.update_one({"_id": chat_id}, {"$inc": {TIMELINE_VERSION: 1}})

    async def last_message_at(self, chat_ids: Collection[str]) -> Mapping[str, datetime]:
        wanted = list(set(chat_ids))
        if not wanted:
            return {}
        query = {"_id": {"$in": wanted}, "last_message_at": {"$ne": None}}
        with self._db.operation(CHATS, "find"):
            documents = await self._collection.find(query, {"last_message_at": 1}).to_list()
        return {document["_id"]: document["last_message_at"] for document in documents}

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> Sequence[str]:
        return await self._ids(participant_filter(workspace_id, user_id))

    async def readable_ids(self, workspace_id: str, user_id: str | None) -> Sequence[str]:
        return await self._ids(readable_filter(workspace_id, user_id))

    async def list_chats(
        self, query: ChatListQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        found = combine(chat_list_filter(query), after_filter(query.sort, after))
        return await self._records(found, sort_spec(query.sort), limit)

    async def list_tasks(
        self, query: TaskQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        found = combine(task_filter(query), after_filter(query.sort, after))
        return await self._records(found, sort_spec(query.sort), limit)

    async def count_tasks(self, query: TaskQuery) -> int:
        with self._db.operation(CHATS, "count"):
            return await self._collection.count_documents(task_filter(query))

    async def count_tasks_by_category(self, query: TaskQuery) -> Mapping[StatusCategory, int]:
        pipeline = [
            {"$match": task_filter(query)},
            {"$group": {"_id": "$category", "n": {"$sum": 1}}},
        ]
        with self._db.operation(CHATS, "count"):
            groups = await (await self._collection.aggregate(pipeline)).to_list()
        return {StatusCategory(group["_id"]): group["n"] for group in groups if group["_id"]}

    async def _records(
        self, query: Document, sort: list[tuple[str, int]], limit: int
    ) -> list[ChatRecord]:
        if limit <= 0:
            return []
        with self._db.operation(CHATS, "find"):
            documents = await self._collection.find(query).sort(sort).limit(limit).to_list()
        return [
            ChatRecord(
                self._decode(document),
                document.get("last_message_at"),
                document.get(TIMELINE_VERSION, 0),
            )
            for document in documents
        ]

    async def _activity_fields(self, chat_id: str) -> Document:
        projection = {"version": 1, "updated_at": 1, "last_message_at": 1}
        with self._db.operation(CHATS, "find"):
            found = await self._collection.find_one({"_id": chat_id}, projection)
        return found or {}

    async def _compare_and_set(self, unchanged: Document, update: Document) -> bool:
        """Apply `update` if the document still matches `unchanged` (or insert it when there is
        none); False when another writer changed it first."""
        with self._db.operation(CHATS, "save"):
            try:
                await self._collection.update_one(unchanged, update, upsert=True)
            except DuplicateKeyError:
                return False
        return True


def _activity(updated_at: datetime, last_message_at: datetime | None) -> datetime:
    return updated_at if last_message_at is None else max(updated_at, last_message_at)
