"""Where API tokens and bot profiles are kept (collections `api_tokens` and `bots`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from flowra_core.domain.tokens import ApiToken, BotProfile


class ApiTokenStore(Protocol):
    async def add(self, token: ApiToken) -> None: ...

    async def get(self, token_id: str) -> ApiToken | None:
        """By `_id`: the per-request look-up of Bearer token authentication."""
        ...

    async def of_user(
        self, user_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiToken]:
        """The user's tokens, newest first (index `user_id, -created_at, -_id`)."""
        ...

    async def revoke(self, token_id: str, at: datetime) -> ApiToken | None:
        """Mark revoked (once: a second revoke keeps the first time); None if unknown."""
        ...

    async def touch(self, token_id: str, at: datetime, *, unless_since: datetime) -> None:
        """Set `last_used_at` unless it is already at or after `unless_since` (few writes)."""
        ...


class BotStore(Protocol):
    async def add(self, bot: BotProfile) -> None: ...

    async def get(self, user_id: str) -> BotProfile | None: ...

    async def of_workspace(self, workspace_id: str, *, limit: int) -> Sequence[BotProfile]:
        """The workspace's bots, oldest first (index `workspace_id, created_at, _id`)."""
        ...
