"""0006: thread stats move onto the top-level message (`messages.thread`).

Before this version the projection kept them in `message_threads` (`{_id: parent id, chat_id,
reply_count, last_reply_at}`), and every timeline page read that collection after the
messages. Now the projection writes `thread: {reply_count, last_reply_at}` on the parent
message, so the page reads both in its one query on the (chat_id, parent_id, created_at, _id)
index; no new index is needed. `apply` copies the stored stats over; `down` copies them back
(the older versions read only `message_threads`). Both are idempotent, one batch at a time.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import UpdateOne

from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.names import MESSAGE_THREADS, MESSAGES

_BATCH = 500


async def _copy(database: MongoDatabase, source: str, target: str, query: Document) -> None:
    """Copy stats from `source` to `target` in batches by `_id` (no cursor left open)."""
    after: str | None = None
    while True:
        page_query = query if after is None else query | {"_id": {"$gt": after}}
        with database.operation(source, "find"):
            page = (
                await database.collection(source)
                .find(page_query)
                .sort("_id", 1)
                .limit(_BATCH)
                .to_list()
            )
        if not page:
            return
        updates = [_update(target, document) for document in page]
        with database.operation(target, "update"):
            await database.collection(target).bulk_write(updates, ordered=False)
        after = page[-1]["_id"]


def _update(target: str, document: Document) -> UpdateOne:
    if target == MESSAGES:
        stats = {"reply_count": document["reply_count"], "last_reply_at": document["last_reply_at"]}
        return UpdateOne({"_id": document["_id"]}, {"$set": {"thread": stats}})
    thread = document["thread"]
    fields = {
        "chat_id": document["chat_id"],
        "reply_count": thread["reply_count"],
        "last_reply_at": thread["last_reply_at"],
    }
    return UpdateOne({"_id": document["_id"]}, {"$set": fields}, upsert=True)


async def move_thread_stats(database: MongoDatabase, now: datetime) -> None:
    await _copy(database, MESSAGE_THREADS, MESSAGES, {})


async def copy_thread_stats_back(database: MongoDatabase, now: datetime) -> None:
    await _copy(database, MESSAGES, MESSAGE_THREADS, {"thread": {"$exists": True}})


MIGRATION = Migration(
    version="0006",
    name="thread stats on the parent message",
    definition={
        "copy": {"from": MESSAGE_THREADS, "to": f"{MESSAGES}.thread"},
        "indexes": "none (served by messages (chat_id, parent_id, created_at, _id))",
    },
    apply=move_thread_stats,
    revert=copy_thread_stats_back,
)
