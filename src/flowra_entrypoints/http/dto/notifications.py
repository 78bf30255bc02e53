"""Notification bodies (http-api.md §4 "Notification", routes "Notifications")."""

from __future__ import annotations

from flowra_core.app.notifications.service import NotificationView
from flowra_entrypoints.http.dto.common import RequestBody, Struct, Timestamp, ts, ts_or_none
from flowra_entrypoints.http.dto.constraints import (
    Uuid,
)


class MarkAllReadRequest(RequestBody):
    workspace_id: Uuid | None = None


class NotificationResponse(Struct):
    id: str
    type: str
    title: str
    body: str
    workspace_id: str | None
    chat_id: str | None
    message_id: str | None
    actor_id: str | None
    is_read: bool
    read_at: Timestamp | None
    created_at: Timestamp


def notification_response(view: NotificationView) -> NotificationResponse:
    return NotificationResponse(
        id=view.id,
        type=view.type.value,
        title=view.title,
        body=view.body,
        workspace_id=view.workspace_id,
        chat_id=view.chat_id,
        message_id=view.message_id,
        actor_id=view.actor_id,
        is_read=view.is_read,
        read_at=ts_or_none(view.read_at),
        created_at=ts(view.created_at),
    )


class UnreadCountResponse(Struct):
    count: int


class MarkedCountResponse(Struct):
    marked_count: int
