"""Message fragments: send, older page, one message (for a live event), edit, delete,
reactions and the read marker (web-client.md §2 "Chat view")."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_core.app.messages.views import MessageView
from flowra_entrypoints.http.dto.messages import (
    MessageResponse,
    message_response,
    sent_message_response,
)
from flowra_entrypoints.web.pages.chats import PAGE_SIZE, C, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, page
from flowra_entrypoints.web.viewer import CurrentViewer, Viewer
from flowra_entrypoints.ws.gateway import WebSocketGateway

M = C + "/messages/{message_id:str}"
THREAD_PAGE = 50  # replies per page of the thread pane


@post(C + "/messages", include_in_schema=False, status_code=200)
async def send_message(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> Response[str]:
    """Sends; answers with the new message and the bot's reply, to append to the log."""
    form = await request.form()
    attachments = tuple(a for a in form.getall("attachment_ids", []) if isinstance(a, str) and a)
    sent = await core_of(request).messages.send(
        viewer.actor,
        workspace_id,
        chat_id,
        content=form_text(form, "content"),
        parent_id=form_text(form, "parent_id") or None,
        attachment_ids=attachments,
    )
    body = sent_message_response(sent)
    messages = [body] if body.bot_reply is None else [body, body.bot_reply]
    return page(
        request, "fragments/messages.html", viewer, messages=messages, workspace_id=workspace_id
    )


@get(C + "/messages", include_in_schema=False)
async def older_messages(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    cursor: FromQuery[str | None] = None,
) -> Response[str]:
    """A page of older messages (oldest first) with the loader of the page before it."""
    listed = await core_of(request).message_reads.list_top_level(
        viewer.actor, workspace_id, chat_id, limit=PAGE_SIZE, cursor=cursor
    )
    return page(
        request,
        "fragments/older.html",
        viewer,
        messages=[message_response(view) for view in reversed(listed.items)],
        older_cursor=listed.next_cursor,
        workspace_id=workspace_id,
        chat_id=chat_id,
    )


@get(M, include_in_schema=False)
async def one_message(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
) -> Response[str]:
    view = await core_of(request).message_reads.get(viewer.actor, workspace_id, chat_id, message_id)
    return _one(request, viewer, view, workspace_id)


@get(M + "/thread", include_in_schema=False)
async def thread(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
) -> Response[str]:
    """The thread pane: the message, its latest page of replies (shown oldest first, with a
    loader of the page before it) and a reply form."""
    core = core_of(request)
    parent = message_response(
        await core.message_reads.get(viewer.actor, workspace_id, chat_id, message_id)
    )
    messages, older_cursor = await _replies(request, viewer, workspace_id, chat_id, message_id)
    return page(
        request,
        "fragments/thread.html",
        viewer,
        parent=parent,
        messages=messages,
        older_cursor=older_cursor,
        workspace_id=workspace_id,
    )


@get(M + "/thread/older", include_in_schema=False)
async def older_replies(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
    cursor: FromQuery[str],
) -> Response[str]:
    """The page of replies before `cursor` (oldest first), with the loader of the one before."""
    messages, older_cursor = await _replies(
        request, viewer, workspace_id, chat_id, message_id, cursor=cursor
    )
    return page(
        request,
        "fragments/older_replies.html",
        viewer,
        messages=messages,
        older_cursor=older_cursor,
        workspace_id=workspace_id,
        chat_id=chat_id,
        parent_id=message_id,
    )


@post(M + "/edit", include_in_schema=False, status_code=200)
async def edit_message(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
) -> Response[str]:
    content = form_text(await request.form(), "content")
    view = await core_of(request).messages.edit(
        viewer.actor, workspace_id, chat_id, message_id, content=content
    )
    return _one(request, viewer, view, workspace_id)


@post(M + "/delete", include_in_schema=False, status_code=200)
async def delete_message(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
) -> Response[str]:
    core = core_of(request)
    await core.messages.delete(viewer.actor, workspace_id, chat_id, message_id)
    view = await core.message_reads.get(viewer.actor, workspace_id, chat_id, message_id)
    return _one(request, viewer, view, workspace_id)


@post(M + "/react", include_in_schema=False, status_code=200)
async def toggle_reaction(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    message_id: FromPath[str],
) -> Response[str]:
    """Adds the emoji, or takes it back when the viewer had reacted with it."""
    emoji = form_text(await request.form(), "emoji")
    core = core_of(request)
    current = message_response(
        await core.message_reads.get(viewer.actor, workspace_id, chat_id, message_id)
    )
    mine = any(r.emoji == emoji and r.me for r in current.reactions)
    change = core.messages.remove_reaction if mine else core.messages.add_reaction
    view = await change(viewer.actor, workspace_id, chat_id, message_id, emoji)
    return _one(request, viewer, view, workspace_id)


@post(C + "/read", include_in_schema=False, status_code=204)
async def mark_read(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], chat_id: FromPath[str]
) -> None:
    """Moves the read marker to the newest message (the page is showing it)."""
    read = await core_of(request).read_markers.mark_read(viewer.actor, workspace_id, chat_id, None)
    gateway: WebSocketGateway = request.app.state.ws_gateway
    await gateway.chat_read(viewer.user_id, read)


MESSAGE_ROUTES = [
    send_message,
    older_messages,
    one_message,
    thread,
    older_replies,
    edit_message,
    delete_message,
    toggle_reaction,
    mark_read,
]


def _one(
    request: AnyRequest, viewer: Viewer, view: MessageView, workspace_id: str
) -> Response[str]:
    """The message fragment for one message (after an edit, a delete or a reaction)."""
    return page(
        request,
        "fragments/messages.html",
        viewer,
        messages=[message_response(view)],
        workspace_id=workspace_id,
    )


async def _replies(
    request: AnyRequest,
    viewer: Viewer,
    workspace_id: str,
    chat_id: str,
    message_id: str,
    *,
    cursor: str | None = None,
) -> tuple[list[MessageResponse], str | None]:
    """A page of a thread's replies from the newest back, shown oldest first, and the cursor
    of the page before it."""
    replies = await core_of(request).message_reads.replies(
        viewer.actor,
        workspace_id,
        chat_id,
        message_id,
        limit=THREAD_PAGE,
        cursor=cursor,
        newest_first=True,
    )
    return [message_response(view) for view in reversed(replies.items)], replies.next_cursor
