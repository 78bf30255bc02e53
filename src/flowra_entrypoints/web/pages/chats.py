"""The chats layout: workspace home, sidebar, chat view with its work-item panel, create and
join (web-client.md §2 "Chats layout", "Chat view", "Task side panel")."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response
from msgspec import UNSET

from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import STATUSES, ChatChanges, ChatType, NewChat, Priority, Severity
from flowra_core.domain.errors import ValidationFailed
from flowra_entrypoints.http.dto.chats import (
    ChatSummaryResponse,
    chat_response,
    chat_summary_response,
)
from flowra_entrypoints.http.dto.messages import message_response
from flowra_entrypoints.http.dto.workspaces import member_response, workspace_response
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, go, page
from flowra_entrypoints.web.pages.timeline import activity_context
from flowra_entrypoints.web.viewer import CurrentViewer, Viewer

W = "/workspaces/{workspace_id:str}"
C = W + "/chats/{chat_id:str}"
PAGE_SIZE = 50
_PAGE_LIMIT = 100  # the largest page the use cases give
_SIDEBAR_PAGES = 5  # up to 500 chats in the sidebar
_PANEL_FIELDS = ("status", "priority", "severity", "assignee_id", "due_date")


def core_of(request: AnyRequest) -> FlowraCore:
    core: FlowraCore = request.app.state.core
    return core


async def sidebar_context(
    request: AnyRequest, viewer: Viewer, workspace_id: str, current: str | None
) -> dict[str, Any]:
    core = core_of(request)
    workspace = workspace_response(await core.workspaces.get(viewer.actor, workspace_id))
    chats: list[ChatSummaryResponse] = []
    cursor: str | None = None
    for _ in range(_SIDEBAR_PAGES):
        listed = await core.chat_reads.list_chats(
            viewer.actor,
            workspace_id,
            types=None,
            q=None,
            joined=False,
            sort=None,
            limit=_PAGE_LIMIT,
            cursor=cursor,
        )
        chats.extend(chat_summary_response(view) for view in listed.items)
        cursor = listed.next_cursor
        if cursor is None:
            break
    return {"workspace": workspace, "chats": chats, "current_chat_id": current}


async def _members(request: AnyRequest, viewer: Viewer, workspace_id: str) -> list[Any]:
    listed = await core_of(request).workspaces.members(
        viewer.actor, workspace_id, role=None, q=None, limit=_PAGE_LIMIT, cursor=None
    )
    return [member_response(view) for view in listed.items]


async def member_names(request: AnyRequest, viewer: Viewer, workspace_id: str) -> dict[str, str]:
    return {m.user_id: m.display_name for m in await _members(request, viewer, workspace_id)}


def vocabulary(chat_type: str) -> dict[str, Any]:
    """The choices of the work-item panel for a type (domain.md §3)."""
    typed = ChatType(chat_type)
    return {
        "statuses": [status.value for status in STATUSES[typed]],
        "priorities": [priority.value for priority in Priority],
        "severities": [severity.value for severity in Severity],
    }


async def chat_context(
    request: AnyRequest, viewer: Viewer, workspace_id: str, chat_id: str
) -> dict[str, Any]:
    core = core_of(request)
    chat = chat_response(await core.chat_reads.get(viewer.actor, workspace_id, chat_id))
    listed = await core.message_reads.list_top_level(
        viewer.actor, workspace_id, chat_id, limit=PAGE_SIZE, cursor=None
    )
    messages = [message_response(view) for view in reversed(listed.items)]
    typed = chat.type != ChatType.DISCUSSION.value
    presence = await core.chat_reads.presence(
        viewer.actor, workspace_id, chat_id, limit=_PAGE_LIMIT, cursor=None
    )
    members = await _members(request, viewer, workspace_id)
    context: dict[str, Any] = {}
    if typed:
        names = {m.user_id: m.display_name for m in members}
        context = await activity_context(core, viewer, workspace_id, chat_id, None, names)
    return {
        **context,
        # Participants and workspace members both: message authors' dots start right too.
        "online": {view.user_id for view in presence.items if view.is_online}
        | {member.user_id for member in members if member.is_online},
        "chat": chat,
        "messages": messages,
        "older_cursor": listed.next_cursor,
        "members": members,
        "vocab": vocabulary(chat.type) if typed else {},
    }


@get(W, include_in_schema=False)
async def workspace_home(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    context = await sidebar_context(request, viewer, workspace_id, None)
    members = await _members(request, viewer, workspace_id)
    return page(request, "workspace.html", viewer, members=members, **context)


@get(W + "/sidebar", include_in_schema=False)
async def sidebar(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    current: FromQuery[str | None] = None,
) -> Response[str]:
    context = await sidebar_context(request, viewer, workspace_id, current)
    return page(request, "fragments/sidebar.html", viewer, **context)


@get(C, include_in_schema=False)
async def chat_page(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> Response[str]:
    context = await sidebar_context(request, viewer, workspace_id, chat_id)
    context.update(await chat_context(request, viewer, workspace_id, chat_id))
    return page(request, "chat.html", viewer, **context)


@get(C + "/panel", include_in_schema=False)
async def chat_panel(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> Response[str]:
    """The header and work-item panel again (after a live change)."""
    context = await sidebar_context(request, viewer, workspace_id, chat_id)
    context.update(await chat_context(request, viewer, workspace_id, chat_id))
    return page(request, "fragments/chat_side.html", viewer, **context)


@post(W + "/chats", include_in_schema=False, status_code=200)
async def create_chat(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    participants = tuple(p for p in form.getall("participant_ids", []) if isinstance(p, str))
    draft = NewChat(
        type=form_text(form, "type") or None,
        title=form_text(form, "title") or None,
        description=form_text(form, "description") or None,
        is_public=form_text(form, "visibility") != "private",
        participant_ids=participants,
    )
    view = await core_of(request).chats.create(viewer.actor, workspace_id, draft)
    return go(request, f"/workspaces/{workspace_id}/chats/{view.chat.id}")


@post(C + "/join", include_in_schema=False, status_code=200)
async def join_chat(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> Response[str]:
    await core_of(request).chats.join(viewer.actor, workspace_id, chat_id)
    return go(request, f"/workspaces/{workspace_id}/chats/{chat_id}")


def _panel_changes(form: Any) -> ChatChanges:
    """Only the fields the form sent; an empty choice clears a nullable field."""
    values: dict[str, Any] = {}
    for field in _PANEL_FIELDS:
        if field in form:
            text = form_text(form, field)
            values[field] = text if text or field == "status" else None
    if "description" in form:
        values["description"] = form_text(form, "description")
    if not values:
        raise ValidationFailed.single("body", "give at least one field to change")
    fields = ChatChanges.__struct_fields__
    return ChatChanges(**{name: values.get(name, UNSET) for name in fields})


@post(C + "/fields", include_in_schema=False, status_code=200)
async def patch_fields(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> Response[str]:
    """A change from the work-item panel; answers with the panel re-rendered."""
    changes = _panel_changes(await request.form())
    await core_of(request).chats.patch(viewer.actor, workspace_id, chat_id, changes)
    context = await sidebar_context(request, viewer, workspace_id, chat_id)
    context.update(await chat_context(request, viewer, workspace_id, chat_id))
    return page(request, "fragments/chat_side.html", viewer, **context)


CHAT_ROUTES = [
    workspace_home,
    sidebar,
    chat_page,
    chat_panel,
    create_chat,
    join_chat,
    patch_fields,
]
