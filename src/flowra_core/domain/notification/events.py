"""The `notification.*` events (domain.md §6.2), in the recipient's inbox stream
(aggregate_type `notification`; the stream id is `inbox:<user id>`, because the user
aggregate's stream already has the plain user id).

`NotificationCreated.notification_type` is encoded as the catalogue's `type` field.
`workspace_id` and `source_event_id` are additions to the catalogue's payload: the inbox
needs them to mark one workspace's notifications read and to drop a redelivered event's
duplicate.
"""

from datetime import datetime
from typing import ClassVar

import msgspec

from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.notification.state import NotificationType


class NotificationCreated(DomainEvent, frozen=True, kw_only=True, tag="notification.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.NOTIFICATION
    notification_id: str
    user_id: str
    notification_type: NotificationType = msgspec.field(name="type")
    title: str
    body: str
    chat_id: str | None = None
    message_id: str | None = None
    actor_id: str | None = None
    workspace_id: str | None = None
    source_event_id: str | None = None


class NotificationRead(DomainEvent, frozen=True, kw_only=True, tag="notification.read"):
    """`all` marks every notification unread at that point; the ids are then empty."""

    aggregate_type: ClassVar[AggregateType] = AggregateType.NOTIFICATION
    user_id: str
    notification_ids: tuple[str, ...] = ()
    all: bool = False
    read_at: datetime


class NotificationDeleted(DomainEvent, frozen=True, kw_only=True, tag="notification.deleted"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.NOTIFICATION
    user_id: str
    notification_id: str


NotificationEvent = NotificationCreated | NotificationRead | NotificationDeleted
"""The union of every inbox event, for decoding an inbox stream."""
