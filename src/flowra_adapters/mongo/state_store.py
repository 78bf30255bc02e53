"""State documents (`users`, `workspaces`, `chats`, …): one document per aggregate, `_id` = its
id, with the aggregate `version` it reflects. A save never moves a document backwards."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Generic

from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import state_from_document, state_to_document
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.queries import SortSpec
from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.ports.state_store import S

# A lost insert race is settled by the second attempt; a third covers one more racing writer.
_SAVE_ATTEMPTS = 3


class MongoStateStore(Generic[S]):
    """A generic StateStore; subclasses add look-ups and the derived fields they query."""

    def __init__(self, database: MongoDatabase, collection: str, state_type: type[S]) -> None:
        self._db = database
        self._name = collection
        self._collection = database.collection(collection)
        self._state_type = state_type

    async def get(self, aggregate_id: str) -> S | None:
        with self._db.operation(self._name, "find"):
            document = await self._collection.find_one({"_id": aggregate_id})
        if document is None or not _holds_state(document):
            return None
        return self._decode(document)

    async def save(self, state: S) -> None:
        """One conditional upsert: the stored document moves only forward."""
        update = self._update(state)
        state_id = self._state_id(state)
        older_or_absent = {
            "_id": state_id,
            "$or": [{"version": {"$lt": state.version}}, {"version": {"$exists": False}}],
        }
        newer = {"_id": state_id, "version": {"$gte": state.version}}
        with self._db.operation(self._name, "save"):
            for _ in range(_SAVE_ATTEMPTS):
                try:
                    await self._collection.update_one(older_or_absent, update, upsert=True)
                    return
                except DuplicateKeyError as error:
                    # The filter missed and the insert clashed: the stored version is the same
                    # or newer (nothing to do), or another writer's first insert won a race
                    # (update it on the next attempt), or another document holds one of this
                    # state's unique values (a conflict once the attempts are spent).
                    if await self._collection.find_one(newer, {"_id": 1}) is not None:
                        return
                    clash = error
            raise ConcurrencyConflict(state_id, state.version) from clash

    def _state_id(self, state: S) -> str:
        return str(state_to_document(state)["_id"])

    def _update(self, state: S) -> Document:
        """The update a save applies (subclasses add operators beside `$set`)."""
        fields = self._encode(state)
        del fields["_id"]
        return {"$set": fields}

    def _encode(self, state: S) -> Document:
        """The stored document: the state's fields plus the derived ones (see `_decode`)."""
        return state_to_document(state) | self._derived_fields(state)

    def _derived_fields(self, state: S) -> Document:
        """Fields stored beside the state for indexes and queries (never read back)."""
        return {}

    def _decode(self, document: Document) -> S:
        return state_from_document(document, self._state_type)

    async def _find(
        self, query: Document, *, sort: SortSpec | None = None, limit: int | None = None
    ) -> list[S]:
        if limit is not None and limit <= 0:
            return []
        with self._db.operation(self._name, "find"):
            cursor = self._collection.find(query)
            if sort is not None:
                cursor = cursor.sort(sort)
            if limit is not None:
                cursor = cursor.limit(limit)
            documents = await cursor.to_list()
        return [self._decode(document) for document in documents if _holds_state(document)]

    async def _get_many(self, ids: Collection[str]) -> Mapping[str, S]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        states = await self._find({"_id": {"$in": wanted}})
        return {state.id: state for state in states}

    async def _ids(self, query: Document) -> Sequence[str]:
        with self._db.operation(self._name, "find"):
            documents = await self._collection.find(query, {"_id": 1}).to_list()
        return [document["_id"] for document in documents]


def _holds_state(document: Document) -> bool:
    """A document without `version` holds only projection fields written before the state
    itself (a chat's last message time): there is no state yet."""
    return "version" in document
