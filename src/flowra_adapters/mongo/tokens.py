"""API tokens (`api_tokens`, `_id` = token id) and bot profiles (`bots`, `_id` = user id).

Neither is journaled: a token is a credential, not a domain fact, and both are exported by
`flowra-migrator export` as non-derived collections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from flowra_adapters.mongo.audit import MongoAuditLog
from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import API_TOKENS, BOTS
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_adapters.mongo.webhooks import MongoWebhookStore
from flowra_core.app.governance.services import GovernancePorts
from flowra_core.domain.tokens import ApiToken, BotProfile

_NEWEST_FIRST: SortSpec = [("created_at", DESCENDING), ("_id", DESCENDING)]
_OLDEST_FIRST: SortSpec = [("created_at", ASCENDING), ("_id", ASCENDING)]


def _token_document(token: ApiToken) -> Document:
    fields: Document = to_document_fields(token)
    fields["_id"] = fields.pop("id")
    return fields


def _token(document: Document) -> ApiToken:
    fields = {key: value for key, value in document.items() if key != "_id"}
    fields["id"] = document["_id"]
    return convert(fields, ApiToken, what=f"API token {document['_id']!r}")


class MongoApiTokenStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._tokens = database.collection(API_TOKENS)

    async def add(self, token: ApiToken) -> None:
        with self._db.operation(API_TOKENS, "insert"):
            await self._tokens.insert_one(_token_document(token))

    async def get(self, token_id: str) -> ApiToken | None:
        with self._db.operation(API_TOKENS, "find"):
            found = await self._tokens.find_one({"_id": token_id})
        return None if found is None else _token(found)

    async def of_user(
        self, user_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiToken]:
        query = combine({"user_id": user_id}, keyset_after(_NEWEST_FIRST, after))
        with self._db.operation(API_TOKENS, "find"):
            rows = await self._tokens.find(query).sort(_NEWEST_FIRST).limit(limit).to_list()
        return [_token(row) for row in rows]

    async def revoke(self, token_id: str, at: datetime) -> ApiToken | None:
        with self._db.operation(API_TOKENS, "revoke"):
            await self._tokens.update_one(
                {"_id": token_id, "revoked_at": None}, {"$set": {"revoked_at": at}}
            )
            found = await self._tokens.find_one({"_id": token_id})
        return None if found is None else _token(found)

    async def touch(self, token_id: str, at: datetime, *, unless_since: datetime) -> None:
        stale = {"$or": [{"last_used_at": None}, {"last_used_at": {"$lt": unless_since}}]}
        with self._db.operation(API_TOKENS, "touch"):
            await self._tokens.update_one(
                {"_id": token_id, **stale}, {"$set": {"last_used_at": at}}
            )


def _bot(document: Document) -> BotProfile:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return convert(fields, BotProfile, what=f"bot {document['_id']!r}")


class MongoBotStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._bots = database.collection(BOTS)

    async def add(self, bot: BotProfile) -> None:
        document: Document = {"_id": bot.user_id, **to_document_fields(bot)}
        with self._db.operation(BOTS, "insert"):
            await self._bots.insert_one(document)

    async def get(self, user_id: str) -> BotProfile | None:
        with self._db.operation(BOTS, "find"):
            found = await self._bots.find_one({"_id": user_id})
        return None if found is None else _bot(found)

    async def of_workspace(self, workspace_id: str, *, limit: int) -> Sequence[BotProfile]:
        with self._db.operation(BOTS, "find"):
            rows = (
                await self._bots.find({"workspace_id": workspace_id})
                .sort(_OLDEST_FIRST)
                .limit(limit)
                .to_list()
            )
        return [_bot(row) for row in rows]


def mongo_governance_ports(database: MongoDatabase) -> GovernancePorts:
    return GovernancePorts(
        api_tokens=MongoApiTokenStore(database),
        bots=MongoBotStore(database),
        audit_log=MongoAuditLog(database),
        webhooks=MongoWebhookStore(database),
    )
