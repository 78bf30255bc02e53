"""Search route (http-api.md "Search")."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import (
    Id,
    Limit,
    SearchKindList,
    SearchText,
)
from flowra_entrypoints.http.dto.search import SearchHitResponse, comma_list, search_hit_response
from flowra_entrypoints.http.error_contract import problems


class SearchController(Controller):
    path = "/api/v1/workspaces/{workspace_id:str}"
    tags = ["search"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(ErrorCode.CHAT_NOT_FOUND)  # `chat_id` narrows the search to one readable chat
    @get(
        "/search",
        summary="Messages, chats and work items by words, newest first",
        # Required, but judged by the core after the workspace and chat are found (404 comes
        # before 422), by the same rule as its annotation (strict_bodies.py skips it).
        opt={"required_query": ("q",)},
    )
    async def search(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        q: FromQuery[SearchText | None] = None,
        types: FromQuery[SearchKindList | None] = None,
        chat_id: FromQuery[Id | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[SearchHitResponse]:
        # A missing `q` is judged by the core, after the workspace and chat are found (404
        # comes before 422).
        page = await core.search.search(
            actor,
            workspace_id,
            q=q or "",
            types=comma_list(types),
            chat_id=chat_id,
            limit=limit,
            cursor=cursor,
        )
        return list_response(page, search_hit_response)
