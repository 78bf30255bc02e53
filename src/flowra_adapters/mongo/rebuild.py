"""The storage side of `flowra-migrator rebuild-projections`: which documents a rebuild drops,
and the commits it replays, in journal order.

A projection is every document derived from the journal: the state documents (`users`,
`workspaces`, `chats`, `messages` with the thread stats on their parents, `inboxes`) and the
secondary read models (`notifications`, `search_entries`; `message_threads`, no longer written
since migration 0008, is emptied with the messages). A state document at version 0 was
written without events (Flowra Bot, by migration 0002) and is kept. Uploads, read markers,
summary drafts and invite tokens are written directly, not derived, and are never touched.

A scope narrows the rebuild to one aggregate type or one aggregate. Chats and messages project
into each other's documents (a chat's `last_message_at`; a deleted chat removes its messages
from the search index), so the chat and message types are rebuilt together, and one chat's
rebuild takes in its messages. One message's rebuild keeps its search tombstone: whether its
chat was deleted is the chat's to say; it replays its replies too (which rewrite nothing but
its thread stats), since those stats live on its document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from pymongo import ASCENDING

from flowra_adapters.mongo import names
from flowra_adapters.mongo.codec import commit_from_document
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.migrations import MigrationError
from flowra_adapters.mongo.queries import combine, keyset_after
from flowra_core.app.notifications.inbox import INBOX_STREAM_PREFIX
from flowra_core.domain.events import AggregateType
from flowra_core.ports.event_store import Commit

JOURNAL_ORDER = [("recorded_at", ASCENDING), ("base_version", ASCENDING), ("_id", ASCENDING)]
_BATCH = 500
# Documents written without events: not projections.
_FROM_EVENTS: Document = {"version": {"$ne": 0}}

Clearing = Mapping[str, Document]
"""collection → the filter of the documents a rebuild deletes there."""

_CHATS_AND_MESSAGES: tuple[Clearing, tuple[AggregateType, ...]] = (
    {names.CHATS: {}, names.MESSAGES: {}, names.MESSAGE_THREADS: {}, names.SEARCH_ENTRIES: {}},
    (AggregateType.CHAT, AggregateType.MESSAGE),
)
_BY_TYPE: Mapping[AggregateType, tuple[Clearing, tuple[AggregateType, ...]]] = {
    AggregateType.USER: ({names.USERS: _FROM_EVENTS}, (AggregateType.USER,)),
    AggregateType.WORKSPACE: ({names.WORKSPACES: {}}, (AggregateType.WORKSPACE,)),
    AggregateType.CHAT: _CHATS_AND_MESSAGES,
    AggregateType.MESSAGE: _CHATS_AND_MESSAGES,
    AggregateType.NOTIFICATION: (
        {names.INBOXES: {}, names.NOTIFICATIONS: {}},
        (AggregateType.NOTIFICATION,),
    ),
}


class UnknownAggregateError(MigrationError):
    def __init__(self, aggregate_id: str, aggregate_type: AggregateType | None) -> None:
        kind = "" if aggregate_type is None else f"{aggregate_type.value} "
        super().__init__(f"the journal has no commits of {kind}aggregate {aggregate_id!r}")


@dataclass(frozen=True, slots=True)
class RebuildScope:
    """What a rebuild covers: the documents it deletes and the commits it replays."""

    clearing: Clearing
    commits: Document
    label: str


def everything() -> RebuildScope:
    clearing: Clearing = {
        names.USERS: _FROM_EVENTS,
        names.WORKSPACES: {},
        names.CHATS: {},
        names.MESSAGES: {},
        names.MESSAGE_THREADS: {},
        names.SEARCH_ENTRIES: {},
        names.INBOXES: {},
        names.NOTIFICATIONS: {},
    }
    return RebuildScope(clearing, {}, "every projection")


def of_type(aggregate_type: AggregateType) -> RebuildScope:
    clearing, replayed = _BY_TYPE[aggregate_type]
    commits = {"aggregate_type": {"$in": [replayed_type.value for replayed_type in replayed]}}
    label = " and ".join(replayed_type.value for replayed_type in replayed)
    return RebuildScope(clearing, commits, f"{label} projections")


async def of_aggregate(
    database: MongoDatabase, aggregate_id: str, aggregate_type: AggregateType | None
) -> RebuildScope:
    """One aggregate's projections; UnknownAggregateError when the journal has no commit of
    it (of that type, when given). Inbox streams are named `inbox:<user id>`."""
    query: Document = {"aggregate_id": aggregate_id}
    if aggregate_type is not None:
        query["aggregate_type"] = aggregate_type.value
    with database.operation(names.COMMITS, "find"):
        found = await database.collection(names.COMMITS).find_one(query, {"aggregate_type": 1})
    if found is None:
        raise UnknownAggregateError(aggregate_id, aggregate_type)
    found_type = AggregateType(found["aggregate_type"])
    label = f"{found_type.value} {aggregate_id}"
    if found_type is AggregateType.CHAT:
        return await _chat_scope(database, aggregate_id, label)
    by_id: Document = {"_id": aggregate_id}
    commits: Document = {"aggregate_id": aggregate_id}
    if found_type is AggregateType.MESSAGE:
        replies = {
            "aggregate_type": AggregateType.MESSAGE.value,
            "events.data.parent_id": aggregate_id,
        }
        commits = {"$or": [commits, replies]}
    clearing: Clearing = {
        AggregateType.USER: {names.USERS: by_id | _FROM_EVENTS},
        AggregateType.WORKSPACE: {names.WORKSPACES: by_id},
        AggregateType.MESSAGE: {
            names.MESSAGES: by_id,
            names.SEARCH_ENTRIES: by_id | {"removed": False},
        },
        AggregateType.NOTIFICATION: {
            names.INBOXES: {"_id": aggregate_id.removeprefix(INBOX_STREAM_PREFIX)},
            names.NOTIFICATIONS: {"user_id": aggregate_id.removeprefix(INBOX_STREAM_PREFIX)},
        },
    }[found_type]
    return RebuildScope(clearing, commits, label)


async def _chat_scope(database: MongoDatabase, chat_id: str, label: str) -> RebuildScope:
    commits: Document = {
        "chat_id": chat_id,
        "aggregate_type": {"$in": [AggregateType.CHAT.value, AggregateType.MESSAGE.value]},
    }
    message_commits = {"chat_id": chat_id, "aggregate_type": AggregateType.MESSAGE.value}
    with database.operation(names.COMMITS, "find"):
        found = database.collection(names.COMMITS).find(message_commits, {"aggregate_id": 1})
        message_ids = sorted({document["aggregate_id"] async for document in found})
    in_chat: Document = {"chat_id": chat_id}
    clearing: Clearing = {
        names.CHATS: {"_id": chat_id},
        names.MESSAGES: in_chat,
        names.MESSAGE_THREADS: in_chat,
        # Tombstones of messages removed before they were indexed carry no chat id.
        names.SEARCH_ENTRIES: {"$or": [in_chat, {"_id": {"$in": message_ids}}]},
    }
    return RebuildScope(clearing, commits, label)


async def clear(database: MongoDatabase, scope: RebuildScope) -> dict[str, int]:
    """Delete the scope's projection documents; how many went, per collection."""
    deleted: dict[str, int] = {}
    for collection, query in scope.clearing.items():
        with database.operation(collection, "delete"):
            result = await database.collection(collection).delete_many(query)
        deleted[collection] = result.deleted_count
    return deleted


async def count_commits(database: MongoDatabase, scope: RebuildScope) -> int:
    with database.operation(names.COMMITS, "count"):
        return await database.collection(names.COMMITS).count_documents(scope.commits)


@dataclass(frozen=True, slots=True)
class JournalCommit:
    commit: Commit


async def commits_in_journal_order(
    database: MongoDatabase, scope: RebuildScope
) -> AsyncIterator[JournalCommit]:
    """The scope's commits by (recorded_at, base_version, _id), read a page at a time (no
    cursor stays open while the caller works)."""
    commits = database.collection(names.COMMITS)
    after: tuple[object, ...] | None = None
    while True:
        query = combine(scope.commits, keyset_after(JOURNAL_ORDER, after))
        with database.operation(names.COMMITS, "find"):
            page = await commits.find(query).sort(JOURNAL_ORDER).limit(_BATCH).to_list()
        for document in page:
            yield JournalCommit(commit_from_document(document))
        if len(page) < _BATCH:
            return
        last = page[-1]
        after = (last["recorded_at"], last["base_version"], last["_id"])
