"""Message routes (http-api.md "Messages") and the chat's read marker (`C/read`)."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import (
    Emoji,
    Id,
    Limit,
)
from flowra_entrypoints.http.dto.messages import (
    EditMessageRequest,
    MarkReadRequest,
    MessageResponse,
    ReadStateResponse,
    SendMessageRequest,
    SentMessageResponse,
    message_response,
    read_state_response,
    sent_message_response,
)
from flowra_entrypoints.http.error_contract import problems
from flowra_entrypoints.ws.gateway import WebSocketGateway

C = "/api/v1/workspaces/{workspace_id:str}/chats/{chat_id:str}"
M = "/messages/{message_id:str}"
REACTION = M + "/reactions/{emoji:str}"


def message_location(workspace_id: str, chat_id: str, message_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/messages/{message_id}"


class MessagesController(Controller):
    path = C
    tags = ["messages"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT)
    @post("/messages", summary="Send a message (tag lines are applied)")
    async def send(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: JSONBody[SendMessageRequest],
        actor: CurrentActor,
        core: Core,
    ) -> Response[SentMessageResponse]:
        sent = await core.messages.send(
            actor,
            workspace_id,
            chat_id,
            content=data.content or "",
            parent_id=data.parent_id,
            attachment_ids=data.attachment_ids or (),
        )
        body = sent_message_response(sent)
        location = message_location(workspace_id, chat_id, body.id)
        return Response(body, status_code=201, headers={"Location": location})

    @get("/messages", summary="Top-level messages, newest first")
    async def list_messages(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[MessageResponse]:
        page = await core.message_reads.list_top_level(
            actor, workspace_id, chat_id, limit=limit, cursor=cursor
        )
        return list_response(page, message_response)

    @get(M, summary="A message (also a reply or a tombstone)")
    async def get_message(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
    ) -> MessageResponse:
        view = await core.message_reads.get(actor, workspace_id, chat_id, message_id)
        return message_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT, ErrorCode.MESSAGE_DELETED)
    @patch(M, summary="Edit a message (author)")
    async def edit(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        data: JSONBody[EditMessageRequest],
        actor: CurrentActor,
        core: Core,
    ) -> MessageResponse:
        view = await core.messages.edit(
            actor, workspace_id, chat_id, message_id, content=data.content
        )
        return message_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.MESSAGE_DELETED)
    @delete(M, summary="Delete a message (author, chat admin, workspace admin)")
    async def delete_message(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
    ) -> None:
        await core.messages.delete(actor, workspace_id, chat_id, message_id)

    @get(M + "/replies", summary="The thread of a message, oldest first")
    async def replies(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[MessageResponse]:
        page = await core.message_reads.replies(
            actor, workspace_id, chat_id, message_id, limit=limit, cursor=cursor
        )
        return list_response(page, message_response)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT, ErrorCode.MESSAGE_DELETED)
    @put(REACTION, summary="React with an emoji (idempotent)")
    async def add_reaction(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        emoji: FromPath[Emoji],
        actor: CurrentActor,
        core: Core,
    ) -> MessageResponse:
        view = await core.messages.add_reaction(actor, workspace_id, chat_id, message_id, emoji)
        return message_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT, ErrorCode.MESSAGE_DELETED)
    @delete(REACTION, status_code=HTTP_200_OK, summary="Take back a reaction (idempotent)")
    async def remove_reaction(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        message_id: FromPath[Id],
        emoji: FromPath[str],
        actor: CurrentActor,
        core: Core,
    ) -> MessageResponse:
        view = await core.messages.remove_reaction(actor, workspace_id, chat_id, message_id, emoji)
        return message_response(view)

    @problems(ErrorCode.NOT_PARTICIPANT)
    @post("/read", status_code=HTTP_200_OK, summary="Move the caller's read marker forward")
    async def mark_read(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        state: State,
        data: JSONBody[MarkReadRequest | None] = None,
    ) -> ReadStateResponse:
        message_id = None if data is None else data.message_id
        read = await core.read_markers.mark_read(actor, workspace_id, chat_id, message_id)
        # Keeps unread counts in sync on the reader's other devices (an ephemeral push).
        gateway: WebSocketGateway = state.ws_gateway
        await gateway.chat_read(actor.user_id, read)
        return read_state_response(read)
