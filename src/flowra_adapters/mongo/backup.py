"""The database side of `flowra-migrator export` / `import`: the collections that are not
derived from the journal, written and read as JSON Lines of MongoDB Extended JSON (canonical,
so dates, integers and binaries come back with their exact BSON types), on any server that
speaks the MongoDB wire protocol (MongoDB, FerretDB, …) — nothing server-specific is used.

Everything else (workspaces, chats, messages, notifications, search entries, …) is rebuilt
from the journal after an import, by the code of `rebuild-projections`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, JSONOptions

from flowra_adapters.mongo import names
from flowra_adapters.mongo.database import Document, MongoDatabase

# The journal last: whatever the other collections refer to was committed before it is read.
EXPORTED_COLLECTIONS: tuple[str, ...] = (
    names.USERS,
    names.FILES,
    names.READ_MARKERS,
    names.SUMMARY_DRAFTS,
    names.INVITE_TOKENS,
    names.API_TOKENS,
    names.BOTS,
    names.AUDIT_LOG,
    names.WEBHOOK_ENDPOINTS,
    names.WEBHOOK_DELIVERIES,  # pending ones are work not yet done: never dropped
    names.COMMITS,
)
# Written by the migrations themselves, not data: an import target may hold these.
_MIGRATION_BOOKKEEPING = frozenset({names.MIGRATIONS, names.LOCKS})
_BATCH = 500
JSON_OPTIONS: JSONOptions = CANONICAL_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=UTC)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DumpedCollection:
    count: int
    sha256: str


async def dump_collection(
    database: MongoDatabase, name: str, path: Path, progress: Progress
) -> DumpedCollection:
    """Every document of `name`, in `_id` order, one Extended JSON line each."""
    collection = database.collection(name)
    digest = hashlib.sha256()
    with database.operation(name, "count"):
        total = await collection.count_documents({})
    progress(0, total)
    count = 0
    with path.open("wb") as out, database.operation(name, "export"):
        async for document in collection.find({}).sort("_id", 1).batch_size(_BATCH):
            line = json_util.dumps(document, json_options=JSON_OPTIONS).encode() + b"\n"
            out.write(line)
            digest.update(line)
            count += 1
            if count % _BATCH == 0:
                progress(count, max(total, count))
    progress(count, max(total, count))
    return DumpedCollection(count, digest.hexdigest())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def load_collection(
    database: MongoDatabase, name: str, path: Path, progress: Progress, total: int
) -> int:
    """Replace what the migrations put in `name` (Flowra Bot in `users`) by the file's
    documents, inserted in batches."""
    collection = database.collection(name)
    with database.operation(name, "import"):
        await collection.delete_many({})
    batch: list[Document] = []
    loaded = 0
    progress(0, total)
    with path.open("rb") as source:
        for line in source:
            batch.append(json_util.loads(line, json_options=JSON_OPTIONS))
            if len(batch) == _BATCH:
                loaded += await _insert(database, name, batch)
                progress(loaded, total)
                batch = []
    if batch:
        loaded += await _insert(database, name, batch)
    progress(loaded, total)
    return loaded


async def _insert(database: MongoDatabase, name: str, batch: list[Document]) -> int:
    with database.operation(name, "import"):
        await database.collection(name).insert_many(batch, ordered=True)
    return len(batch)


async def data_collections(database: MongoDatabase) -> list[str]:
    """The collections that hold data: anything but migration bookkeeping and the documents
    the migrations write (Flowra Bot, a `users` document at version 0)."""
    with database.operation("*", "list_collections"):
        present = sorted(await database.raw.list_collection_names())
    holding: list[str] = []
    for name in present:
        if name in _MIGRATION_BOOKKEEPING:
            continue
        query: Document = {"version": {"$ne": 0}} if name == names.USERS else {}
        with database.operation(name, "find"):
            if await database.collection(name).find_one(query, {"_id": 1}) is not None:
                holding.append(name)
    return holding
