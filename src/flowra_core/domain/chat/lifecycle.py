"""Chat commands that change what a chat is: convert, close, reopen and delete."""

from datetime import datetime

from flowra_core.domain.chat.events import (
    ChatClosed,
    ChatDeleted,
    ChatReopened,
    ChatSeveritySet,
    ChatTypeChanged,
)
from flowra_core.domain.chat.inputs import title_input, type_input
from flowra_core.domain.chat.rules import FieldErrors, ensure_exists, ensure_live_work_item
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import (
    CLOSED,
    ChatType,
    default_status,
    map_status_for_conversion,
)
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent


def _conversion_target(text: str) -> ChatType:
    target = type_input(text)
    if not target.is_typed:
        raise ValidationFailed.single("type", "A chat cannot be converted to a discussion")
    return target


def _conversion_title(chat: Chat, title: str | None) -> str | None:
    """The given title, or None to keep the current one, which a work item must have."""
    if title is not None:
        return title_input(title, required=True)
    if not chat.title:
        raise ValidationFailed.single("title", "A work item needs a title")
    return None


def convert(
    chat: Chat, chat_type: str, title: str | None = None, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Make the chat a task, bug or epic, mapping its status by category (domain.md §3).

    A given title is carried by `chat.type_changed`; a closed item stays `Closed` and evolve
    maps its `previous_status` the same way.
    """
    ensure_exists(chat)
    errors = FieldErrors()
    target = errors.check(_conversion_target, chat_type)
    new_title = errors.check(_conversion_title, chat, title)
    errors.raise_if_any()
    assert target is not None
    if target is chat.type:
        raise DomainError(ErrorCode.ALREADY_THIS_TYPE, f"This chat is already a {target}")

    new_status = (
        CLOSED if chat.is_closed else map_status_for_conversion(chat.type, target, chat.status)
    )
    events: list[DomainEvent] = []
    if chat.severity is not None and target is not ChatType.BUG:
        events.append(
            ChatSeveritySet(old_severity=chat.severity, new_severity=None, changed_by=actor_id)
        )
    events.append(
        ChatTypeChanged(
            old_type=chat.type,
            new_type=target,
            title=new_title,
            old_status=chat.status,
            new_status=new_status,
            changed_by=actor_id,
        )
    )
    return events


def close(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    ensure_live_work_item(chat)
    if chat.is_closed:
        raise DomainError(ErrorCode.CHAT_ALREADY_CLOSED, f"This {chat.type} is already closed")
    assert chat.status is not None
    return [ChatClosed(closed_by=actor_id, previous_status=chat.status, closed_at=now)]


def reopen(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """Back to the status held before the close, or the type default if none was recorded."""
    ensure_live_work_item(chat)
    if not chat.is_closed:
        raise DomainError(ErrorCode.CHAT_NOT_CLOSED, f"This {chat.type} is not closed")
    new_status = chat.previous_status or default_status(chat.type)
    return [ChatReopened(reopened_by=actor_id, new_status=new_status, reopened_at=now)]


def delete(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """Soft delete; a deleted chat is already invisible, so deleting it again is CHAT_NOT_FOUND."""
    ensure_exists(chat)
    return [ChatDeleted(deleted_by=actor_id, deleted_at=now)]
