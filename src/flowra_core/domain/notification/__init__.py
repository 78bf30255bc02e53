"""Notifications (domain.md §5): the generation rules and each user's inbox aggregate."""

from flowra_core.domain.notification.commands import (
    delete_notification,
    deliver_notification,
    mark_all_read,
    mark_read,
)
from flowra_core.domain.notification.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationEvent,
    NotificationRead,
)
from flowra_core.domain.notification.evolve import evolve, replay
from flowra_core.domain.notification.rules import (
    UNTITLED_CHAT,
    NotificationContext,
    NotificationDraft,
    notifications_for,
)
from flowra_core.domain.notification.state import (
    Inbox,
    Notification,
    NotificationType,
    SourceKey,
)

__all__ = [
    "UNTITLED_CHAT",
    "Inbox",
    "Notification",
    "NotificationContext",
    "NotificationCreated",
    "NotificationDeleted",
    "NotificationDraft",
    "NotificationEvent",
    "NotificationRead",
    "NotificationType",
    "SourceKey",
    "delete_notification",
    "deliver_notification",
    "evolve",
    "mark_all_read",
    "mark_read",
    "notifications_for",
    "replay",
]
