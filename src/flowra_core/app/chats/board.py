"""Tasks and board (http-api.md "Tasks and board"): the filtered work-item list and the
four-column board built from status categories."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flowra_core.app.actor import Actor
from flowra_core.app.chats.commands import ChatCommands
from flowra_core.app.chats.task_filters import (
    TaskFilters,
    task_fingerprint,
    task_query,
    task_sort,
)
from flowra_core.app.chats.views import ChatSummaryView, ChatViews
from flowra_core.app.pagination import MAX_LIMIT, Page, PageRequest, make_page, page_request
from flowra_core.domain.chat import StatusCategory
from flowra_core.domain.errors import ValidationFailed
from flowra_core.ports.chats import ChatRecord, ChatStore, TaskQuery, TaskSort, task_order
from flowra_core.ports.clock import Clock

DEFAULT_PER_COLUMN = 20


@dataclass(frozen=True, slots=True)
class BoardColumn:
    """`next_cursor` continues on `W/tasks?category=<category>&sort=<the board's sort>` with
    the same filters."""

    category: StatusCategory
    title: str
    count: int
    items: list[ChatSummaryView]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Board:
    """Always four columns: todo, in_progress, review, done."""

    columns: list[BoardColumn]


def _per_column(value: int | None) -> int:
    if value is None:
        return DEFAULT_PER_COLUMN
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed.single("per_column", f"must be between 1 and {MAX_LIMIT}")
    return value


class TaskService:
    def __init__(
        self, commands: ChatCommands, views: ChatViews, chats: ChatStore, clock: Clock
    ) -> None:
        self._commands = commands
        self._views = views
        self._chats = chats
        self._clock = clock

    async def _page(
        self, actor: Actor, query: TaskQuery, request: PageRequest
    ) -> Page[ChatSummaryView]:
        order = task_order(query.sort)
        rows = await self._chats.list_tasks(query, after=request.after, limit=request.limit + 1)
        page = make_page(rows, request, task_fingerprint(query), order.key)
        return Page(await self._views.summaries(actor, page.items), page.next_cursor)

    async def list_tasks(
        self,
        actor: Actor,
        workspace_id: str,
        filters: TaskFilters,
        *,
        sort: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[ChatSummaryView]:
        """`GET W/tasks`: readable live work items; `sort` defaults to `-created_at`."""
        await self._commands.workspace(actor, workspace_id)
        query = task_query(
            filters,
            workspace_id=workspace_id,
            actor=actor,
            sort=task_sort(sort),
            now=self._clock.now(),
        )
        order = task_order(query.sort)
        request = page_request(limit, cursor, task_fingerprint(query), key_type=order.key_type)
        return await self._page(actor, query, request)

    async def board(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        types: str | None,
        assignee: str | None,
        priority: str | None,
        q: str | None,
        per_column: int | None,
        sort: str | None = None,
    ) -> Board:
        """`GET W/board`: per category, the column total and its first items in board order
        (or in `sort`, any sort of `W/tasks`). `types` is the comma list of `type`."""
        await self._commands.workspace(actor, workspace_id)
        filters = TaskFilters(type=types, assignee=assignee, priority=priority, q=q)
        base = task_query(
            filters,
            workspace_id=workspace_id,
            actor=actor,
            sort=TaskSort.BOARD if sort is None else task_sort(sort),
            now=self._clock.now(),
        )
        request = PageRequest(_per_column(per_column), None)
        # Four column pages; a column that fits on its page is counted by its page, the
        # others by one count per category for them all; then the summaries of every item at
        # once (one marker look-up, and an unread count only where the markers lack one).
        pages: list[Page[ChatRecord]] = []
        for category in StatusCategory:
            query = replace(base, categories=frozenset({category}))
            order = task_order(query.sort)
            rows = await self._chats.list_tasks(query, after=None, limit=request.limit + 1)
            pages.append(make_page(rows, request, task_fingerprint(query), order.key))
        counts: dict[StatusCategory, int] = {
            category: len(page.items)
            for category, page in zip(StatusCategory, pages, strict=True)
            if page.next_cursor is None
        }
        overflowing = frozenset(StatusCategory) - counts.keys()
        if overflowing:
            counted = await self._chats.count_tasks_by_category(
                replace(base, categories=overflowing)
            )
            counts.update({category: counted.get(category, 0) for category in overflowing})
        items = [record for page in pages for record in page.items]
        summaries = iter(await self._views.summaries(actor, items))
        return Board(
            [
                BoardColumn(
                    category=category,
                    title=category.board_title,
                    count=counts.get(category, 0),
                    items=[next(summaries) for _ in page.items],
                    next_cursor=page.next_cursor,
                )
                for category, page in zip(StatusCategory, pages, strict=True)
            ]
        )
