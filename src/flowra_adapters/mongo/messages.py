"""Message documents (`messages`: the state, `_id` = the message id, plus on a top-level
message that has had replies `thread: {reply_count, last_reply_at}`, written by the projection
beside the state, never by the state's own save) and change-summary drafts (`summary_drafts`:
`{_id: message id, content, phrases}`).

Keeping the thread stats on the message itself means a timeline page is one query: the stats
come with the rows (before migration 0008 they lived in `message_threads`, one more query).

Every timeline query is one range of the (chat_id, parent_id, created_at, _id) index walked in
one direction from the cursor on, so a page costs O(page) however long the chat is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import MESSAGES, SUMMARY_DRAFTS
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_core.domain.message.state import Message
from flowra_core.ports.messages import (
    Position,
    SummaryDraft,
    Threaded,
    ThreadStats,
    UnreadCounts,
)

_NEWEST_FIRST: SortSpec = [("created_at", DESCENDING), ("_id", DESCENDING)]
_OLDEST_FIRST: SortSpec = [("created_at", ASCENDING), ("_id", ASCENDING)]
# A refresh that finds the thread changed while it wrote goes round again; each round follows
# a reply stored meanwhile, so a few suffice, and that reply's own refresh comes after anyway.
_REFRESH_ROUNDS = 8
THREAD_FIELD = "thread"


def _timeline(chat_id: str, parent_id: str | None) -> Document:
    """The chat's top-level messages (parent None) or one thread's replies."""
    return {"chat_id": chat_id, "parent_id": parent_id}


def _live(query: Document) -> Document:
    return query | {"deleted_at": None}


def thread_stats_of(document: Document) -> ThreadStats:
    stats = document.get(THREAD_FIELD)
    if stats is None:
        return ThreadStats()
    return ThreadStats(reply_count=stats["reply_count"], last_reply_at=stats["last_reply_at"])


class MongoMessageStore(MongoStateStore[Message]):
    def __init__(self, database: MongoDatabase) -> None:
        super().__init__(database, MESSAGES, Message)

    def _decode(self, document: Document) -> Message:
        state = {key: value for key, value in document.items() if key != THREAD_FIELD}
        return super()._decode(state)

    async def top_level(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        query = combine(_timeline(chat_id, None), keyset_after(_NEWEST_FIRST, before))
        return await self._find(query, sort=_NEWEST_FIRST, limit=limit)

    async def top_level_threaded(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Threaded]:
        if limit <= 0:
            return []
        query = combine(_timeline(chat_id, None), keyset_after(_NEWEST_FIRST, before))
        with self._db.operation(MESSAGES, "find"):
            cursor = self._collection.find(query).sort(_NEWEST_FIRST).limit(limit)
            documents = await cursor.to_list()
        return [
            Threaded(self._decode(document), thread_stats_of(document))
            for document in documents
            if "version" in document
        ]

    async def replies(
        self, chat_id: str, parent_id: str, *, after: Position | None, limit: int
    ) -> Sequence[Message]:
        query = combine(_timeline(chat_id, parent_id), keyset_after(_OLDEST_FIRST, after))
        return await self._find(query, sort=_OLDEST_FIRST, limit=limit)

    async def replies_newest_first(
        self, chat_id: str, parent_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        query = combine(_timeline(chat_id, parent_id), keyset_after(_NEWEST_FIRST, before))
        return await self._find(query, sort=_NEWEST_FIRST, limit=limit)

    async def newest_top_level(self, chat_id: str) -> Message | None:
        found = await self._find(_timeline(chat_id, None), sort=_NEWEST_FIRST, limit=1)
        return found[0] if found else None

    async def newest_live_top_level_at(self, chat_id: str) -> datetime | None:
        return await self._newest_at(_live(_timeline(chat_id, None)))

    async def refresh_thread_stats(self, chat_id: str, parent_id: str) -> None:
        # Count, write, count again: a writer that raced a newer one rewrites until what it
        # wrote is what the replies say, so the last write always holds the true numbers.
        for _ in range(_REFRESH_ROUNDS):
            stats = await self._count_thread(chat_id, parent_id)
            fields = {THREAD_FIELD: to_document_fields(stats)}
            # Not an upsert: a reply is only ever written after its parent.
            with self._db.operation(MESSAGES, "thread"):
                await self._collection.update_one({"_id": parent_id}, {"$set": fields})
            if await self._count_thread(chat_id, parent_id) == stats:
                return

    async def thread_stats(self, message_ids: Collection[str]) -> Mapping[str, ThreadStats]:
        wanted = list(set(message_ids))
        if not wanted:
            return {}
        query = {"_id": {"$in": wanted}, THREAD_FIELD: {"$exists": True}}
        with self._db.operation(MESSAGES, "find"):
            documents = await self._collection.find(query, {THREAD_FIELD: 1}).to_list()
        return {document["_id"]: thread_stats_of(document) for document in documents}

    async def unread_counts(
        self, chat_id: str, user_id: str, *, after: Position | None
    ) -> UnreadCounts:
        others = {"author_id": {"$ne": user_id}, "actor_id": {"$ne": user_id}}
        unread = combine(
            _live(_timeline(chat_id, None)) | others, keyset_after(_OLDEST_FIRST, after)
        )
        mentioning = combine(unread, {"mentions": user_id})
        with self._db.operation(MESSAGES, "count"):
            return UnreadCounts(
                unread=await self._collection.count_documents(unread),
                mentions=await self._collection.count_documents(mentioning),
            )

    async def unread_counts_many(
        self, user_id: str, after: Mapping[str, Position | None], *, mentions: bool
    ) -> Mapping[str, UnreadCounts]:
        # One branch per chat, each a range of the (chat_id, parent_id, created_at, _id)
        # index from the marker on; every condition sits inside its branch so that MongoDB
        # plans each branch on that index (an $or with nothing beside it).
        others = {"author_id": {"$ne": user_id}, "actor_id": {"$ne": user_id}}
        branches = [
            combine(_live(_timeline(chat_id, None)) | others, keyset_after(_OLDEST_FIRST, position))
            for chat_id, position in sorted(after.items())
        ]
        if not branches:
            return {}
        unread = await self._count_by_chat({"$or": branches})
        mentioned: Mapping[str, int] = {}
        if mentions and unread:
            mentioned = await self._count_by_chat(
                {"$or": [branch | {"mentions": user_id} for branch in branches]}
            )
        return {
            chat_id: UnreadCounts(unread=count, mentions=mentioned.get(chat_id, 0))
            for chat_id, count in unread.items()
        }

    async def _count_by_chat(self, match: Document) -> dict[str, int]:
        pipeline = [{"$match": match}, {"$group": {"_id": "$chat_id", "n": {"$sum": 1}}}]
        with self._db.operation(MESSAGES, "count"):
            groups = await (await self._collection.aggregate(pipeline)).to_list()
        return {group["_id"]: group["n"] for group in groups}

    async def _count_thread(self, chat_id: str, parent_id: str) -> ThreadStats:
        replies = _live(_timeline(chat_id, parent_id))
        with self._db.operation(MESSAGES, "count"):
            count = await self._collection.count_documents(replies)
        last = await self._newest_at(replies) if count else None
        return ThreadStats(reply_count=count, last_reply_at=last)

    async def _newest_at(self, query: Document) -> datetime | None:
        with self._db.operation(MESSAGES, "find"):
            found = await self._collection.find_one(query, {"created_at": 1}, sort=_NEWEST_FIRST)
        return None if found is None else found["created_at"]


class MongoSummaryDraftStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._drafts = database.collection(SUMMARY_DRAFTS)

    async def get(self, message_id: str) -> SummaryDraft | None:
        with self._db.operation(SUMMARY_DRAFTS, "find"):
            found = await self._drafts.find_one({"_id": message_id})
        if found is None:
            return None
        fields = {key: value for key, value in found.items() if key != "_id"}
        return convert(
            fields | {"message_id": message_id}, SummaryDraft, what=f"draft {message_id!r}"
        )

    async def save(self, draft: SummaryDraft) -> None:
        fields: Document = to_document_fields(draft)
        message_id = fields.pop("message_id")
        with self._db.operation(SUMMARY_DRAFTS, "save"):
            await self._drafts.replace_one({"_id": message_id}, fields, upsert=True)
