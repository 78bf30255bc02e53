"""0003: the read models of messages, inboxes, search and read markers, and the indexes that
serve every list page from an index range in its own order (O(page), deep cursors included).

- `chats`: one index per sort order of the chat list and the task board, each led by
  (workspace_id, deleted_at) and ending in `_id` with the order's directions (a mixed-direction
  sort needs an index with exactly those directions, or all of them inverted);
- `commits`: the journal order, which `rebuild-projections` walks;
- `notifications`: the inbox order (user_id, created_at, _id);
- `search_entries`: the multikey (workspace_id, tokens) of the word prefixes, newest first per
  workspace, and chat_id for a deleted chat's entries;
- new collections `inboxes`, `message_threads`, `read_markers`, `search_entries`,
  `summary_drafts` (looked up by `_id` unless listed above).

`down` drops these indexes; collections and their documents are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import CollectionInvalid, OperationFailure

from flowra_adapters.mongo import names
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration

_INDEX_NOT_FOUND = 27
_NAMESPACE_NOT_FOUND = 26


@dataclass(frozen=True, slots=True)
class DirectedIndex:
    keys: tuple[tuple[str, int], ...]  # (field, ASCENDING | DESCENDING), in order

    @property
    def name(self) -> str:
        return "_".join(f"{field}_{direction}" for field, direction in self.keys)

    def model(self) -> IndexModel:
        return IndexModel(list(self.keys), name=self.name)


def _index(*keys: str) -> DirectedIndex:
    """`"-field"` descending, `"field"` ascending."""
    return DirectedIndex(
        tuple((key[1:], DESCENDING) if key.startswith("-") else (key, ASCENDING) for key in keys)
    )


_LIVE_IN_WORKSPACE = ("workspace_id", "deleted_at")

COLLECTIONS: Mapping[str, tuple[DirectedIndex, ...]] = {
    names.COMMITS: (_index("recorded_at", "base_version", "_id"),),
    names.CHATS: (
        # chat list: last activity, newest; tasks: created either way
        _index(*_LIVE_IN_WORKSPACE, "-sort_activity", "-_id"),
        _index(*_LIVE_IN_WORKSPACE, "-sort_created", "-_id"),
        # chat list and tasks by title, either way
        _index(*_LIVE_IN_WORKSPACE, "title_lower", "_id"),
        # the board: priority, due date (missing last), newest
        _index(
            *_LIVE_IN_WORKSPACE,
            "-sort_priority_rank",
            "sort_due_missing",
            "sort_due",
            "-sort_created",
            "_id",
        ),
        _index(*_LIVE_IN_WORKSPACE, "sort_updated", "_id"),
        _index(*_LIVE_IN_WORKSPACE, "sort_due_missing", "sort_due", "_id"),
        _index(*_LIVE_IN_WORKSPACE, "sort_due_missing", "-sort_due", "-_id"),
        _index(*_LIVE_IN_WORKSPACE, "sort_priority_missing", "sort_priority_rank", "_id"),
        _index(*_LIVE_IN_WORKSPACE, "sort_priority_missing", "-sort_priority_rank", "-_id"),
    ),
    names.NOTIFICATIONS: (_index("user_id", "created_at", "_id"),),
    names.SEARCH_ENTRIES: (
        _index("workspace_id", "tokens"),
        _index("workspace_id", "created_at", "_id"),
        _index("chat_id"),
    ),
    names.INBOXES: (),
    names.MESSAGE_THREADS: (),
    names.READ_MARKERS: (),
    names.SUMMARY_DRAFTS: (),
}


async def create_read_models(database: MongoDatabase, now: datetime) -> None:
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


async def drop_read_model_indexes(database: MongoDatabase, now: datetime) -> None:
    for name, indexes in COLLECTIONS.items():
        with database.operation(name, "drop_index"):
            for index in indexes:
                try:
                    await database.collection(name).drop_index(index.name)
                except OperationFailure as error:
                    if error.code not in (_INDEX_NOT_FOUND, _NAMESPACE_NOT_FOUND):
                        raise


MIGRATION = Migration(
    version="0003",
    name="read models and page indexes",
    definition={
        "collections": {
            name: [{"keys": [list(key) for key in index.keys]} for index in indexes]
            for name, indexes in COLLECTIONS.items()
        }
    },
    apply=create_read_models,
    revert=drop_read_model_indexes,
)
