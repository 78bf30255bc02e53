"""The database handle every Mongo adapter shares: collections decoded with UTC datetimes,
and `operation(...)`, the guard each adapter wraps its driver calls in."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC
from typing import Any

from bson.codec_options import CodecOptions
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from flowra_adapters.mongo.client import MongoClient
from flowra_adapters.mongo.errors import OperationHook, guarded_operation, ignore_operation

Document = dict[str, Any]
MongoCollection = AsyncCollection[Document]

# Dates come back as aware datetimes in `datetime.UTC`, equal to what the core stored.
CODEC_OPTIONS: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)


class MongoDatabase:
    def __init__(
        self, client: MongoClient, name: str, *, on_operation: OperationHook = ignore_operation
    ) -> None:
        self._db: AsyncDatabase[Document] = client.get_database(name, codec_options=CODEC_OPTIONS)
        self._on_operation = on_operation

    @property
    def name(self) -> str:
        return self._db.name

    @property
    def raw(self) -> AsyncDatabase[Document]:
        """The driver's database (for the migrator and tests; adapters use `collection`)."""
        return self._db

    def collection(self, name: str) -> MongoCollection:
        return self._db.get_collection(name)

    def operation(self, collection: str, operation: str) -> AbstractContextManager[None]:
        """Guard a block of driver calls on `collection` (see errors.guarded_operation)."""
        return guarded_operation(collection, operation, self._on_operation)
