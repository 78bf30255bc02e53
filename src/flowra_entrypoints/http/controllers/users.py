"""User routes (http-api.md "Users")."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import FromPath, FromQuery, JSONBody

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import (
    ListResponse,
    RequestBody,
    UserResponse,
    list_response,
    user_response,
)
from flowra_entrypoints.http.dto.constraints import (
    DisplayName,
    Id,
    Limit,
)
from flowra_entrypoints.http.error_contract import problems


class UpdateMeRequest(RequestBody):
    display_name: DisplayName


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/me", summary="The caller's profile")
    async def me(self, actor: CurrentActor, core: Core) -> UserResponse:
        return user_response(await core.users.me(actor))

    @patch("/me", summary="Edit the caller's display name")
    async def update_me(
        self, data: JSONBody[UpdateMeRequest], actor: CurrentActor, core: Core
    ) -> UserResponse:
        return user_response(await core.users.update_display_name(actor, data.display_name))

    @problems(ErrorCode.USER_NOT_FOUND)
    @get("/{user_id:str}", summary="A user the caller may see")
    async def get_user(
        self, user_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> UserResponse:
        return user_response(await core.users.get(actor, user_id))

    @problems(ErrorCode.WORKSPACE_NOT_FOUND)
    @get("/", summary="Users sharing a workspace with the caller")
    async def search(
        self,
        actor: CurrentActor,
        core: Core,
        q: FromQuery[str | None] = None,
        workspace_id: FromQuery[Id | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[UserResponse]:
        page = await core.users.search(
            actor, q=q, workspace_id=workspace_id, limit=limit, cursor=cursor
        )
        return list_response(page, user_response)
