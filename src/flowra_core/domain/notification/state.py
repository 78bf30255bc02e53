"""The notification inbox (domain.md §5): one aggregate per recipient, id = the user id.

A `Notification` has no `created_at`: `notification.created` carries no time, so the read
model takes it from the envelope's `occurred_at`. The inbox remembers the source key
`(source_event_id, type)` of every notification it ever received, deleted ones included, so a
redelivered event never brings a notification back.
"""

from datetime import datetime
from enum import StrEnum

import msgspec


class NotificationType(StrEnum):
    TASK_ASSIGNED = "task.assigned"
    TASK_STATUS_CHANGED = "task.status_changed"
    CHAT_MENTION = "chat.mention"
    CHAT_ADDED = "chat.added"
    SYSTEM = "system"


SourceKey = tuple[str, NotificationType]
"""`(source_event_id, type)`: with the recipient, what makes a notification unique."""


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    type: NotificationType
    title: str
    body: str
    workspace_id: str | None = None
    chat_id: str | None = None
    message_id: str | None = None
    actor_id: str | None = None
    source_event_id: str | None = None
    read_at: datetime | None = None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Inbox(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    notifications: tuple[Notification, ...] = ()
    delivered_keys: frozenset[SourceKey] = frozenset()
    version: int = 0

    def notification(self, notification_id: str) -> Notification | None:
        return next((n for n in self.notifications if n.id == notification_id), None)

    def unread(self, workspace_id: str | None = None) -> tuple[Notification, ...]:
        """Unread notifications, of one workspace when `workspace_id` is given."""
        return tuple(
            n
            for n in self.notifications
            if not n.is_read and (workspace_id is None or n.workspace_id == workspace_id)
        )
