"""Applying chat events to the chat state. Events are trusted: nothing is validated here.

`occurred_at` (the envelope's time) sets `updated_at` and the times the payloads lack
(`added_at` of attachments); `chat_id` (the envelope's aggregate id) names the chat on
`chat.created`, whose payload does not carry it.
"""

from collections.abc import Iterable
from datetime import datetime

from msgspec.structs import replace

from flowra_core.domain.chat.events import (
    ChatAssigneeRemoved,
    ChatAttachmentAdded,
    ChatAttachmentRemoved,
    ChatClosed,
    ChatCreated,
    ChatDeleted,
    ChatDescriptionSet,
    ChatDueDateRemoved,
    ChatDueDateSet,
    ChatParticipantAdded,
    ChatParticipantRemoved,
    ChatPrioritySet,
    ChatRenamed,
    ChatReopened,
    ChatSeveritySet,
    ChatStatusChanged,
    ChatTypeChanged,
    ChatUserAssigned,
)
from flowra_core.domain.chat.state import Chat, ChatAttachment, Participant
from flowra_core.domain.chat.vocabulary import CLOSED, map_status_for_conversion
from flowra_core.domain.events import DomainEvent, EventEnvelope


def _created(event: ChatCreated, chat_id: str, occurred_at: datetime) -> Chat:
    return Chat(
        id=chat_id,
        workspace_id=event.workspace_id,
        created_by=event.created_by,
        created_at=event.created_at,
        updated_at=occurred_at,
        type=event.chat_type,
        is_public=event.is_public,
        title=event.title,
        status=event.status,
        priority=event.priority,
        assignee_id=event.assignee_id,
        due_date=event.due_date,
        severity=event.severity,
        description=event.description,
        version=1,
    )


def _type_changed(chat: Chat, event: ChatTypeChanged) -> Chat:
    previous = chat.previous_status
    if event.new_status is CLOSED and previous is not None:
        previous = map_status_for_conversion(event.old_type, event.new_type, previous)
    return replace(
        chat,
        type=event.new_type,
        title=chat.title if event.title is None else event.title,
        status=event.new_status,
        previous_status=previous if event.new_status is CLOSED else None,
    )


def _applied(chat: Chat, event: DomainEvent, occurred_at: datetime) -> Chat:
    match event:
        case ChatParticipantAdded():
            joined = Participant(user_id=event.user_id, role=event.role, joined_at=event.joined_at)
            return replace(chat, participants=(*chat.participants, joined))
        case ChatParticipantRemoved():
            kept = tuple(p for p in chat.participants if p.user_id != event.user_id)
            return replace(chat, participants=kept)
        case ChatTypeChanged():
            return _type_changed(chat, event)
        case ChatStatusChanged():
            return replace(chat, status=event.new_status, previous_status=None)
        case ChatUserAssigned():
            return replace(chat, assignee_id=event.assignee_id)
        case ChatAssigneeRemoved():
            return replace(chat, assignee_id=None)
        case ChatPrioritySet():
            return replace(chat, priority=event.new_priority)
        case ChatDueDateSet():
            return replace(chat, due_date=event.new_due_date)
        case ChatDueDateRemoved():
            return replace(chat, due_date=None)
        case ChatAttachmentAdded():
            attachment = ChatAttachment(
                file_id=event.file_id,
                file_name=event.file_name,
                file_size=event.file_size,
                mime_type=event.mime_type,
                added_by=event.added_by,
                added_at=occurred_at,
            )
            return replace(chat, attachments=(*chat.attachments, attachment))
        case ChatAttachmentRemoved():
            kept_files = tuple(a for a in chat.attachments if a.file_id != event.file_id)
            return replace(chat, attachments=kept_files)
        case ChatRenamed():
            return replace(chat, title=event.new_title)
        case ChatSeveritySet():
            return replace(chat, severity=event.new_severity)
        case ChatDescriptionSet():
            return replace(chat, description=event.description)
        case ChatDeleted():
            return replace(chat, deleted_at=event.deleted_at, deleted_by=event.deleted_by)
        case ChatClosed():
            return replace(chat, status=CLOSED, previous_status=event.previous_status)
        case ChatReopened():
            return replace(chat, status=event.new_status, previous_status=None)
    raise TypeError(f"{event.event_type()} is not a chat event")


def evolve(chat: Chat | None, event: DomainEvent, occurred_at: datetime, *, chat_id: str) -> Chat:
    """The chat after `event`, which happened at `occurred_at`; `version` counts events."""
    if isinstance(event, ChatCreated):
        return _created(event, chat_id, occurred_at)
    if chat is None:
        raise ValueError(f"{event.event_type()} for chat {chat_id} before chat.created")
    changed = _applied(chat, event, occurred_at)
    return replace(changed, updated_at=occurred_at, version=chat.version + 1)


def replay(history: Iterable[EventEnvelope], snapshot: Chat | None = None) -> Chat | None:
    """Fold a chat stream (or the part after `snapshot`) into the state; None if empty."""
    chat = snapshot
    for envelope in history:
        chat = evolve(chat, envelope.event, envelope.occurred_at, chat_id=envelope.aggregate_id)
    return chat
