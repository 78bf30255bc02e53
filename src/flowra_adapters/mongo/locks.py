"""Lease locks in `locks` (`{_id: name, owner, expires_at}`, operations.md §5): a lock is taken
with one conditional upsert — it matches when the lock is free, expired or already ours, and
the unique `_id` makes a second taker's insert fail — and a holder that died leaves a lease
that simply expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.names import LOCKS
from flowra_core.ports.clock import Clock


@dataclass(frozen=True, slots=True)
class LockHolder:
    owner: str
    expires_at: datetime


class MongoLeaseLocks:
    def __init__(self, database: MongoDatabase, clock: Clock) -> None:
        self._db = database
        self._locks = database.collection(LOCKS)
        self._clock = clock

    async def acquire(self, name: str, owner: str, ttl_seconds: float) -> bool:
        now = self._clock.now()
        takeable = {"_id": name, "$or": [{"expires_at": {"$lte": now}}, {"owner": owner}]}
        take = {"$set": {"owner": owner, "expires_at": now + timedelta(seconds=ttl_seconds)}}
        with self._db.operation(LOCKS, "acquire"):
            try:
                await self._locks.update_one(takeable, take, upsert=True)
            except DuplicateKeyError:
                return False
        return True

    async def release(self, name: str, owner: str) -> None:
        with self._db.operation(LOCKS, "release"):
            await self._locks.delete_one({"_id": name, "owner": owner})

    async def holder(self, name: str) -> LockHolder | None:
        """Who holds the lock and until when (expired leases included), to tell an operator."""
        with self._db.operation(LOCKS, "find"):
            found = await self._locks.find_one({"_id": name})
        return None if found is None else LockHolder(found["owner"], found["expires_at"])
