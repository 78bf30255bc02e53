"""Tasks and board (http-api.md "Tasks and board"): every filter and sort of `GET W/tasks`,
keyset pagination, and the four board columns with counts and continuation cursors."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.chats.task_filters import TaskFilters
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, NewChat, StatusCategory
from flowra_core.domain.errors import ValidationFailed
from flowra_core.testing.builder import TestCore

STEP = timedelta(minutes=1)


@dataclass
class Board:
    """Acme's work items, by title. The clock reads 2026-01-28, so a January due date is
    overdue unless the item is done."""

    ids: dict[str, str]


async def invalid_fields(call: Awaitable[object]) -> list[str]:
    with pytest.raises(ValidationFailed) as failure:
        await call
    return [error.field for error in failure.value.errors]


async def tasks(
    core: FlowraCore,
    actor: Actor,
    ws: str,
    *,
    sort: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    **filters: Any,
) -> list[str]:
    page = await core.tasks.list_tasks(
        actor, ws, TaskFilters(**filters), sort=sort, limit=limit, cursor=cursor
    )
    return [view.chat.title for view in page.items]


@pytest.fixture
async def board(
    core: FlowraCore, tc: TestCore, member: Actor, admin: Actor, workspace_id: str
) -> Board:
    ws = workspace_id
    ids: dict[str, str] = {}

    async def create(actor: Actor, **fields: Any) -> str:
        tc.clock.advance(STEP)
        view = await core.chats.create(actor, ws, NewChat(**fields))
        ids[view.chat.title] = view.chat.id
        return view.chat.id

    await create(
        member,
        type="task",
        title="Write docs",
        priority="High",
        due_date="2026-02-10",
        assignee_id=member.user_id,
    )
    await create(admin, type="task", title="Fix login", status="In Progress", priority="Critical")
    await create(
        member,
        type="bug",
        title="Crash on save",
        status="Fixed",
        severity="Blocker",
        due_date="2026-01-01",
        assignee_id=admin.user_id,
    )
    await create(
        admin,
        type="epic",
        title="Q1 roadmap",
        priority="Low",
        due_date="2026-03-01",
        description="Launch the rocket",
    )
    chore = await create(member, type="task", title="Old chore", due_date="2020-01-01")
    await core.chats.close(member, ws, chore)
    await create(admin, type="task", title="Hidden", is_public=False)
    await create(member, title="Lobby")
    gone = await create(member, type="task", title="Gone")
    await core.chats.delete(member, ws, gone)
    return Board(ids)


class TestTaskList:
    async def test_readable_live_work_items_newest_first(
        self, core: FlowraCore, member: Actor, sysadmin: Actor, workspace_id: str, board: Board
    ) -> None:
        assert await tasks(core, member, workspace_id) == [
            "Old chore",
            "Q1 roadmap",
            "Crash on save",
            "Fix login",
            "Write docs",
        ]
        assert "Hidden" in await tasks(core, sysadmin, workspace_id)

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"type": "bug,EPIC"}, ["Q1 roadmap", "Crash on save"]),
            ({"status": "closed,to do"}, ["Old chore", "Write docs"]),
            ({"category": "review,in_progress"}, ["Crash on save", "Fix login"]),
            ({"assignee": "me"}, ["Write docs"]),
            ({"assignee": "none"}, ["Old chore", "Q1 roadmap", "Fix login"]),
            ({"assignee": "me,none", "type": "task"}, ["Old chore", "Fix login", "Write docs"]),
            ({"priority": "critical,none"}, ["Old chore", "Crash on save", "Fix login"]),
            ({"severity": "blocker"}, ["Crash on save"]),
            ({"created_by": "me"}, ["Old chore", "Crash on save", "Write docs"]),
            ({"overdue": True}, ["Crash on save"]),
            ({"overdue": False, "created_by": "me"}, ["Old chore", "Write docs"]),
            ({"q": "ROCKET"}, ["Q1 roadmap"]),
            ({"q": "o", "type": "task", "priority": "High"}, ["Write docs"]),
        ],
    )
    async def test_filters_or_within_and_across(
        self,
        core: FlowraCore,
        member: Actor,
        workspace_id: str,
        board: Board,
        filters: dict[str, Any],
        expected: list[str],
    ) -> None:
        assert await tasks(core, member, workspace_id, **filters) == expected

    async def test_user_filters_take_ids(
        self, core: FlowraCore, member: Actor, admin: Actor, workspace_id: str, board: Board
    ) -> None:
        assert await tasks(core, member, workspace_id, assignee=admin.user_id) == ["Crash on save"]
        assert await tasks(core, member, workspace_id, created_by=admin.user_id) == [
            "Q1 roadmap",
            "Fix login",
        ]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("status", "Shipped"),
            ("type", "discussion"),
            ("category", "later"),
            ("priority", "urgent"),
            ("severity", "fatal"),
        ],
    )
    async def test_unknown_values_are_refused_on_their_parameter(
        self, core: FlowraCore, member: Actor, workspace_id: str, field: str, value: str
    ) -> None:
        filters: dict[str, Any] = {field: value}
        call = tasks(core, member, workspace_id, **filters)
        assert await invalid_fields(call) == [field]

    @pytest.mark.parametrize(
        ("sort", "types", "expected"),
        [
            (
                "board",
                None,
                ["Fix login", "Write docs", "Q1 roadmap", "Old chore", "Crash on save"],
            ),
            (
                "created_at",
                None,
                ["Write docs", "Fix login", "Crash on save", "Q1 roadmap", "Old chore"],
            ),
            (
                "due_date",
                None,
                ["Old chore", "Crash on save", "Write docs", "Q1 roadmap", "Fix login"],
            ),
            (
                "-due_date",
                None,
                ["Q1 roadmap", "Write docs", "Crash on save", "Old chore", "Fix login"],
            ),
            ("priority", "task,epic", ["Q1 roadmap", "Write docs", "Fix login", "Old chore"]),
            ("-priority", "task,epic", ["Fix login", "Write docs", "Q1 roadmap", "Old chore"]),
            (
                "title",
                None,
                ["Crash on save", "Fix login", "Old chore", "Q1 roadmap", "Write docs"],
            ),
            (
                "-title",
                None,
                ["Write docs", "Q1 roadmap", "Old chore", "Fix login", "Crash on save"],
            ),
        ],
    )
    async def test_sorts(
        self,
        core: FlowraCore,
        member: Actor,
        workspace_id: str,
        board: Board,
        sort: str,
        types: str | None,
        expected: list[str],
    ) -> None:
        """Board: priority desc, due date asc, newest first. Work items without a due date or
        priority come last in both directions."""
        assert await tasks(core, member, workspace_id, sort=sort, type=types) == expected

    async def test_updated_at_follows_the_latest_change(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        workspace_id: str,
        board: Board,
    ) -> None:
        tc.clock.advance(STEP)
        changes = ChatChanges(priority="Medium")
        await core.chats.patch(member, workspace_id, board.ids["Write docs"], changes)
        ordered = await tasks(core, member, workspace_id, sort="-updated_at")
        assert ordered[:2] == ["Write docs", "Old chore"]
        assert (await tasks(core, member, workspace_id, sort="updated_at"))[-1] == "Write docs"
        assert await invalid_fields(tasks(core, member, workspace_id, sort="newest")) == ["sort"]

    async def test_board_order_pages_are_stable(
        self, core: FlowraCore, member: Actor, workspace_id: str, board: Board
    ) -> None:
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = await core.tasks.list_tasks(
                member, workspace_id, TaskFilters(), sort="board", limit=2, cursor=cursor
            )
            seen += [view.chat.title for view in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == await tasks(core, member, workspace_id, sort="board")
        first = await core.tasks.list_tasks(
            member, workspace_id, TaskFilters(), sort="board", limit=2, cursor=None
        )
        assert await invalid_fields(
            tasks(core, member, workspace_id, sort="title", cursor=first.next_cursor)
        ) == ["cursor"]


class TestBoard:
    async def test_four_columns_with_totals_in_board_order(
        self, core: FlowraCore, member: Actor, workspace_id: str, board: Board
    ) -> None:
        result = await core.tasks.board(
            member, workspace_id, types=None, assignee=None, priority=None, q=None, per_column=None
        )
        assert [(c.category, c.title, c.count) for c in result.columns] == [
            (StatusCategory.TODO, "To Do", 2),
            (StatusCategory.IN_PROGRESS, "In Progress", 1),
            (StatusCategory.REVIEW, "Review", 1),
            (StatusCategory.DONE, "Done", 1),
        ]
        todo = result.columns[0]
        assert [v.chat.title for v in todo.items] == ["Write docs", "Q1 roadmap"]
        assert todo.next_cursor is None
        done = result.columns[3].items[0]
        assert (done.chat.title, done.is_overdue) == ("Old chore", False)
        review = result.columns[2].items[0]
        assert (review.assignee.username if review.assignee else None, review.is_overdue) == (
            "adam",
            True,
        )

    async def test_filters_and_unassigned_cards(
        self, core: FlowraCore, member: Actor, workspace_id: str, board: Board
    ) -> None:
        result = await core.tasks.board(
            member,
            workspace_id,
            types="task,epic",
            assignee="none",
            priority=None,
            q=None,
            per_column=None,
        )
        assert [[v.chat.title for v in c.items] for c in result.columns] == [
            ["Q1 roadmap"],
            ["Fix login"],
            [],
            ["Old chore"],
        ]
        searched = await core.tasks.board(
            member,
            workspace_id,
            types=None,
            assignee=None,
            priority="low",
            q="rocket",
            per_column=None,
        )
        assert [c.count for c in searched.columns] == [1, 0, 0, 0]

    async def test_a_full_column_continues_on_the_task_list(
        self, core: FlowraCore, member: Actor, workspace_id: str, board: Board
    ) -> None:
        result = await core.tasks.board(
            member, workspace_id, types=None, assignee=None, priority=None, q=None, per_column=1
        )
        todo = result.columns[0]
        assert ([v.chat.title for v in todo.items], todo.count) == (["Write docs"], 2)
        assert todo.next_cursor is not None
        rest = await tasks(
            core, member, workspace_id, category="todo", sort="board", cursor=todo.next_cursor
        )
        assert rest == ["Q1 roadmap"]

    async def test_per_column_is_bounded(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        for per_column in (0, 101):
            call = core.tasks.board(
                member,
                workspace_id,
                types=None,
                assignee=None,
                priority=None,
                q=None,
                per_column=per_column,
            )
            assert await invalid_fields(call) == ["per_column"]

    async def test_a_sorted_board_orders_each_column_and_continues_in_that_sort(
        self, core: FlowraCore, member: Actor, workspace_id: str, board: Board
    ) -> None:
        def column(result: Any, index: int = 0) -> list[str]:
            return [view.chat.title for view in result.columns[index].items]

        async def sorted_board(sort: str | None, per_column: int | None = None) -> Any:
            return await core.tasks.board(
                member,
                workspace_id,
                types=None,
                assignee=None,
                priority=None,
                q=None,
                per_column=per_column,
                sort=sort,
            )

        assert column(await sorted_board(None)) == ["Write docs", "Q1 roadmap"]  # board order
        assert column(await sorted_board("-due_date")) == ["Q1 roadmap", "Write docs"]
        assert column(await sorted_board("-created_at")) == ["Q1 roadmap", "Write docs"]
        assert column(await sorted_board("priority")) == ["Q1 roadmap", "Write docs"]
        first = await sorted_board("priority", per_column=1)
        todo = first.columns[0]
        assert (column(first), todo.count) == (["Q1 roadmap"], 2)
        rest = await tasks(
            core, member, workspace_id, category="todo", sort="priority", cursor=todo.next_cursor
        )
        assert rest == ["Write docs"]
        wrong_sort = tasks(
            core, member, workspace_id, category="todo", sort="board", cursor=todo.next_cursor
        )
        assert await invalid_fields(wrong_sort) == ["cursor"]
        assert await invalid_fields(sorted_board("newest")) == ["sort"]
