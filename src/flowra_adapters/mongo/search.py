"""The search token index (`search_entries`): one document per SearchEntry, `_id` = its id,
with `tokens` (the folded words of its text) under the multikey (workspace_id, tokens) index,
and `removed`.

A query asks, per word, for a token matching the anchored regex `^word`: a prefix range of the
index. The words are combined with `$and`, which MongoDB treats as `$all` (one index range,
the other words checked on the hits); FerretDB's `$all` matches no regex, so `$all` itself is
not used. A removed entry stays as a tombstone (`removed: true`, no text or tokens) keeping
its version, so no older write brings it back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Final

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import SEARCH_ENTRIES
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_core.ports.search import SearchEntry, SearchQuery

_NEWEST_FIRST: SortSpec = [("created_at", DESCENDING), ("_id", DESCENDING)]
_REMOVED: Final[Document] = {"removed": True, "text": "", "tokens": []}


def _starts_a_token(word: str) -> Document:
    # The `$regex` string form: FerretDB refuses the `u` flag a compiled pattern carries.
    return {"tokens": {"$regex": f"^{re.escape(word)}"}}


def _entry(document: Document) -> SearchEntry:
    fields = {key: value for key, value in document.items() if key not in ("_id", "removed")}
    return convert(
        fields | {"id": document["_id"]}, SearchEntry, what=f"search entry {document['_id']!r}"
    )


class MongoSearchIndex:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._entries = database.collection(SEARCH_ENTRIES)

    async def put(self, entry: SearchEntry) -> None:
        fields: Document = to_document_fields(entry)
        entry_id = fields.pop("id")
        if entry.version == 1:
            # A new message's entry: a plain insert (the conditional upsert below costs a
            # collection scan on FerretDB when nothing matches yet); an entry already there
            # makes it clash, and the conditional path decides.
            with self._db.operation(SEARCH_ENTRIES, "insert"):
                try:
                    await self._entries.insert_one({"_id": entry_id, **fields, "removed": False})
                    return
                except DuplicateKeyError:
                    pass
        older = {"_id": entry_id, "removed": False, "version": {"$lt": entry.version}}
        # A newer, equal or removed entry makes the insert clash on `_id`: it stays.
        with self._db.operation(SEARCH_ENTRIES, "save"), contextlib.suppress(DuplicateKeyError):
            await self._entries.update_one(
                older, {"$set": fields | {"removed": False}}, upsert=True
            )

    async def revise(
        self, entry_id: str, *, text: str, tokens: Sequence[str], version: int
    ) -> None:
        older = {"_id": entry_id, "removed": False, "version": {"$lt": version}}
        revision = {"text": text, "tokens": list(tokens), "version": version}
        with self._db.operation(SEARCH_ENTRIES, "update"):
            await self._entries.update_one(older, {"$set": revision})

    async def remove(self, entry_id: str, *, version: int) -> None:
        removable = {
            "_id": entry_id,
            "$or": [{"removed": True}, {"version": {"$lt": version}}],
        }
        # A live entry at this version or newer makes the insert clash: it stays.
        with self._db.operation(SEARCH_ENTRIES, "remove"), contextlib.suppress(DuplicateKeyError):
            await self._entries.update_one(
                removable, {"$set": _REMOVED, "$max": {"version": version}}, upsert=True
            )

    async def remove_chat(self, chat_id: str) -> None:
        with self._db.operation(SEARCH_ENTRIES, "remove"):
            live = {"chat_id": chat_id, "removed": False}
            await self._entries.update_many(live, {"$set": _REMOVED})

    async def search(self, query: SearchQuery) -> Sequence[SearchEntry]:
        if query.limit <= 0:
            return []
        scope: Document = {
            "workspace_id": query.workspace_id,
            "removed": False,
            "kind": {"$in": sorted(kind.value for kind in query.kinds)},
            "chat_id": {"$in": sorted(set(query.chat_ids))},
        }
        words = [_starts_a_token(word) for word in dict.fromkeys(query.words)]
        found = combine(scope, *words, keyset_after(_NEWEST_FIRST, query.before))
        with self._db.operation(SEARCH_ENTRIES, "find"):
            cursor = self._entries.find(found).sort(_NEWEST_FIRST).limit(query.limit)
            documents = await cursor.to_list()
        return [_entry(document) for document in documents]
