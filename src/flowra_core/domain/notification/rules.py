"""Which events notify whom, with what text (domain.md §5 "Generation rules").

The actor never notifies themselves, and a recipient gets at most one notification per event.
Mentions notify only for `user` messages, only users who can read the chat, and never again
on edit (`message.edited` is not a trigger).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import msgspec

from flowra_core.domain.chat.events import (
    ChatClosed,
    ChatParticipantAdded,
    ChatReopened,
    ChatStatusChanged,
    ChatUserAssigned,
)
from flowra_core.domain.chat.vocabulary import CLOSED
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message.events import MessageCreated
from flowra_core.domain.message.values import MessageType
from flowra_core.domain.notification.state import NotificationType, SourceKey

UNTITLED_CHAT: Final = "untitled chat"


@dataclass(frozen=True, slots=True)
class NotificationContext:
    """What the application knows about the event's chat and actor when the event is handled.

    `chat_title` is None or "" for an untitled discussion. `assignee_id` and `creator_id` are
    the chat's current assignee and its creator; `can_read(user_id)` is read(chat).
    """

    workspace_id: str
    chat_id: str
    chat_title: str | None
    actor_display_name: str
    assignee_id: str | None
    creator_id: str
    can_read: Callable[[str], bool]


class NotificationDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A notification to deliver into `user_id`'s inbox (see `deliver_notification`)."""

    user_id: str
    type: NotificationType
    title: str
    body: str
    workspace_id: str
    chat_id: str
    message_id: str | None = None
    actor_id: str | None
    source_event_id: str

    @property
    def source_key(self) -> SourceKey:
        return (self.source_event_id, self.type)


def notifications_for(
    event: DomainEvent, *, event_id: str, actor_id: str | None, context: NotificationContext
) -> list[NotificationDraft]:
    """The notifications `event` (envelope id `event_id`, caused by `actor_id`) generates."""
    actor = context.actor_display_name
    title = context.chat_title or UNTITLED_CHAT

    def drafts(
        recipients: Iterable[str | None],
        kind: NotificationType,
        heading: str,
        body: str,
        message_id: str | None = None,
    ) -> list[NotificationDraft]:
        return [
            NotificationDraft(
                user_id=user_id,
                type=kind,
                title=heading,
                body=body,
                workspace_id=context.workspace_id,
                chat_id=context.chat_id,
                message_id=message_id,
                actor_id=actor_id,
                source_event_id=event_id,
            )
            for user_id in _distinct_recipients(recipients, actor_id=actor_id)
        ]

    match event:
        case ChatUserAssigned(assignee_id=assignee_id):
            body = f'{actor} assigned you to "{title}"'
            return drafts([assignee_id], NotificationType.TASK_ASSIGNED, "Assigned to you", body)
        case ChatStatusChanged(new_status=status) | ChatReopened(new_status=status):
            return drafts(
                [context.assignee_id, context.creator_id],
                NotificationType.TASK_STATUS_CHANGED,
                "Status changed",
                f'{actor} changed the status of "{title}" to {status}',
            )
        case ChatClosed():
            return drafts(
                [context.assignee_id, context.creator_id],
                NotificationType.TASK_STATUS_CHANGED,
                "Status changed",
                f'{actor} changed the status of "{title}" to {CLOSED}',
            )
        case MessageCreated(message_type=MessageType.USER, mentions=mentions):
            return drafts(
                [user_id for user_id in mentions if context.can_read(user_id)],
                NotificationType.CHAT_MENTION,
                "You were mentioned",
                f'{actor} mentioned you in "{title}"',
                message_id=event.message_id,
            )
        case ChatParticipantAdded(user_id=user_id, added_by=added_by) if added_by != user_id:
            body = f'{actor} added you to "{title}"'
            return drafts([user_id], NotificationType.CHAT_ADDED, "Added to a chat", body)
    return []


def _distinct_recipients(recipients: Iterable[str | None], *, actor_id: str | None) -> list[str]:
    distinct: list[str] = []
    for user_id in recipients:
        if user_id is not None and user_id != actor_id and user_id not in distinct:
            distinct.append(user_id)
    return distinct
