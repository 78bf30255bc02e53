"""The board: columns by status category, filters, moves by drag and drop or keyboard,
quick-create (web-client.md §2 "Board")."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_core.app.chats.task_filters import TaskFilters
from flowra_core.domain.chat import (
    ChatChanges,
    NewChat,
    Priority,
    StatusCategory,
    parse_category,
)
from flowra_core.ports.chats import TaskSort
from flowra_entrypoints.http.dto.chats import board_response, chat_summary_response
from flowra_entrypoints.web.pages.chats import W, core_of, sidebar_context
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, page
from flowra_entrypoints.web.viewer import CurrentViewer, Viewer

_TYPES = ("task", "bug", "epic")
PER_COLUMN = 20  # cards a column shows before its "Show more"
# The board's sort choices (value: a sort of `W/tasks`, "" = the board's own order).
_SORTS = (
    ("", "Board order"),
    ("-priority", "Priority, highest first"),
    ("due_date", "Due date, soonest first"),
    ("-updated_at", "Last updated"),
    ("-created_at", "Newest"),
    ("title", "Title"),
)


async def _board_context(
    request: AnyRequest, viewer: Viewer, workspace_id: str, filters: dict[str, str]
) -> dict[str, Any]:
    board = await core_of(request).tasks.board(
        viewer.actor,
        workspace_id,
        types=filters["type"] or None,
        assignee=filters["assignee"] or None,
        priority=filters["priority"] or None,
        q=filters["q"] or None,
        per_column=PER_COLUMN,
        sort=filters["sort"] or None,
    )
    return {
        "board": board_response(board),
        "filters": filters,
        "types": _TYPES,
        "sorts": _SORTS,
        "priorities": [priority.value for priority in Priority],
        "now_iso": core_of(request).ports.clock.now().isoformat(),
    }


def _filters(
    type: str | None,
    assignee: str | None,
    priority: str | None,
    q: str | None,
    sort: str | None = None,
) -> dict[str, str]:
    return {
        "type": type or "",
        "assignee": assignee or "",
        "priority": priority or "",
        "q": q or "",
        "sort": sort or "",
    }


def _targets() -> list[dict[str, str]]:
    """The columns a card can move to, for its keyboard "Move … to" list."""
    return [{"category": c.value, "title": c.board_title} for c in StatusCategory]


def _columns(
    request: AnyRequest, viewer: Viewer, workspace_id: str, context: dict[str, Any]
) -> Response[str]:
    return page(
        request, "fragments/board_columns.html", viewer, workspace_id=workspace_id, **context
    )


@get(W + "/board", include_in_schema=False)
async def board_page(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    type: FromQuery[str | None] = None,
    assignee: FromQuery[str | None] = None,
    priority: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    fragment: FromQuery[bool] = False,
) -> Response[str]:
    filters = _filters(type, assignee, priority, q, sort)
    context = await _board_context(request, viewer, workspace_id, filters)
    if fragment:
        return page(
            request, "fragments/board_columns.html", viewer, workspace_id=workspace_id, **context
        )
    context.update(await sidebar_context(request, viewer, workspace_id, None))
    return page(request, "board.html", viewer, **context)


@get(W + "/board/more", include_in_schema=False)
async def column_more(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    category: FromQuery[str],
    cursor: FromQuery[str],
    type: FromQuery[str | None] = None,
    assignee: FromQuery[str | None] = None,
    priority: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
) -> Response[str]:
    """The next cards of one column: the task list of its category in the board's sort, from
    the column's cursor (the core refuses a cursor of other filters or another sort)."""
    filters = _filters(type, assignee, priority, q, sort)
    listed = await core_of(request).tasks.list_tasks(
        viewer.actor,
        workspace_id,
        TaskFilters(
            type=type or None,
            category=category,
            assignee=assignee or None,
            priority=priority or None,
            q=q or None,
        ),
        sort=sort or TaskSort.BOARD.value,
        limit=PER_COLUMN,
        cursor=cursor,
    )
    column = parse_category(category)  # valid: the core has read the list by it
    return page(
        request,
        "fragments/board_more.html",
        viewer,
        workspace_id=workspace_id,
        items=[chat_summary_response(view) for view in listed.items],
        next_cursor=listed.next_cursor,
        category=column.value,
        column_title=column.board_title,
        targets=_targets(),
        filters=filters,
    )


@post(W + "/board/move", include_in_schema=False, status_code=204)
async def move_card(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> None:
    """Moves a card to a column (its category); a move the type cannot make is refused with
    the server's sentence, and the page puts the card back."""
    form = await request.form()
    changes = ChatChanges(category=form_text(form, "category"))
    await core_of(request).chats.patch(
        viewer.actor, workspace_id, form_text(form, "chat_id"), changes
    )


@post(W + "/board/cards", include_in_schema=False, status_code=200)
async def quick_create(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    draft = NewChat(type=form_text(form, "type") or "task", title=form_text(form, "title") or None)
    await core_of(request).chats.create_task(viewer.actor, workspace_id, draft)
    context = await _board_context(request, viewer, workspace_id, _filters(None, None, None, None))
    return page(
        request, "fragments/board_columns.html", viewer, workspace_id=workspace_id, **context
    )


BOARD_ROUTES = [board_page, column_more, move_card, quick_create]
