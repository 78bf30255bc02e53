"""Chat, work item, participant, board and activity bodies (http-api.md §4)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from flowra_core.app.chats.board import Board, BoardColumn
from flowra_core.app.chats.queries import PresenceView
from flowra_core.app.chats.views import ChatSummaryView, ChatView, ParticipantView
from flowra_core.app.messages.views import UserRef as CoreUserRef
from flowra_core.domain.chat import ChatChanges, NewChat
from flowra_core.domain.events import EventEnvelope, envelope_to_wire
from flowra_entrypoints.http.dto.common import (
    PatchBody,
    RequestBody,
    Struct,
    Timestamp,
    UserRef,
    ts,
    ts_or_none,
)
from flowra_entrypoints.http.dto.constraints import (
    CategoryName,
    ChatDescription,
    ChatTitle,
    ChatTypeName,
    DateInput,
    Id,
    ParticipantRoleName,
    PriorityName,
    SeverityName,
    StatusName,
    WorkItemTypeName,
)


class CreateChatRequest(RequestBody):
    type: ChatTypeName | None = None
    title: ChatTitle | None = None
    description: ChatDescription | None = None
    is_public: bool = True
    participant_ids: Annotated[list[Id], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    status: StatusName | None = None
    priority: PriorityName | None = None
    severity: SeverityName | None = None
    assignee_id: Id | None = None
    due_date: DateInput | None = None

    def draft(self) -> NewChat:
        return NewChat(
            type=self.type,
            title=self.title,
            description=self.description,
            is_public=self.is_public,
            participant_ids=tuple(self.participant_ids),
            status=self.status,
            priority=self.priority,
            severity=self.severity,
            assignee_id=self.assignee_id,
            due_date=self.due_date,
        )


class PatchChatRequest(PatchBody):
    """Absent = unchanged; null = clear (nullable fields only)."""

    title: ChatTitle | UnsetType = UNSET
    description: ChatDescription | UnsetType = UNSET
    status: StatusName | UnsetType = UNSET
    category: CategoryName | UnsetType = UNSET
    priority: PriorityName | UnsetType | None = UNSET
    severity: SeverityName | UnsetType | None = UNSET
    assignee_id: Id | UnsetType | None = UNSET
    due_date: DateInput | UnsetType | None = UNSET

    def changes(self) -> ChatChanges:
        return ChatChanges(
            title=self.title,
            description=self.description,
            status=self.status,
            category=self.category,
            priority=self.priority,
            severity=self.severity,
            assignee_id=self.assignee_id,
            due_date=self.due_date,
        )


class ConvertRequest(RequestBody):
    type: WorkItemTypeName
    title: ChatTitle | None = None


class AddParticipantRequest(RequestBody):
    user_id: Id
    role: ParticipantRoleName | None = None


class AttachFileRequest(RequestBody):
    file_id: Id


class ChatSummaryResponse(Struct):
    id: str
    workspace_id: str
    type: str
    title: str
    is_public: bool
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp
    last_message_at: Timestamp | None
    participant_count: int
    my_role: str | None
    status: str | None
    category: str | None
    priority: str | None
    severity: str | None
    assignee_id: str | None
    assignee: UserRef | None
    due_date: Timestamp | None
    is_overdue: bool
    version: int
    unread_count: int
    last_read_message_id: str | None
    mention_count: int


def _ref(user: CoreUserRef | None) -> UserRef | None:
    if user is None:
        return None
    return UserRef(id=user.id, username=user.username, display_name=user.display_name)


def _value(item: Any) -> Any:
    return None if item is None else item.value


def _summary_fields(view: ChatSummaryView) -> dict[str, Any]:
    chat = view.chat
    return {
        "id": chat.id,
        "workspace_id": chat.workspace_id,
        "type": chat.type.value,
        "title": chat.title,
        "is_public": chat.is_public,
        "created_by": chat.created_by,
        "created_at": ts(chat.created_at),
        "updated_at": ts(chat.updated_at),
        "last_message_at": ts_or_none(view.last_message_at),
        "participant_count": view.participant_count,
        "my_role": _value(view.my_role),
        "status": _value(chat.status),
        "category": _value(chat.category),
        "priority": _value(chat.priority),
        "severity": _value(chat.severity),
        "assignee_id": chat.assignee_id,
        "assignee": _ref(view.assignee),
        "due_date": ts_or_none(chat.due_date),
        "is_overdue": view.is_overdue,
        "version": chat.version,
        "unread_count": view.read.unread_count,
        "last_read_message_id": view.read.last_read_message_id,
        "mention_count": view.read.mention_count,
    }


def chat_summary_response(view: ChatSummaryView) -> ChatSummaryResponse:
    return ChatSummaryResponse(**_summary_fields(view))


class ParticipantResponse(Struct):
    user_id: str
    username: str
    display_name: str
    role: str
    joined_at: Timestamp


def participant_response(view: ParticipantView) -> ParticipantResponse:
    return ParticipantResponse(
        user_id=view.participant.user_id,
        username=view.user.username,
        display_name=view.user.display_name,
        role=view.participant.role.value,
        joined_at=ts(view.participant.joined_at),
    )


class ChatAttachmentResponse(Struct):
    file_id: str
    file_name: str
    file_size: int
    mime_type: str
    url: str
    added_by: str
    added_at: Timestamp


class Permissions(Struct):
    can_read: bool
    can_write: bool
    can_manage: bool


class ChatResponse(ChatSummaryResponse):
    previous_status: str | None
    description: str | None
    attachments: list[ChatAttachmentResponse]
    participants: list[ParticipantResponse]
    permissions: Permissions


def chat_response(view: ChatView) -> ChatResponse:
    chat = view.chat
    return ChatResponse(
        **_summary_fields(view.summary),
        previous_status=_value(chat.previous_status),
        description=chat.description if chat.is_typed else None,
        attachments=[
            ChatAttachmentResponse(
                file_id=a.attachment.file_id,
                file_name=a.attachment.file_name,
                file_size=a.attachment.file_size,
                mime_type=a.attachment.mime_type,
                url=a.url,
                added_by=a.attachment.added_by,
                added_at=ts(a.attachment.added_at),
            )
            for a in view.attachments
        ],
        participants=[participant_response(p) for p in view.participants],
        permissions=Permissions(
            can_read=view.permissions.can_read,
            can_write=view.permissions.can_write,
            can_manage=view.permissions.can_manage,
        ),
    )


class PresenceResponse(Struct):
    user_id: str
    is_online: bool
    last_seen_at: Timestamp | None


def presence_response(view: PresenceView) -> PresenceResponse:
    return PresenceResponse(
        user_id=view.user_id, is_online=view.is_online, last_seen_at=ts_or_none(view.last_seen_at)
    )


class EventResponse(Struct):
    event_id: str
    type: str
    aggregate_type: str
    aggregate_id: str
    version: int
    workspace_id: str | None
    chat_id: str | None
    actor_id: str | None
    occurred_at: Timestamp
    data: dict[str, Any]


def event_response(envelope: EventEnvelope) -> EventResponse:
    return EventResponse(**envelope_to_wire(envelope))


class BoardColumnResponse(Struct):
    category: str
    title: str
    count: int
    items: list[ChatSummaryResponse]
    next_cursor: str | None


class BoardResponse(Struct):
    columns: list[BoardColumnResponse]


def _column(column: BoardColumn) -> BoardColumnResponse:
    return BoardColumnResponse(
        category=column.category.value,
        title=column.title,
        count=column.count,
        items=[chat_summary_response(item) for item in column.items],
        next_cursor=column.next_cursor,
    )


def board_response(board: Board) -> BoardResponse:
    return BoardResponse(columns=[_column(column) for column in board.columns])
