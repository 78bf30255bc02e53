"""API token and bot routes: `/api/v1/tokens` (personal and bot tokens) and
`/api/v1/workspaces/{id}/bots` (workspace admins)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from flowra_core.app.governance.services import Governance
from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.auth import CurrentActor
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import Cursor, Limit
from flowra_entrypoints.http.dto.tokens import (
    BotListResponse,
    BotResponse,
    CreateBotRequest,
    CreatedTokenResponse,
    CreateTokenRequest,
    TokenResponse,
    bot_response,
    created_token_response,
    token_response,
)
from flowra_entrypoints.http.error_contract import problems


def provide_governance(request: Request[Any, Any, Any]) -> Governance:
    governance: Governance = request.app.state.governance
    return governance


GovernanceDep = NamedDependency[Governance]

_MANAGE_ERRORS = (ErrorCode.USER_NOT_FOUND, ErrorCode.VALIDATION_ERROR)


class TokensController(Controller):
    path = "/api/v1/tokens"
    tags = ["api tokens"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(*_MANAGE_ERRORS)
    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Create an API token (the secret is in this response only)",
    )
    async def create(
        self, data: JSONBody[CreateTokenRequest], actor: CurrentActor, governance: GovernanceDep
    ) -> CreatedTokenResponse:
        issued = await governance.tokens.create(
            actor,
            user_id=data.user_id,
            name=data.name,
            scopes=data.scopes,
            expires_at=data.expires_at,
        )
        return created_token_response(issued.token, issued.secret)

    @problems(*_MANAGE_ERRORS)
    @get("/", summary="The caller's tokens, or a bot's (without secrets), newest first")
    async def list_tokens(
        self,
        actor: CurrentActor,
        governance: GovernanceDep,
        user_id: FromQuery[str | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[Cursor | None] = None,
    ) -> ListResponse[TokenResponse]:
        page = await governance.tokens.list_tokens(
            actor, user_id=user_id, limit=limit, cursor=cursor
        )
        return list_response(page, token_response)

    @problems(ErrorCode.TOKEN_NOT_FOUND)
    @delete(
        "/{token_id:str}",
        summary="Revoke a token: refused from the next request on, on every instance",
    )
    async def revoke(
        self, token_id: FromPath[str], actor: CurrentActor, governance: GovernanceDep
    ) -> None:
        await governance.tokens.revoke(actor, token_id)


class BotsController(Controller):
    path = "/api/v1/workspaces/{workspace_id:str}/bots"
    tags = ["api tokens"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(ErrorCode.WORKSPACE_NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.VALIDATION_ERROR)
    @post("/", summary="Create a bot user, a member of this workspace (workspace admins)")
    async def create(
        self,
        workspace_id: FromPath[str],
        data: JSONBody[CreateBotRequest],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> Response[BotResponse]:
        bot, user = await governance.bots.create(
            actor, workspace_id, name=data.name, avatar_letter=data.avatar_letter
        )
        return Response(bot_response(bot, user), status_code=HTTP_201_CREATED)

    @problems(ErrorCode.WORKSPACE_NOT_FOUND, ErrorCode.FORBIDDEN)
    @get("/", summary="This workspace's bots, oldest first (workspace admins)")
    async def list_bots(
        self, workspace_id: FromPath[str], actor: CurrentActor, governance: GovernanceDep
    ) -> BotListResponse:
        bots = await governance.bots.list_bots(actor, workspace_id)
        return BotListResponse(items=[bot_response(bot, user) for bot, user in bots])
