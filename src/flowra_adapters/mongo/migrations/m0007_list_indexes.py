"""0007: indexes for the lists the index audit found unserved on MongoDB (issue 13, goal 4):

- `users`: the directory in username order, `(username_lower, _id)`;
- `workspaces`: every live workspace by name, `(deleted_at, name_lower, _id)`, and a member's
  workspaces by name, `(members.user_id, deleted_at, name_lower, _id)`;
- `files`: the clean-up of uploads never attached, oldest first,
  `(message_id, created_at, _id)`.

`down` drops them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.errors import OperationFailure

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.names import FILES, USERS, WORKSPACES

_INDEX_NOT_FOUND = 27
INDEXES: dict[str, list[list[str]]] = {
    USERS: [["username_lower", "_id"]],
    WORKSPACES: [
        ["deleted_at", "name_lower", "_id"],
        ["members.user_id", "deleted_at", "name_lower", "_id"],
    ],
    FILES: [["message_id", "created_at", "_id"]],
}


def _name(keys: list[str]) -> str:
    return "_".join(f"{key}_1" for key in keys)


async def create_list_indexes(database: MongoDatabase, now: datetime) -> None:
    """Idempotent: identical indexes are left as they are."""
    for collection, indexes in INDEXES.items():
        models = [IndexModel([(key, 1) for key in keys], name=_name(keys)) for keys in indexes]
        with database.operation(collection, "create_index"):
            await database.collection(collection).create_indexes(models)


async def drop_list_indexes(database: MongoDatabase, now: datetime) -> None:
    for collection, indexes in INDEXES.items():
        with database.operation(collection, "drop_index"):
            for keys in indexes:
                try:
                    await database.collection(collection).drop_index(_name(keys))
                except OperationFailure as error:
                    if error.code != _INDEX_NOT_FOUND:
                        raise


def _definition() -> dict[str, Any]:
    return {
        "collections": {
            collection: [{"keys": keys} for keys in indexes]
            for collection, indexes in INDEXES.items()
        }
    }


MIGRATION = Migration(
    version="0007",
    name="list indexes",
    definition=_definition(),
    apply=create_list_indexes,
    revert=drop_list_indexes,
)
