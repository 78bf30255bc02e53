"""0005: the reaction work list replaces the journal's delivery markers (design §2.6).

- new collection `reaction_work`: one document per commit that still owes reactions, found by
  the (parked, due_at) index; it holds only unfinished work, so the sweep costs what is pending;
- every commit the old markers still called unpublished, unprojected or undispatched gets a
  task owing every reaction (they are idempotent, so doing one twice is harmless);
- the marker indexes of `commits` go: nothing queries them any more, and each cost every insert.

`down` drops the collection and restores the marker indexes; the markers of commits recorded
meanwhile stay null, so the older relay would publish those again (consumers deduplicate).
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.errors import CollectionInvalid, OperationFailure

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.names import COMMITS, REACTION_WORK
from flowra_core.app.delivery.table import REACTION_NAMES

_INDEX_NOT_FOUND = 27
DUE_INDEX = IndexModel([("parked", ASCENDING), ("due_at", ASCENDING)], name="parked_1_due_at_1")
_MARKER_INDEXES = (
    [("published_at", ASCENDING), ("next_attempt_at", ASCENDING), ("recorded_at", ASCENDING)],
    [("projected_at", ASCENDING), ("recorded_at", ASCENDING)],
    [("dispatched_at", ASCENDING), ("recorded_at", ASCENDING)],
)
# What the commits' marker indexes are called (m0001 created them; this drops them).
RETIRED_COMMIT_INDEXES = frozenset(
    "_".join(f"{key}_{direction}" for key, direction in keys) for keys in _MARKER_INDEXES
)
_UNFINISHED = {"$or": [{"published_at": None}, {"projected_at": None}, {"dispatched_at": None}]}


def _name(keys: list[tuple[str, int]]) -> str:
    return "_".join(f"{key}_{direction}" for key, direction in keys)


async def create_reaction_work(database: MongoDatabase, now: datetime) -> None:
    """Idempotent: an existing collection, index or task is left as it is."""
    with database.operation("*", "list_collections"):
        existing = set(await database.raw.list_collection_names())
    work = database.collection(REACTION_WORK)
    with database.operation(REACTION_WORK, "create_collection"):
        if REACTION_WORK not in existing:
            with contextlib.suppress(CollectionInvalid):
                await database.raw.create_collection(REACTION_WORK)
        await work.create_indexes([DUE_INDEX])
    commits = database.collection(COMMITS)
    with database.operation(COMMITS, "find"):
        unfinished = await commits.find(
            _UNFINISHED, {"aggregate_id": 1, "recorded_at": 1}
        ).to_list()
    for commit in unfinished:
        task = {
            "aggregate_id": commit.get("aggregate_id", ""),
            "remaining": list(REACTION_NAMES),
            "attempts": 0,
            "due_at": now,
            "created_at": commit.get("recorded_at", now),
            "parked": False,
            "last_error": None,
        }
        with database.operation(REACTION_WORK, "update"):
            await work.update_one({"_id": commit["_id"]}, {"$setOnInsert": task}, upsert=True)
    with database.operation(COMMITS, "drop_index"):
        for keys in _MARKER_INDEXES:
            try:
                await commits.drop_index(_name(keys))
            except OperationFailure as error:
                if error.code != _INDEX_NOT_FOUND:
                    raise


async def drop_reaction_work(database: MongoDatabase, now: datetime) -> None:
    with database.operation(REACTION_WORK, "drop"):
        await database.raw.drop_collection(REACTION_WORK)
    with database.operation(COMMITS, "create_index"):
        await database.collection(COMMITS).create_indexes(
            [IndexModel(keys, name=_name(keys)) for keys in _MARKER_INDEXES]
        )


MIGRATION = Migration(
    version="0005",
    name="reaction work list",
    definition={
        "collections": {REACTION_WORK: [{"keys": ["parked", "due_at"]}]},
        "dropped_indexes": {COMMITS: sorted(RETIRED_COMMIT_INDEXES)},
        "backfill": "a task owing every reaction for each commit not published, projected or "
        "dispatched",
    },
    apply=create_reaction_work,
    revert=drop_reaction_work,
)
