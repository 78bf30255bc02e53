"""Work-item lists over HTTP: `GET W/tasks` with its filters, sorts and paging, and the board
(http-api.md "Tasks and board").

Acme is owned by olga; adam is an admin, max and mia are members. `items` creates, one second
apart and all public unless said otherwise:

| title  | type | by   | status      | priority | severity | assignee | due          |
|--------|------|------|-------------|----------|----------|----------|--------------|
| Alpha  | task | olga | In Progress | High     |          | max      | 10 days ago  |
| Beta   | bug  | max  | New         | Critical | Major    |          |              |
| Gamma  | epic | olga | Completed   |          |          |          | 20 days ago  |
| Delta  | task | olga | Closed      | Low      |          | mia      | in 10 days   |
| Hidden | task | olga | To Do       | High     |          |          | (private)    |

plus the discussion "Talk". Delta's description says "the needle".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import API, STEP, Headers, Login, MakeChat, assert_problem, case_id, ok


@pytest.fixture
async def items(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    make_chat: MakeChat,
    clock: FixedClock,
) -> dict[str, str]:
    def day(offset: int) -> str:
        return (clock.now() + timedelta(days=offset)).strftime("%Y-%m-%dT%H:%M:%S")

    specs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "Alpha",
            "olga",
            {
                "type": "task",
                "status": "In Progress",
                "priority": "High",
                "assignee_id": user_ids["max"],
                "due_date": day(-10),
            },
        ),
        ("Beta", "max", {"type": "bug", "priority": "Critical", "severity": "Major"}),
        ("Gamma", "olga", {"type": "epic", "status": "Completed", "due_date": day(-20)}),
        (
            "Delta",
            "olga",
            {
                "type": "task",
                "priority": "Low",
                "assignee_id": user_ids["mia"],
                "due_date": day(10),
                "description": "Find the needle",
            },
        ),
        ("Hidden", "olga", {"type": "task", "priority": "High", "is_public": False}),
        ("Talk", "olga", {}),
    ]
    ids = {}
    for title, creator, fields in specs:
        ids[title] = await make_chat(creator, title=title, **fields)
        clock.advance(STEP)
    delta = f"{API}/workspaces/{workspace_id}/chats/{ids['Delta']}"
    await ok(client.post(f"{delta}/close", headers=await login("olga")))
    return ids


async def task_titles(
    client: httpx.AsyncClient, headers: Headers, workspace_id: str, **params: Any
) -> list[str]:
    url = f"{API}/workspaces/{workspace_id}/tasks"
    listed = await ok(client.get(url, params=params, headers=headers))
    return [item["title"] for item in listed["items"]]


class TestFilters:
    async def test_filters_or_within_and_across(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        items: dict[str, str],
    ) -> None:
        for params, expected in [
            ({}, ["Delta", "Gamma", "Beta", "Alpha"]),
            ({"type": "task"}, ["Delta", "Alpha"]),
            ({"type": "Bug, EPIC"}, ["Gamma", "Beta"]),
            ({"status": "in progress"}, ["Alpha"]),
            ({"status": "Closed,New"}, ["Delta", "Beta"]),
            ({"category": "done"}, ["Delta", "Gamma"]),
            ({"category": "todo,in_progress"}, ["Beta", "Alpha"]),
            ({"category": "review"}, []),
            ({"assignee": "me"}, ["Alpha"]),
            ({"assignee": "none"}, ["Gamma", "Beta"]),
            ({"assignee": "{mia}"}, ["Delta"]),
            ({"assignee": "{mia},none"}, ["Delta", "Gamma", "Beta"]),
            ({"priority": "high,CRITICAL"}, ["Beta", "Alpha"]),
            ({"priority": "none"}, ["Gamma"]),
            ({"severity": "major"}, ["Beta"]),
            ({"created_by": "me"}, ["Beta"]),
            ({"created_by": "{olga}"}, ["Delta", "Gamma", "Alpha"]),
            ({"overdue": "true"}, ["Alpha"]),
            ({"overdue": "0"}, ["Delta", "Gamma", "Beta"]),
            ({"q": "NEEDLE"}, ["Delta"]),
            ({"q": "ph"}, ["Alpha"]),
            ({"q": "%"}, []),
            ({"type": "task", "priority": "high"}, ["Alpha"]),
            ({"type": "task", "category": "todo"}, []),
        ]:
            with subtests.test(msg=case_id(params, expected)):
                filled = {key: value.format(**user_ids) for key, value in params.items()}
                assert (
                    await task_titles(client, await login("max"), workspace_id, **filled)
                    == expected
                )

    async def test_overdue_is_reported_on_each_item(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, items: dict[str, str]
    ) -> None:
        url = f"{API}/workspaces/{workspace_id}/tasks"
        listed = await ok(client.get(url, headers=await login("max")))
        assert {i["title"]: i["is_overdue"] for i in listed["items"]} == {
            "Alpha": True,
            "Beta": False,
            "Gamma": False,  # done
            "Delta": False,
        }

    async def test_the_private_task_is_listed_for_its_participants_only(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, items: dict[str, str]
    ) -> None:
        olga = await task_titles(client, await login("olga"), workspace_id, priority="high")
        assert olga == ["Hidden", "Alpha"]
        assert await task_titles(client, await login("adam"), workspace_id, priority="high") == [
            "Alpha"
        ]

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"type": "discussion"}, "type"),
            ({"type": "story"}, "type"),
            ({"status": "Blocked"}, "status"),
            ({"category": "later"}, "category"),
            ({"priority": "urgent"}, "priority"),
            ({"severity": "huge"}, "severity"),
            ({"overdue": "soon"}, "overdue"),
            ({"sort": "random"}, "sort"),
            ({"limit": "0"}, "limit"),
            ({"cursor": "abc"}, "cursor"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                url = f"{API}/workspaces/{workspace_id}/tasks"
                response = await client.get(url, params=params, headers=await login("max"))
                assert_problem(response, 422, "VALIDATION_ERROR", field)


class TestSorts:
    async def test_every_documented_sort(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        items: dict[str, str],
    ) -> None:
        for sort, expected in [
            ("-created_at", ["Delta", "Gamma", "Beta", "Alpha"]),
            ("created_at", ["Alpha", "Beta", "Gamma", "Delta"]),
            ("title", ["Alpha", "Beta", "Delta", "Gamma"]),
            ("-title", ["Gamma", "Delta", "Beta", "Alpha"]),
            ("priority", ["Delta", "Alpha", "Beta", "Gamma"]),
            ("-priority", ["Beta", "Alpha", "Delta", "Gamma"]),
            ("due_date", ["Gamma", "Alpha", "Delta", "Beta"]),
            ("-due_date", ["Delta", "Alpha", "Gamma", "Beta"]),
            ("board", ["Beta", "Alpha", "Delta", "Gamma"]),
            ("updated_at", ["Alpha", "Beta", "Gamma", "Delta"]),
            ("-updated_at", ["Delta", "Gamma", "Beta", "Alpha"]),
        ]:
            with subtests.test(msg=case_id(sort, expected)):
                assert (
                    await task_titles(client, await login("max"), workspace_id, sort=sort)
                    == expected
                )

    async def test_pages_stay_stable_when_items_arrive_between_them(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        items: dict[str, str],
        make_chat: MakeChat,
    ) -> None:
        url = f"{API}/workspaces/{workspace_id}/tasks"
        headers = await login("max")
        first = await ok(client.get(url, params={"limit": 2}, headers=headers))
        assert [i["title"] for i in first["items"]] == ["Delta", "Gamma"]
        await make_chat("max", type="task", title="Newcomer")
        params = {"limit": 2, "cursor": first["next_cursor"]}
        second = await ok(client.get(url, params=params, headers=headers))
        assert [i["title"] for i in second["items"]] == ["Beta", "Alpha"]
        assert second["next_cursor"] is None

    async def test_a_cursor_is_bound_to_its_filters_and_sort(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, items: dict[str, str]
    ) -> None:
        url = f"{API}/workspaces/{workspace_id}/tasks"
        headers = await login("max")
        first = await ok(client.get(url, params={"limit": 1}, headers=headers))
        for other in [{"sort": "title"}, {"type": "task"}, {"assignee": "me"}, {"q": "a"}]:
            params = {"cursor": first["next_cursor"], **other}
            response = await client.get(url, params=params, headers=headers)
            assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


class TestBoard:
    async def test_four_columns_in_board_order_with_totals(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        items: dict[str, str],
    ) -> None:
        url = f"{API}/workspaces/{workspace_id}/board"
        board = await ok(client.get(url, headers=await login("max")))

        assert set(board) == {"columns"}
        assert [
            (c["category"], c["title"], c["count"], [i["title"] for i in c["items"]])
            for c in board["columns"]
        ] == [
            ("todo", "To Do", 1, ["Beta"]),
            ("in_progress", "In Progress", 1, ["Alpha"]),
            ("review", "Review", 0, []),
            ("done", "Done", 2, ["Delta", "Gamma"]),
        ]
        alpha = board["columns"][1]["items"][0]
        assert (alpha["assignee"]["username"], alpha["is_overdue"]) == ("max", True)
        assert all(c["next_cursor"] is None for c in board["columns"])

    async def test_filters_apply_to_every_column(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        items: dict[str, str],
    ) -> None:
        for params, expected in [
            ({"type": "task"}, [[], ["Alpha"], [], ["Delta"]]),
            ({"assignee": "me"}, [[], ["Alpha"], [], []]),
            ({"assignee": "none"}, [["Beta"], [], [], ["Gamma"]]),
            ({"priority": "low,critical"}, [["Beta"], [], [], ["Delta"]]),
            ({"q": "needle"}, [[], [], [], ["Delta"]]),
        ]:
            with subtests.test(msg=case_id(params, expected)):
                url = f"{API}/workspaces/{workspace_id}/board"
                board = await ok(client.get(url, params=params, headers=await login("max")))
                assert [[i["title"] for i in c["items"]] for c in board["columns"]] == expected
                assert [c["count"] for c in board["columns"]] == [
                    len(titles) for titles in expected
                ]

    async def test_a_column_continues_on_the_task_list(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        items: dict[str, str],
        make_chat: MakeChat,
        clock: FixedClock,
    ) -> None:
        for title in ["Epsilon", "Zeta"]:
            clock.advance(STEP)
            await make_chat("max", type="task", title=title, status="Done", priority="Medium")
        headers = await login("max")
        w = f"{API}/workspaces/{workspace_id}"
        board = await ok(
            client.get(f"{w}/board", params={"per_column": 2, "type": "task"}, headers=headers)
        )
        done = board["columns"][3]
        assert (done["count"], [i["title"] for i in done["items"]]) == (3, ["Zeta", "Epsilon"])
        params = {
            "category": "done",
            "sort": "board",
            "type": "task",
            "cursor": done["next_cursor"],
        }
        rest = await ok(client.get(f"{w}/tasks", params=params, headers=headers))
        assert [i["title"] for i in rest["items"]] == ["Delta"]
        without_filter = {key: value for key, value in params.items() if key != "type"}
        refused = await client.get(f"{w}/tasks", params=without_filter, headers=headers)
        assert_problem(refused, 422, "VALIDATION_ERROR", "cursor")

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"per_column": "0"}, "per_column"),
            ({"per_column": "101"}, "per_column"),
            ({"per_column": "all"}, "per_column"),
            ({"type": "discussion"}, "type"),
            ({"priority": "urgent"}, "priority"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                url = f"{API}/workspaces/{workspace_id}/board"
                response = await client.get(url, params=params, headers=await login("max"))
                assert_problem(response, 422, "VALIDATION_ERROR", field)
