"""ChatStore contract, lists: `list_chats`, `list_tasks` and `count_tasks` filter exactly as the
port describes, and every sort order pages through the rows in the order of the port's own
key (`chat_order` / `task_order`), each page continuing strictly after the previous one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from flowra_core.domain.chat.vocabulary import ChatType, Priority, Severity, Status, StatusCategory
from flowra_core.ports.chats import (
    ChatListQuery,
    ChatRecord,
    ChatSort,
    NullableFilter,
    SortKey,
    TaskQuery,
    TaskSort,
    chat_order,
    task_order,
)

from .backends import Ports
from .chat_samples import (
    LIVE_IN_WORKSPACE,
    NOW,
    WORK_ITEMS,
    WORKSPACE,
    at,
    expected_order,
    page_through,
    seed,
)

pytestmark = pytest.mark.integration


def chats_query(reader_id: str | None = None, **filters: Any) -> ChatListQuery:
    sort = filters.pop("sort", ChatSort.TITLE)
    return ChatListQuery(workspace_id=WORKSPACE, reader_id=reader_id, sort=sort, **filters)


def tasks_query(reader_id: str | None = None, **filters: Any) -> TaskQuery:
    sort = filters.pop("sort", TaskSort.TITLE)
    return TaskQuery(workspace_id=WORKSPACE, reader_id=reader_id, sort=sort, now=NOW, **filters)


def ids(rows: Sequence[ChatRecord]) -> set[str]:
    return {row.chat.id for row in rows}


async def chat_ids(ports: Ports, query: ChatListQuery) -> set[str]:
    return ids(await ports.chats.list_chats(query, after=None, limit=100))


async def task_ids(ports: Ports, query: TaskQuery) -> set[str]:
    found = ids(await ports.chats.list_tasks(query, after=None, limit=100))
    assert await ports.chats.count_tasks(query) == len(found)
    by_category = await ports.chats.count_tasks_by_category(query)
    assert sum(by_category.values()) == len(found)
    return found


class TestListChatsFilters:
    @pytest.mark.parametrize(
        ("reader", "expected"),
        [
            ("u1", {"c1", "c2", "c4", "c5", "c6", "c10"}),
            ("u3", {"c1", "c2", "c4", "c5", "c6", "c7", "c10"}),
            (None, set(LIVE_IN_WORKSPACE)),
        ],
    )
    async def test_public_chats_and_the_readers_own(
        self, ports: Ports, reader: str | None, expected: set[str]
    ) -> None:
        await seed(ports)

        assert await chat_ids(ports, chats_query(reader)) == expected

    async def test_by_type(self, ports: Ports) -> None:
        await seed(ports)

        found = await chat_ids(ports, chats_query(types=frozenset({ChatType.DISCUSSION})))

        assert found == {"c1", "c7"}

    async def test_title_contains_ignores_case_and_reads_literally(self, ports: Ports) -> None:
        await seed(ports)

        assert await chat_ids(ports, chats_query(title_contains="FIX")) == {"c2", "c5"}
        assert await chat_ids(ports, chats_query(title_contains="x l")) == {"c2", "c5"}
        assert await chat_ids(ports, chats_query(title_contains="f.x")) == set()

    async def test_only_the_participants_chats(self, ports: Ports) -> None:
        await seed(ports)

        joined = await chat_ids(ports, chats_query("u1", participant_id="u3"))

        assert joined == {"c4", "c5"}


class TestListTasksFilters:
    async def test_live_work_items_only(self, ports: Ports) -> None:
        await seed(ports)

        assert await task_ids(ports, tasks_query()) == set(WORK_ITEMS)
        assert await task_ids(ports, tasks_query("u1")) == {"c2", "c4", "c5", "c6", "c10"}

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"types": frozenset({ChatType.BUG})}, {"c3", "c10"}),
            ({"types": frozenset({ChatType.DISCUSSION})}, set()),
            ({"statuses": frozenset({Status.TO_DO, Status.NEW})}, {"c2", "c10"}),
            ({"categories": frozenset({StatusCategory.DONE})}, {"c4", "c6"}),
            ({"assignees": NullableFilter(frozenset({"u1"}))}, {"c2"}),
            (
                {"assignees": NullableFilter(frozenset({"u1"}), include_none=True)},
                {"c2", "c4", "c5", "c10"},
            ),
            (
                {"assignees": NullableFilter(frozenset[str](), include_none=True)},
                {"c4", "c5", "c10"},
            ),
            ({"priorities": NullableFilter(frozenset({Priority.HIGH}))}, {"c2", "c10"}),
            (
                {"priorities": NullableFilter(frozenset({Priority.HIGH}), include_none=True)},
                {"c2", "c4", "c10"},
            ),
            ({"severities": frozenset({Severity.MAJOR})}, {"c3"}),
            ({"created_by": frozenset({"u2", "u3"})}, {"c3", "c4"}),
            ({"overdue": True}, {"c3"}),
            ({"overdue": False}, {"c2", "c4", "c5", "c6", "c10"}),
            ({"text_contains": "login"}, {"c2", "c5"}),
            ({"text_contains": "50%"}, {"c5"}),
            ({"text_contains": "(50"}, {"c5"}),
            (
                {"types": frozenset({ChatType.TASK}), "text_contains": "LOG", "overdue": False},
                {"c2", "c5"},
            ),
        ],
    )
    async def test_each_filter_and_their_combination(
        self, ports: Ports, filters: dict[str, Any], expected: set[str]
    ) -> None:
        await seed(ports)

        assert await task_ids(ports, tasks_query(**filters)) == expected


class TestOrders:
    @pytest.mark.parametrize("sort", list(ChatSort))
    @pytest.mark.parametrize("page_size", [1, 3, 100])
    async def test_every_chat_order_pages_like_its_key(
        self, ports: Ports, sort: ChatSort, page_size: int
    ) -> None:
        await seed(ports)
        query = chats_query(sort=sort)

        async def fetch(after: SortKey | None, limit: int) -> Sequence[ChatRecord]:
            return await ports.chats.list_chats(query, after=after, limit=limit)

        order = chat_order(sort)
        seen = await page_through(fetch, order, page_size)
        assert seen == expected_order(LIVE_IN_WORKSPACE, order)

    @pytest.mark.parametrize("sort", list(TaskSort))
    @pytest.mark.parametrize("page_size", [1, 4])
    async def test_every_task_order_pages_like_its_key(
        self, ports: Ports, sort: TaskSort, page_size: int
    ) -> None:
        await seed(ports)
        query = tasks_query(sort=sort)

        async def fetch(after: SortKey | None, limit: int) -> Sequence[ChatRecord]:
            return await ports.chats.list_tasks(query, after=after, limit=limit)

        order = task_order(sort)
        seen = await page_through(fetch, order, page_size)
        assert seen == expected_order(WORK_ITEMS, order)

    async def test_recent_activity_follows_the_newest_message(self, ports: Ports) -> None:
        await seed(ports)
        query = chats_query(sort=ChatSort.LAST_ACTIVITY_DESC)

        before = await ports.chats.list_chats(query, after=None, limit=3)
        await ports.chats.set_last_message_at("c1", None)
        await ports.chats.set_last_message_at("c6", at(hours=10))
        after = await ports.chats.list_chats(query, after=None, limit=3)

        assert [row.chat.id for row in before] == ["c1", "c5", "c4"]
        assert [(row.chat.id, row.last_message_at) for row in after] == [
            ("c6", at(hours=10)),
            ("c5", at(hours=2)),
            ("c1", None),
        ]

    async def test_rows_carry_their_last_message_time(self, ports: Ports) -> None:
        await seed(ports)

        rows = await ports.chats.list_chats(chats_query(), after=None, limit=100)

        times = {row.chat.id: row.last_message_at for row in rows if row.last_message_at}
        assert times == {"c1": at(hours=3), "c3": at(seconds=30), "c5": at(hours=2)}

    async def test_a_zero_limit_returns_nothing(self, ports: Ports) -> None:
        await seed(ports)

        assert list(await ports.chats.list_tasks(tasks_query(), after=None, limit=0)) == []
