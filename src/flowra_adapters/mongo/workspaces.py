"""Workspace documents (`workspaces`, members and invites inside, plus `name_lower` for the
ordering) and the clear-text invite tokens (`invite_tokens`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pymongo import ASCENDING

from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import INVITE_TOKENS, WORKSPACES
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_core.domain.workspace.state import Workspace

_BY_NAME: SortSpec = [("name_lower", ASCENDING), ("_id", ASCENDING)]
_LIVE: Document = {"deleted_at": None}


class MongoWorkspaceStore(MongoStateStore[Workspace]):
    def __init__(self, database: MongoDatabase) -> None:
        super().__init__(database, WORKSPACES, Workspace)

    def _derived_fields(self, state: Workspace) -> Document:
        return {"name_lower": state.name.lower(), "member_count": state.member_count}

    async def list_by_name(
        self, *, member_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[Workspace]:
        members: Document = {} if member_id is None else {"members.user_id": member_id}
        query = combine(_LIVE | members, keyset_after(_BY_NAME, after))
        return await self._find(query, sort=_BY_NAME, limit=limit)

    async def ids_of_member(self, user_id: str) -> Sequence[str]:
        return await self._ids(_LIVE | {"members.user_id": user_id})

    async def by_invite_token_hash(self, token_hash: str) -> Workspace | None:
        found = await self._find({"invites.token_hash": token_hash}, limit=1)
        return found[0] if found else None


class MongoInviteTokenStore:
    """`{_id: invite_id, token}`: tokens in clear, kept out of the journal."""

    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._tokens = database.collection(INVITE_TOKENS)

    async def save(self, invite_id: str, token: str) -> None:
        with self._db.operation(INVITE_TOKENS, "save"):
            await self._tokens.replace_one({"_id": invite_id}, {"token": token}, upsert=True)

    async def get_many(self, invite_ids: Collection[str]) -> Mapping[str, str]:
        wanted = list(set(invite_ids))
        if not wanted:
            return {}
        with self._db.operation(INVITE_TOKENS, "find"):
            documents = await self._tokens.find({"_id": {"$in": wanted}}).to_list()
        return {document["_id"]: document["token"] for document in documents}
