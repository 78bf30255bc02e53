"""In-memory API tokens and bot profiles, with the orders the Mongo indexes serve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from flowra_core.app.governance.services import GovernancePorts
from flowra_core.domain.tokens import ApiToken, BotProfile
from flowra_core.memory.audit import InMemoryAuditLog
from flowra_core.memory.webhooks import InMemoryWebhookStore


class InMemoryApiTokenStore:
    def __init__(self) -> None:
        self._tokens: dict[str, ApiToken] = {}
        self._by_user: dict[str, set[str]] = {}

    async def add(self, token: ApiToken) -> None:
        self._tokens[token.id] = token
        self._by_user.setdefault(token.user_id, set()).add(token.id)

    async def get(self, token_id: str) -> ApiToken | None:
        return self._tokens.get(token_id)

    async def of_user(
        self, user_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiToken]:
        rows = sorted(
            (self._tokens[token_id] for token_id in self._by_user.get(user_id, ())),
            key=lambda t: (t.created_at, t.id),
            reverse=True,
        )
        if after is not None:
            rows = [t for t in rows if (t.created_at, t.id) < after]
        return rows[:limit]

    async def revoke(self, token_id: str, at: datetime) -> ApiToken | None:
        token = self._tokens.get(token_id)
        if token is None:
            return None
        if token.revoked_at is None:
            token = msgspec.structs.replace(token, revoked_at=at)
            self._tokens[token_id] = token
        return token

    async def touch(self, token_id: str, at: datetime, *, unless_since: datetime) -> None:
        token = self._tokens.get(token_id)
        if token is not None and (token.last_used_at is None or token.last_used_at < unless_since):
            self._tokens[token_id] = msgspec.structs.replace(token, last_used_at=at)

    def all_tokens(self) -> list[ApiToken]:
        return list(self._tokens.values())


class InMemoryBotStore:
    def __init__(self) -> None:
        self._bots: dict[str, BotProfile] = {}

    async def add(self, bot: BotProfile) -> None:
        self._bots[bot.user_id] = bot

    async def get(self, user_id: str) -> BotProfile | None:
        return self._bots.get(user_id)

    async def of_workspace(self, workspace_id: str, *, limit: int) -> Sequence[BotProfile]:
        rows = [bot for bot in self._bots.values() if bot.workspace_id == workspace_id]
        return sorted(rows, key=lambda b: (b.created_at, b.user_id))[:limit]


def in_memory_governance_ports() -> GovernancePorts:
    return GovernancePorts(
        api_tokens=InMemoryApiTokenStore(),
        bots=InMemoryBotStore(),
        audit_log=InMemoryAuditLog(),
        webhooks=InMemoryWebhookStore(),
    )
