"""Apply inbox events to the inbox state; trusts the events, never validates."""

from collections.abc import Iterable

from msgspec.structs import replace

from flowra_core.domain.events import DomainEvent
from flowra_core.domain.notification.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationRead,
)
from flowra_core.domain.notification.state import Inbox, Notification


def evolve(state: Inbox | None, event: DomainEvent) -> Inbox:
    inbox = state
    if inbox is None:
        if not isinstance(event, NotificationCreated):
            raise ValueError(f"an inbox starts with notification.created, not {event!r}")
        inbox = Inbox(id=event.user_id)
    return replace(_apply(inbox, event), version=inbox.version + 1)


def replay(events: Iterable[DomainEvent]) -> Inbox | None:
    state: Inbox | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _apply(inbox: Inbox, event: DomainEvent) -> Inbox:
    match event:
        case NotificationCreated():
            return _add(inbox, event)
        case NotificationRead(all=everything, notification_ids=ids, read_at=read_at):
            return replace(
                inbox,
                notifications=tuple(
                    replace(n, read_at=read_at)
                    if not n.is_read and (everything or n.id in ids)
                    else n
                    for n in inbox.notifications
                ),
            )
        case NotificationDeleted(notification_id=notification_id):
            return replace(
                inbox,
                notifications=tuple(n for n in inbox.notifications if n.id != notification_id),
            )
    raise ValueError(f"not a notification event: {event!r}")


def _add(inbox: Inbox, event: NotificationCreated) -> Inbox:
    notification = Notification(
        id=event.notification_id,
        user_id=event.user_id,
        type=event.notification_type,
        title=event.title,
        body=event.body,
        workspace_id=event.workspace_id,
        chat_id=event.chat_id,
        message_id=event.message_id,
        actor_id=event.actor_id,
        source_event_id=event.source_event_id,
    )
    keys = inbox.delivered_keys
    if event.source_event_id is not None:
        keys = keys | {(event.source_event_id, event.notification_type)}
    return replace(inbox, notifications=(*inbox.notifications, notification), delivered_keys=keys)
