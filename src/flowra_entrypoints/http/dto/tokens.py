"""Bodies of the API token and bot routes."""

from __future__ import annotations

from datetime import datetime

from flowra_core.domain.tokens import ApiToken, BotProfile
from flowra_core.domain.user.state import User
from flowra_entrypoints.http.dto.common import RequestBody, Struct, Timestamp, ts, ts_or_none


class CreateTokenRequest(RequestBody):
    name: str
    scopes: list[str]
    expires_at: datetime | None = None
    # A bot's id (workspace admins); omitted: a personal access token of the caller.
    user_id: str | None = None


class TokenResponse(Struct):
    id: str
    user_id: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class CreatedTokenResponse(Struct):
    token: TokenResponse
    secret: str  # shown once: only a salted hash is stored


def created_token_response(token: ApiToken, secret: str) -> CreatedTokenResponse:
    return CreatedTokenResponse(token=token_response(token), secret=secret)


def token_response(token: ApiToken) -> TokenResponse:
    return TokenResponse(
        id=token.id,
        user_id=token.user_id,
        name=token.name,
        scopes=[scope.value for scope in token.scopes],
        created_by=token.created_by,
        created_at=ts(token.created_at),
        expires_at=ts_or_none(token.expires_at),
        last_used_at=ts_or_none(token.last_used_at),
        revoked_at=ts_or_none(token.revoked_at),
    )


class CreateBotRequest(RequestBody):
    name: str
    avatar_letter: str | None = None


class BotResponse(Struct):
    user_id: str
    username: str
    workspace_id: str
    name: str
    avatar_letter: str
    created_by: str
    created_at: Timestamp


def bot_response(bot: BotProfile, user: User) -> BotResponse:
    return BotResponse(
        user_id=bot.user_id,
        username=user.username,
        workspace_id=bot.workspace_id,
        name=bot.name,
        avatar_letter=bot.avatar_letter,
        created_by=bot.created_by,
        created_at=ts(bot.created_at),
    )


class BotListResponse(Struct):
    items: list[BotResponse]
