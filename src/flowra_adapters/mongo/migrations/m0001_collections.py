"""0001: every collection of operations.md §6 with its indexes, plus the indexes the adapters'
look-ups need (`username_lower`, `name_lower`, `members.user_id`, `invites.token_hash`, and
(aggregate_id, events.version) for reading a stream's newer events).

Only plain and unique (compound, multikey) indexes: FerretDB has no TTL, partial or text
indexes and the adapters need none. `down` drops these indexes; collections and their
documents are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pymongo import IndexModel
from pymongo.errors import CollectionInvalid, OperationFailure

from flowra_adapters.mongo import names
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration

_INDEX_NOT_FOUND = 27


@dataclass(frozen=True, slots=True)
class IndexSpec:
    keys: tuple[str, ...]  # ascending fields, in order
    unique: bool = False

    @property
    def name(self) -> str:
        return "_".join(f"{key}_1" for key in self.keys)

    def model(self) -> IndexModel:
        return IndexModel([(key, 1) for key in self.keys], name=self.name, unique=self.unique)


def _plain(*keys: str) -> IndexSpec:
    return IndexSpec(keys)


def _unique(*keys: str) -> IndexSpec:
    return IndexSpec(keys, unique=True)


COLLECTIONS: Mapping[str, tuple[IndexSpec, ...]] = {
    names.COMMITS: (
        _unique("aggregate_id", "base_version"),
        _plain("aggregate_id", "events.version"),
        _plain("published_at", "next_attempt_at", "recorded_at"),
        _plain("projected_at", "recorded_at"),
        _plain("dispatched_at", "recorded_at"),
        _plain("chat_id", "recorded_at"),
        _plain("workspace_id", "recorded_at"),
        _plain("events.event_id"),
    ),
    names.USERS: (
        _unique("external_id"),
        _unique("username_lower"),
        _plain("email"),
    ),
    names.WORKSPACES: (
        _plain("deleted_at", "name"),
        _plain("deleted_at", "name_lower"),
        _plain("members.user_id"),
        _plain("invites.token_hash"),
    ),
    names.MEMBERS: (
        _unique("workspace_id", "user_id"),
        _plain("user_id", "workspace_id"),
        _plain("workspace_id", "joined_at"),
    ),
    names.INVITES: (
        _unique("token"),
        _plain("workspace_id", "created_at"),
    ),
    names.INVITE_TOKENS: (),
    names.CHATS: (
        _plain("workspace_id", "deleted_at", "last_activity_at"),
        _plain("workspace_id", "type", "category", "deleted_at"),
        _plain("workspace_id", "assignee_id", "status"),
        _plain("participant_ids"),
        _plain("workspace_id", "created_at"),
    ),
    names.MESSAGES: (
        _plain("chat_id", "parent_id", "created_at", "_id"),
        _plain("workspace_id", "created_at"),
        _plain("author_id", "created_at"),
    ),
    names.NOTIFICATIONS: (
        _unique("user_id", "source_event_id", "type"),
        _plain("user_id", "created_at"),
        _plain("user_id", "read_at"),
    ),
    names.FILES: (
        _plain("chat_id", "created_at"),
        _plain("message_id"),
    ),
    names.REPAIR_QUEUE: (
        _plain("status", "next_attempt_at"),
        _plain("aggregate_type", "aggregate_id"),
    ),
    names.LOCKS: (),
    names.MIGRATIONS: (),
}


async def create_collections_and_indexes(database: MongoDatabase, now: datetime) -> None:
    """Idempotent: existing collections and identical indexes are left as they are."""
    with database.operation("*", "list_collections"):
        existing = set(await database.raw.list_collection_names())
    for name, indexes in COLLECTIONS.items():
        with database.operation(name, "create_collection"):
            if name not in existing:
                # CollectionInvalid: created meanwhile by another process, as wanted.
                with contextlib.suppress(CollectionInvalid):
                    await database.raw.create_collection(name)
            if indexes:
                await database.collection(name).create_indexes([i.model() for i in indexes])


async def drop_indexes(database: MongoDatabase, now: datetime) -> None:
    for name, indexes in COLLECTIONS.items():
        with database.operation(name, "drop_index"):
            for index in indexes:
                try:
                    await database.collection(name).drop_index(index.name)
                except OperationFailure as error:
                    if error.code != _INDEX_NOT_FOUND:
                        raise


MIGRATION = Migration(
    version="0001",
    name="create collections and indexes",
    definition={
        "collections": {
            name: [{"keys": list(i.keys), "unique": i.unique} for i in indexes]
            for name, indexes in COLLECTIONS.items()
        }
    },
    apply=create_collections_and_indexes,
    revert=drop_indexes,
)
