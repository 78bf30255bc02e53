"""Decide functions for a user's inbox: deliver, mark read, delete (domain.md §5).

Only the recipient reaches their inbox (the application's policy); a notification id that is
not in it is NOTIFICATION_NOT_FOUND. Reading is idempotent: already read = no event.
"""

from collections.abc import Sequence
from datetime import datetime

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.notification.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationRead,
)
from flowra_core.domain.notification.rules import NotificationDraft
from flowra_core.domain.notification.state import Inbox


def deliver_notification(
    inbox: Inbox | None, draft: NotificationDraft, *, notification_id: str
) -> list[DomainEvent]:
    """Create the drafted notification in its recipient's inbox (None: the inbox is empty so
    far); a draft whose source event already notified this recipient is a no-op."""
    if inbox is not None and draft.source_key in inbox.delivered_keys:
        return []
    return [
        NotificationCreated(
            notification_id=notification_id,
            user_id=draft.user_id,
            notification_type=draft.type,
            title=draft.title,
            body=draft.body,
            chat_id=draft.chat_id,
            message_id=draft.message_id,
            actor_id=draft.actor_id,
            workspace_id=draft.workspace_id,
            source_event_id=draft.source_event_id,
        )
    ]


def mark_read(
    inbox: Inbox | None, notification_ids: Sequence[str], *, now: datetime
) -> list[DomainEvent]:
    """Mark the given notifications read; those already read are left as they are."""
    unread_ids: list[str] = []
    for notification_id in notification_ids:
        notification = None if inbox is None else inbox.notification(notification_id)
        if notification is None:
            raise _not_found(notification_id)
        if not notification.is_read and notification_id not in unread_ids:
            unread_ids.append(notification_id)
    if inbox is None or not unread_ids:
        return []
    return [NotificationRead(user_id=inbox.id, notification_ids=tuple(unread_ids), read_at=now)]


def mark_all_read(
    inbox: Inbox | None, *, now: datetime, workspace_id: str | None = None
) -> list[DomainEvent]:
    """Mark every unread notification read, or only those of `workspace_id`.

    All workspaces: one event with `all: true`. One workspace: the event lists the ids, since
    the catalogue's `notification.read` has no workspace scope.
    """
    if inbox is None:
        return []
    unread = inbox.unread(workspace_id)
    if not unread:
        return []
    if workspace_id is None:
        return [NotificationRead(user_id=inbox.id, all=True, read_at=now)]
    ids = tuple(notification.id for notification in unread)
    return [NotificationRead(user_id=inbox.id, notification_ids=ids, read_at=now)]


def delete_notification(inbox: Inbox | None, notification_id: str) -> list[DomainEvent]:
    if inbox is None or inbox.notification(notification_id) is None:
        raise _not_found(notification_id)
    return [NotificationDeleted(user_id=inbox.id, notification_id=notification_id)]


def _not_found(notification_id: str) -> DomainError:
    return DomainError(ErrorCode.NOTIFICATION_NOT_FOUND, f"No notification {notification_id}")
