"""Notifications: the bell (live count), the page with filters, mark read, open the message
(web-client.md §2 "Notifications")."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_core.domain.notification.state import NotificationType
from flowra_entrypoints.http.dto.notifications import notification_response
from flowra_entrypoints.web.pages.chats import core_of
from flowra_entrypoints.web.pages.common import AnyRequest, go, page
from flowra_entrypoints.web.viewer import CurrentViewer

_FILTERS = {
    "all": None,
    "unread": None,
    "mentions": NotificationType.CHAT_MENTION.value,
    "assignments": NotificationType.TASK_ASSIGNED.value,
}
_PAGE = 50
_LATEST = 5


@get("/bell", include_in_schema=False)
async def bell(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    """The bell: the unread count and the latest few, for the top bar's dropdown."""
    core = core_of(request)
    count = await core.notifications.unread_count(viewer.actor, None)
    latest = await core.notifications.list(viewer.actor, limit=_LATEST)
    items = [notification_response(view) for view in latest.items]
    return page(request, "fragments/bell.html", viewer, unread=count, latest=items)


@get("/notifications", include_in_schema=False)
async def notifications_page(
    request: AnyRequest, viewer: CurrentViewer, filter: FromQuery[str] = "all"
) -> Response[str]:
    chosen = filter if filter in _FILTERS else "all"
    core = core_of(request)
    listed = await core.notifications.list(
        viewer.actor,
        unread_only=chosen == "unread",
        workspace_id=None,
        type=_FILTERS[chosen],
        limit=_PAGE,
        cursor=None,
    )
    unread = await core.notifications.unread_count(viewer.actor, None)
    return page(
        request,
        "notifications.html",
        viewer,
        items=[notification_response(view) for view in listed.items],
        filter=chosen,
        filters=list(_FILTERS),
        unread=unread,
    )


@post("/notifications/{notification_id:str}/open", include_in_schema=False, status_code=200)
async def open_notification(
    request: AnyRequest, viewer: CurrentViewer, notification_id: FromPath[str]
) -> Response[str]:
    """Marks it read and goes to what it is about (the message in its chat)."""
    view = notification_response(
        await core_of(request).notifications.mark_read(viewer.actor, notification_id)
    )
    if view.workspace_id and view.chat_id:
        anchor = f"#m-{view.message_id}" if view.message_id else ""
        return go(request, f"/workspaces/{view.workspace_id}/chats/{view.chat_id}{anchor}")
    return go(request, "/notifications")


@post("/notifications/{notification_id:str}/read", include_in_schema=False, status_code=200)
async def mark_read(
    request: AnyRequest, viewer: CurrentViewer, notification_id: FromPath[str]
) -> Response[str]:
    await core_of(request).notifications.mark_read(viewer.actor, notification_id)
    return go(request, "/notifications")


@post("/notifications/{notification_id:str}/delete", include_in_schema=False, status_code=200)
async def delete_notification(
    request: AnyRequest, viewer: CurrentViewer, notification_id: FromPath[str]
) -> Response[str]:
    await core_of(request).notifications.delete(viewer.actor, notification_id)
    return go(request, "/notifications")


@post("/notifications/read-all", include_in_schema=False, status_code=200)
async def mark_all_read(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    await core_of(request).notifications.mark_all_read(viewer.actor, None)
    return go(request, "/notifications")


NOTIFICATION_ROUTES = [
    bell,
    notifications_page,
    open_notification,
    mark_read,
    delete_notification,
    mark_all_read,
]
