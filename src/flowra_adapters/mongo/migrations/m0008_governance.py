"""0008: the collections of API tokens, bots, the audit log and webhooks, with the indexes that
serve every query their adapters make:

- `api_tokens`: by `_id` per request; a user's tokens newest first (user_id, -created_at, -_id);
- `bots`: by `_id`; a workspace's bots oldest first (workspace_id, created_at, _id);
- `audit_log`: a workspace's entries newest first, alone or filtered by actor or action (each
  filter its own index, the time range inside it); the same three across every workspace for
  system admins; `-at` also serves the retention sweep's range delete;
- `webhook_endpoints`: a workspace's live endpoints (workspace_id, deleted);
- `webhook_deliveries`: the due work (status, next_attempt_at, position), the earlier pending
  delivery of a chat (endpoint_id, order_key, status, position), an endpoint's log newest first
  (endpoint_id, -created_at, -_id), the retention of delivered ones (status, created_at).

`down` drops these indexes; collections and their documents are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import CollectionInvalid, OperationFailure

from flowra_adapters.mongo import names
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.m0003_read_models import DirectedIndex
from flowra_adapters.mongo.migrations.model import Migration

_INDEX_NOT_FOUND = 27
_NAMESPACE_NOT_FOUND = 26


def _index(*keys: str) -> DirectedIndex:
    return DirectedIndex(
        tuple((key[1:], DESCENDING) if key.startswith("-") else (key, ASCENDING) for key in keys)
    )


COLLECTIONS: Mapping[str, tuple[DirectedIndex, ...]] = {
    names.API_TOKENS: (_index("user_id", "-created_at", "-_id"),),
    names.BOTS: (_index("workspace_id", "created_at", "_id"),),
    names.AUDIT_LOG: (
        _index("workspace_id", "-at", "-_id"),
        _index("workspace_id", "actor_id", "-at", "-_id"),
        _index("workspace_id", "action", "-at", "-_id"),
        _index("-at", "-_id"),
        _index("actor_id", "-at", "-_id"),
        _index("action", "-at", "-_id"),
    ),
    names.WEBHOOK_ENDPOINTS: (_index("workspace_id", "deleted"),),
    names.WEBHOOK_DELIVERIES: (
        _index("status", "next_attempt_at", "position"),
        _index("endpoint_id", "order_key", "status", "position"),
        _index("endpoint_id", "-created_at", "-_id"),
        _index("status", "created_at"),
    ),
}


async def create_governance_collections(database: MongoDatabase, now: datetime) -> None:
    """Idempotent: existing collections and identical indexes are left as they are."""
    with database.operation("*", "list_collections"):
        existing = set(await database.raw.list_collection_names())
    for name, indexes in COLLECTIONS.items():
        with database.operation(name, "create_collection"):
            if name not in existing:
                with contextlib.suppress(CollectionInvalid):  # created meanwhile: as wanted
                    await database.raw.create_collection(name)
            await database.collection(name).create_indexes([i.model() for i in indexes])


async def drop_governance_indexes(database: MongoDatabase, now: datetime) -> None:
    for name, indexes in COLLECTIONS.items():
        with database.operation(name, "drop_index"):
            for index in indexes:
                try:
                    await database.collection(name).drop_index(index.name)
                except OperationFailure as error:
                    if error.code not in (_INDEX_NOT_FOUND, _NAMESPACE_NOT_FOUND):
                        raise


MIGRATION = Migration(
    version="0008",
    name="api tokens, bots, audit log, webhooks",
    definition={
        "collections": {
            name: [{"keys": [list(key) for key in index.keys]} for index in indexes]
            for name, indexes in COLLECTIONS.items()
        }
    },
    apply=create_governance_collections,
    revert=drop_governance_indexes,
)
