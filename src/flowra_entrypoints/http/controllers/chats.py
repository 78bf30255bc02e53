"""Chat and work-item routes (http-api.md "Chats and work items", "Tasks and board")."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from flowra_core.app.chats.task_filters import TaskFilters
from flowra_core.domain.errors import ErrorCode, ValidationFailed
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.chats import (
    AddParticipantRequest,
    AttachFileRequest,
    BoardResponse,
    ChatResponse,
    ChatSummaryResponse,
    ConvertRequest,
    CreateChatRequest,
    EventResponse,
    ParticipantResponse,
    PatchChatRequest,
    PresenceResponse,
    board_response,
    chat_response,
    chat_summary_response,
    event_response,
    participant_response,
    presence_response,
)
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import (
    CategoryList,
    ChatEventList,
    ChatSortName,
    ChatTypeList,
    Id,
    Limit,
    PriorityList,
    SeverityList,
    StatusList,
    TaskSortName,
    WorkItemTypeList,
)
from flowra_entrypoints.http.error_contract import problems

WS = "/api/v1/workspaces/{workspace_id:str}"
C = "/{chat_id:str}"


def _created(body: ChatResponse) -> Response[ChatResponse]:
    location = f"/api/v1/workspaces/{body.workspace_id}/chats/{body.id}"
    return Response(body, status_code=201, headers={"Location": location})


class ChatsController(Controller):
    path = WS + "/chats"
    tags = ["chats"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/", summary="Create a chat or work item")
    async def create(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[CreateChatRequest],
        actor: CurrentActor,
        core: Core,
    ) -> Response[ChatResponse]:
        view = await core.chats.create(actor, workspace_id, data.draft())
        return _created(chat_response(view))

    @get("/", summary="Readable chats")
    async def list_chats(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        type: FromQuery[ChatTypeList | None] = None,
        q: FromQuery[str | None] = None,
        joined: FromQuery[bool] = False,
        sort: FromQuery[ChatSortName | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[ChatSummaryResponse]:
        page = await core.chat_reads.list_chats(
            actor,
            workspace_id,
            types=type,
            q=q,
            joined=joined,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        return list_response(page, chat_summary_response)

    @get(C, summary="A chat")
    async def get_chat(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> ChatResponse:
        return chat_response(await core.chat_reads.get(actor, workspace_id, chat_id))

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT, ErrorCode.NOT_A_WORK_ITEM)
    @patch(C, summary="Change title or work-item fields")
    async def patch_chat(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: JSONBody[PatchChatRequest],
        actor: CurrentActor,
        core: Core,
    ) -> ChatResponse:
        if data.is_empty():
            raise ValidationFailed.single("body", "give at least one field to change")
        view = await core.chats.patch(actor, workspace_id, chat_id, data.changes())
        return chat_response(view)

    @problems(ErrorCode.FORBIDDEN)
    @delete(C, summary="Delete a chat")
    async def delete_chat(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.chats.delete(actor, workspace_id, chat_id)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.ALREADY_THIS_TYPE)
    @post(C + "/convert", status_code=HTTP_200_OK, summary="Convert to task, bug or epic")
    async def convert(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: JSONBody[ConvertRequest],
        actor: CurrentActor,
        core: Core,
    ) -> ChatResponse:
        view = await core.chats.convert(
            actor, workspace_id, chat_id, chat_type=data.type, title=data.title
        )
        return chat_response(view)

    @problems(
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_PARTICIPANT,
        ErrorCode.NOT_A_WORK_ITEM,
        ErrorCode.CHAT_ALREADY_CLOSED,
    )
    @post(C + "/close", status_code=HTTP_200_OK, summary="Close a work item")
    async def close(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> ChatResponse:
        return chat_response(await core.chats.close(actor, workspace_id, chat_id))

    @problems(
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_PARTICIPANT,
        ErrorCode.NOT_A_WORK_ITEM,
        ErrorCode.CHAT_NOT_CLOSED,
    )
    @post(C + "/reopen", status_code=HTTP_200_OK, summary="Reopen a work item")
    async def reopen(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> ChatResponse:
        return chat_response(await core.chats.reopen(actor, workspace_id, chat_id))

    @problems(ErrorCode.FORBIDDEN)
    @post(C + "/join", status_code=HTTP_200_OK, summary="Join a public chat")
    async def join(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> ChatResponse:
        return chat_response(await core.chats.join(actor, workspace_id, chat_id))

    @problems(ErrorCode.NOT_PARTICIPANT, ErrorCode.LAST_CHAT_ADMIN)
    @post(C + "/leave", status_code=HTTP_204_NO_CONTENT, summary="Leave a chat")
    async def leave(
        self, workspace_id: FromPath[Id], chat_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.chats.leave(actor, workspace_id, chat_id)

    @get(C + "/participants", summary="Participants, by join time")
    async def participants(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[ParticipantResponse]:
        page = await core.chat_reads.participants(
            actor, workspace_id, chat_id, limit=limit, cursor=cursor
        )
        return list_response(page, participant_response)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.ALREADY_PARTICIPANT)
    @post(C + "/participants", summary="Add a participant")
    async def add_participant(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: JSONBody[AddParticipantRequest],
        actor: CurrentActor,
        core: Core,
    ) -> ParticipantResponse:
        view = await core.chats.add_participant(
            actor, workspace_id, chat_id, user_id=data.user_id, role=data.role
        )
        return participant_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.PARTICIPANT_NOT_FOUND, ErrorCode.LAST_CHAT_ADMIN)
    @delete(C + "/participants/{user_id:str}", summary="Remove a participant (or yourself)")
    async def remove_participant(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        user_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
    ) -> None:
        await core.chats.remove_participant(actor, workspace_id, chat_id, user_id)

    @get(C + "/presence", summary="Participants' presence")
    async def presence(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[PresenceResponse]:
        page = await core.chat_reads.presence(
            actor, workspace_id, chat_id, limit=limit, cursor=cursor
        )
        return list_response(page, presence_response)

    @get(C + "/activity", summary="The chat's history, newest first")
    async def activity(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        type: FromQuery[ChatEventList | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[EventResponse]:
        page = await core.chat_reads.activity(
            actor, workspace_id, chat_id, types=type, limit=limit, cursor=cursor
        )
        return list_response(page, event_response)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT, ErrorCode.NOT_A_WORK_ITEM)
    @post(C + "/attachments", status_code=HTTP_200_OK, summary="Attach an uploaded file")
    async def add_attachment(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: JSONBody[AttachFileRequest],
        actor: CurrentActor,
        core: Core,
    ) -> ChatResponse:
        view = await core.chats.add_attachment(actor, workspace_id, chat_id, data.file_id)
        return chat_response(view)

    @problems(
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_PARTICIPANT,
        ErrorCode.NOT_A_WORK_ITEM,
        ErrorCode.ATTACHMENT_NOT_FOUND,
    )
    @delete(C + "/attachments/{file_id:str}", summary="Remove an attachment")
    async def remove_attachment(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        file_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
    ) -> None:
        await core.chats.remove_attachment(actor, workspace_id, chat_id, file_id)


class TasksController(Controller):
    path = WS
    tags = ["tasks"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/tasks", summary="Work items with filters")
    async def list_tasks(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        type: FromQuery[WorkItemTypeList | None] = None,
        status: FromQuery[StatusList | None] = None,
        category: FromQuery[CategoryList | None] = None,
        assignee: FromQuery[str | None] = None,
        priority: FromQuery[PriorityList | None] = None,
        severity: FromQuery[SeverityList | None] = None,
        created_by: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        q: FromQuery[str | None] = None,
        sort: FromQuery[TaskSortName | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[ChatSummaryResponse]:
        filters = TaskFilters(
            type=type,
            status=status,
            category=category,
            assignee=assignee,
            priority=priority,
            severity=severity,
            created_by=created_by,
            overdue=overdue,
            q=q,
        )
        page = await core.tasks.list_tasks(
            actor, workspace_id, filters, sort=sort, limit=limit, cursor=cursor
        )
        return list_response(page, chat_summary_response)

    @post("/tasks", summary="Quick-create a work item")
    async def create_task(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[CreateChatRequest],
        actor: CurrentActor,
        core: Core,
    ) -> Response[ChatResponse]:
        view = await core.chats.create_task(actor, workspace_id, data.draft())
        return _created(chat_response(view))

    @get("/board", summary="The board: four columns by status category")
    async def board(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        type: FromQuery[WorkItemTypeList | None] = None,
        assignee: FromQuery[str | None] = None,
        priority: FromQuery[PriorityList | None] = None,
        q: FromQuery[str | None] = None,
        per_column: FromQuery[Limit | None] = None,
    ) -> BoardResponse:
        board = await core.tasks.board(
            actor,
            workspace_id,
            types=type,
            assignee=assignee,
            priority=priority,
            q=q,
            per_column=per_column,
        )
        return board_response(board)
