"""User documents (`users`): the state plus `username_lower`, which the unique index and the
case-insensitive look-ups and ordering use.

Every request looks its caller up by `external_id`, and every message page looks its authors
up by id: both are served from a small per-process memory (`UserMemory`) so that the hot path
does not ask the database for the same few users again and again. `get` (what the write path
decides on) always reads the database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pymongo import ASCENDING

from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import USERS
from flowra_adapters.mongo.queries import SortSpec, combine, contains_text, keyset_after
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_adapters.mongo.user_memory import UserMemory
from flowra_core.domain.user.bot import FLOWRA_BOT_ID
from flowra_core.domain.user.state import User

_BY_USERNAME: SortSpec = [("username_lower", ASCENDING), ("_id", ASCENDING)]


class MongoUserStore(MongoStateStore[User]):
    def __init__(self, database: MongoDatabase, memory: UserMemory | None = None) -> None:
        super().__init__(database, USERS, User)
        self._memory = memory if memory is not None else UserMemory()

    async def save(self, state: User) -> None:
        # Forget first: a reader racing the write reloads rather than keep the old state.
        self._memory.forget(state)
        await super().save(state)
        self._memory.forget(state)

    def _derived_fields(self, state: User) -> Document:
        return {"username_lower": state.username.lower()}

    async def by_external_id(self, external_id: str) -> User | None:
        remembered = self._memory.by_external_id(external_id)
        if remembered is not None:
            return remembered
        found = await self._find({"external_id": external_id}, limit=1)
        if not found:
            return None  # an absence is never remembered: the first request creates the user
        self._memory.remember(found)
        return found[0]

    async def by_username(self, username: str) -> User | None:
        found = await self._find({"username_lower": username.lower()}, limit=1)
        return found[0] if found else None

    async def get_many(self, user_ids: Collection[str]) -> Mapping[str, User]:
        known, missing = self._memory.get_many(user_ids)
        if missing:
            loaded = await self._get_many(missing)
            self._memory.remember(loaded.values())
            known.update(loaded)
        return known

    async def search(
        self,
        *,
        q: str | None,
        among: Collection[str] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> Sequence[User]:
        ids: Document = {"$ne": FLOWRA_BOT_ID}
        if among is not None:
            ids = {"$in": [user_id for user_id in set(among) if user_id != FLOWRA_BOT_ID]}
        text: Document = {}
        if q:
            pattern = contains_text(q)
            text = {"$or": [{name: pattern} for name in ("username", "display_name", "email")]}
        query = combine({"_id": ids}, text, keyset_after(_BY_USERNAME, after))
        return await self._find(query, sort=_BY_USERNAME, limit=limit)
