"""Notification routes (http-api.md "Notifications"): the caller's own inbox."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import (
    Id,
    Limit,
    NotificationTypeName,
    Uuid,
)
from flowra_entrypoints.http.dto.notifications import (
    MarkAllReadRequest,
    MarkedCountResponse,
    NotificationResponse,
    UnreadCountResponse,
    notification_response,
)
from flowra_entrypoints.http.strict_bodies import optional_strict_body

N = "/{notification_id:str}"


class NotificationsController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/", summary="The caller's notifications, newest first")
    async def list_notifications(
        self,
        actor: CurrentActor,
        core: Core,
        unread_only: FromQuery[bool] = False,
        workspace_id: FromQuery[Uuid | None] = None,
        type: FromQuery[NotificationTypeName | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[NotificationResponse]:
        page = await core.notifications.list(
            actor,
            unread_only=unread_only,
            workspace_id=workspace_id,
            type=type,
            limit=limit,
            cursor=cursor,
        )
        return list_response(page, notification_response)

    @get("/unread-count", summary="How many notifications are unread")
    async def unread_count(
        self, actor: CurrentActor, core: Core, workspace_id: FromQuery[Uuid | None] = None
    ) -> UnreadCountResponse:
        count = await core.notifications.unread_count(actor, workspace_id)
        return UnreadCountResponse(count=count)

    @post(N + "/read", status_code=HTTP_200_OK, summary="Mark one notification read")
    async def mark_read(
        self, notification_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> NotificationResponse:
        view = await core.notifications.mark_read(actor, notification_id)
        return notification_response(view)

    @post(
        "/read-all",
        status_code=HTTP_200_OK,
        before_request=optional_strict_body,
        summary="Mark every notification read",
    )
    async def mark_all_read(
        self, actor: CurrentActor, core: Core, data: JSONBody[MarkAllReadRequest | None] = None
    ) -> MarkedCountResponse:
        workspace_id = None if data is None else data.workspace_id
        marked = await core.notifications.mark_all_read(actor, workspace_id)
        return MarkedCountResponse(marked_count=marked)

    @delete(N, summary="Delete a notification")
    async def delete_notification(
        self, notification_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.notifications.delete(actor, notification_id)
